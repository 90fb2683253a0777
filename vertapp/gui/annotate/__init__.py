"""Annotating: the `EditController` that turns tool gestures and edit commands into
annotation operations on the document (one undo step each), the helpers that build those
operations (`editing.py`), and the label palette. It may use `gui.document`, `gui.views`,
`gui.widgets` and the core; the window wires it to actions."""
