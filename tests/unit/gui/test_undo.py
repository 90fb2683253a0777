"""QUndoStack over the annotation layer's invertible operations."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QUndoStack

from vertapp.annotations import ops
from vertapp.gui.document.undo import OpCommand


def _push(stack: QUndoStack, project, op) -> None:  # type: ignore[no-untyped-def]
    stack.push(OpCommand(project.apply, project.apply(op), op.text))


def test_undo_redo_restore_exact_state(qapp, project) -> None:  # type: ignore[no-untyped-def]
    stack = QUndoStack()
    start = project.state()
    _push(stack, project, ops.MoveVertex(1, 0, 2, (33.5, 44.25), gesture=1))
    after_move = project.state()
    _push(stack, project, ops.DeleteInstance(2))
    _push(stack, project, ops.Relabel(1, "T12"))
    assert project.instance(1).label == "T12"
    assert not project.has_instance(2)
    for _ in range(3):
        stack.undo()
    assert project.state() == start
    stack.redo()
    assert project.state() == after_move
    stack.redo()
    stack.redo()
    assert project.instance(1).label == "T12"
    assert not project.has_instance(2)


def test_push_does_not_apply_twice(qapp, project) -> None:  # type: ignore[no-untyped-def]
    stack = QUndoStack()
    _push(stack, project, ops.MovePolygon(1, 5.0, -2.0, None, gesture=1))
    np.testing.assert_allclose(project.instance(1).polygons[0][0], (15.0, 8.0))


def test_clean_state_follows_undo(qapp, project) -> None:  # type: ignore[no-untyped-def]
    stack = QUndoStack()
    stack.setClean()
    _push(stack, project, ops.Relabel(2, "L3"))
    assert not stack.isClean()
    stack.undo()
    assert stack.isClean()


def test_unlimited_depth(qapp, project) -> None:  # type: ignore[no-untyped-def]
    stack = QUndoStack()
    start = project.state()
    for i in range(500):
        _push(stack, project, ops.MoveVertex(1, 0, 0, (float(i % 90), 5.0), gesture=i))
    assert stack.count() == 500
    while stack.canUndo():
        stack.undo()
    assert project.state() == start
