"""The open project as the window sees it: `Document` (project, current image, undo stack,
journal and autosave, CT cache), the `OpCommand` that puts annotation ops on the undo
stack, the background open jobs and the save/export files. It may use `gui.views` (the
`Shape` it hands them), `gui.widgets` and the core; views and controllers read it."""
