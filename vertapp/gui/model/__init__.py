"""The model workflow in the window: the train dialog with its settings form and loss
plot, the predict, review and compare panels, the child process that runs training and
prediction, and `workflow.py` which installs all of it into a window. The decisions
themselves (statuses, accept/reject/flag ops, snapshots, split, comparison) are in the
core package `vertapp.review`. It may use `gui.annotate` and everything below it."""
