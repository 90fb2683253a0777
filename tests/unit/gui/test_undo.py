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


def _document(qtbot):  # type: ignore[no-untyped-def]
    from tests.unit.review.sample import review_project
    from vertapp.gui.document.document import Document

    project = review_project()
    doc = Document()
    pending = {i: np.zeros((64, 64), np.uint8) for i in project.images}
    doc.set_project(project, "test", pending=pending)
    return doc


def test_undo_shows_the_image_it_changes_and_says_so(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Viewing image 1, Ctrl+Z undid "Add T5" on image 2 off screen, without a word."""
    from vertapp.annotations.model import Instance

    doc = _document(qtbot)
    doc.set_current(2)
    square = np.array([[5, 30], [15, 30], [15, 40], [5, 40]], float)
    added = Instance(doc.project.new_instance_id(), "T5", [square])
    doc.edit(ops.AddInstance(2, added), "Add T5")
    doc.set_current(1)
    with qtbot.waitSignal(doc.stepped) as said:
        doc.stack.undo()
    assert doc.current_id == 2 and not doc.project.has_instance(added.id)
    assert said.args == ["Undid Add T5 on image 2"]
    doc.set_current(3)
    with qtbot.waitSignal(doc.stepped) as said:
        doc.stack.redo()
    assert doc.current_id == 2 and doc.project.has_instance(added.id)
    assert said.args == ["Redid Add T5 on image 2"]


def test_a_step_on_the_image_shown_stays_there(qtbot) -> None:  # type: ignore[no-untyped-def]
    doc = _document(qtbot)
    doc.set_current(1)
    changed: list[object] = []
    words: list[str] = []
    doc.image_changed.connect(changed.append)
    doc.stepped.connect(words.append)
    doc.edit(ops.Relabel(1, "T9"), "Relabel T9")
    assert words == []  # a push replays nothing (its op was applied before): no word
    with qtbot.waitSignal(doc.stepped) as said:
        doc.stack.undo()
    assert doc.current_id == 1 and changed == []
    assert said.args == ["Undid Relabel T9 on image 1"]
    doc.edit_many([ops.Relabel(1, "T9"), ops.Relabel(4, "L2")], "Two images")
    doc.set_current(3)
    with qtbot.waitSignal(doc.stepped) as said:
        doc.stack.undo()
    assert doc.current_id == 1  # the first in the list of the images the step changed
    assert said.args == ["Undid Two images (2 images)"]
