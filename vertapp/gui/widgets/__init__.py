"""Shared widgets and helpers of the GUI: colours, QAction factory, the status-bar progress
box, the `JobWorker` thread that drives a core job, and the heap settling that keeps full
GCs from stalling the GUI thread. They may use Qt and the core packages, nothing else of
`vertapp.gui` (every other room may use them)."""
