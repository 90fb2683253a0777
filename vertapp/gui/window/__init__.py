"""The main window, composed: `MainWindow` lays out views and docks and builds the
controllers, each given its collaborators explicitly (document, views, `JobRunner`) and the
window only as a `WindowHost` (messages, questions, title): `ImageController` (the image on
screen and its CT), `FilesController` (open, save, export, recovery prompts), and
`commands.py` (every action, menu and toolbar). It may use every other room of the GUI."""
