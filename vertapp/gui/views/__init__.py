"""What is drawn and pointed at: the pyqtgraph image canvas, the polygon layer and the
polygon tool that turns mouse gestures into signals, the annotation (MIP) view, the axial
CT view and the order marks of predictions. Views know nothing of the document: they show
what they are given and emit what the user did. They may use `gui.widgets` and the core."""
