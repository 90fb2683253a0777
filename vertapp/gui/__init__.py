"""Qt front end of VertApp, in rooms named for what the user does. No algorithms here.

From the bottom up (import-linter's "gui-rooms" contract keeps imports pointing down):
  widgets/   small shared widgets and helpers: colours, actions, progress box, the job worker
  views/     what is drawn: the image canvas, polygon layer and tool, MIP and axial views
  document/  the open project as the window sees it: undo stack, current image, save files
  annotate/  turning gestures and commands into annotation operations; the label palette
  model/     train dialog and loss plot, predict, review and compare panels, child process
  window/    the main window composed of controllers (images, editing, files, commands)
  app.py     the entry point `vertapp gui` calls
Logic that needs no Qt lives below, in the core packages (`vertapp.review` for the review
workflow, `vertapp.annotations` for the edits themselves); see docs/architecture.md.
"""
