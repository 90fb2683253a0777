"""The image's right-click menu acts on what is under the cursor; edits say what they did;
an outline a delete or a relabel was about comes back selected with undo; Del deletes
the outline when no vertex is selected; the menu offers review decisions on a prediction
and a coloured, checked Label list; the Labels palette shows the selected outline's level
(UX audit round 14, fixF)."""

from __future__ import annotations

import numpy as np
import pytest
from mouse_driver import click
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from vertapp.annotations.model import ImageRecord, Instance, Project

pytestmark = pytest.mark.gui

L1, L2, T12, T5 = 1, 2, 3, 4  # instance ids


def _checked(palette) -> str | None:  # type: ignore[no-untyped-def]
    """The label whose palette button is checked."""
    button = palette.group.checkedButton()
    return None if button is None else button.text()


def _square(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float)


def _project() -> Project:
    """Image 1 (120 x 100): L1 (30..70), L2 two pixels to its right (72..100), a predicted
    T12 above them. Image 2: one T5."""
    p = Project()
    for image_id in (1, 2):
        p.add_image(
            ImageRecord(id=image_id, file_name=f"images/{image_id}.png", width=120, height=100)
        )
    outlines = (
        (1, Instance(L1, "L1", [_square(30, 30, 70, 60)])),
        (1, Instance(L2, "L2", [_square(72, 30, 100, 60)])),
        (
            1,
            Instance(
                T12, "T12", [_square(30, 5, 70, 25)], source="predicted", score=0.9, model_id="m@e1"
            ),
        ),
        (2, Instance(T5, "T5", [_square(40, 40, 80, 70)])),
    )
    for image_id, inst in outlines:
        p._insert_instance(image_id, inst, None)
    return p


@pytest.fixture
def shown(qtbot, window):  # type: ignore[no-untyped-def]
    """The window on `_project()`, image 1 fitted to the view, keys reaching it."""
    pending = {i: np.full((100, 120), 60, np.uint8) for i in (1, 2)}
    window.doc.set_project(_project(), "menu", pending=pending)
    window.doc.set_current(1)
    window.annot.canvas.fit()
    qtbot.wait(20)
    window.activateWindow()
    return window


def _menu(qtbot, w, x: float, y: float) -> QMenu:  # type: ignore[no-untyped-def]
    click(qtbot, w.annot.canvas, x, y, button=Qt.MouseButton.RightButton)
    menus = [m for m in w.findChildren(QMenu, "canvas_menu") if m.isVisible()]
    assert menus
    return menus[-1]


def _entry(menu: QMenu, start: str):  # type: ignore[no-untyped-def]
    return next(a for a in menu.actions() if a.text().replace("&", "").startswith(start))


def _said(w) -> str:  # type: ignore[no-untyped-def]
    return w.statusBar().currentMessage()


# ---------------------------------------------------------------- 1: what the menu acts on
def test_right_click_on_empty_space_deselects_and_the_menu_acts_on_nothing(qtbot, shown) -> None:  # type: ignore[no-untyped-def]
    """Select L1, right-click the background: the menu's Delete polygon deleted L1 and
    its Label entries relabelled it (the old selection stayed)."""
    w = shown
    click(qtbot, w.annot.canvas, 50, 45)
    assert w.annot.layer.selected == L1
    menu = _menu(qtbot, w, 5, 95)  # nothing there
    assert w.annot.layer.selected is None
    for text in ("Delete polygon", "Label", "Insert vertex", "Delete vertex"):
        assert not _entry(menu, text).isEnabled(), text
    _entry(menu, "Delete polygon").trigger()
    menu.close()
    assert w.doc.project.has_instance(L1) and w.doc.stack.count() == 0


def test_right_click_on_a_neighbours_line_selects_the_neighbour(qtbot, shown) -> None:  # type: ignore[no-untyped-def]
    """With L1 selected, a right-click exactly on L2's line (two pixels from L1's) kept L1:
    only the selected outline's edges were looked at."""
    w = shown
    click(qtbot, w.annot.canvas, 50, 45)
    menu = _menu(qtbot, w, 72, 45)
    assert w.annot.layer.selected == L2
    menu.close()
    menu = _menu(qtbot, w, 50, 45)  # inside L1 again: L1
    assert w.annot.layer.selected == L1
    menu.close()


# ---------------------------------------------------------------- 2: edits say what they did
def test_deleting_an_outline_says_so_and_how_to_bring_it_back(qtbot, shown) -> None:  # type: ignore[no-untyped-def]
    w = shown
    w.statusBar().showMessage("Select a vertex first (click on a handle)")  # an old message
    click(qtbot, w.annot.canvas, 50, 45)
    qtbot.keyClick(w, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    assert not w.doc.project.has_instance(L1)
    assert _said(w) == "Deleted L1 outline (Ctrl+Z brings it back)"


def test_a_relabel_by_key_says_from_and_to(qtbot, shown) -> None:  # type: ignore[no-untyped-def]
    """The status kept "T1 outline added; next: T2"; the undo entry read "Relabel"."""
    w = shown
    w.statusBar().showMessage("T1 outline added; next: T2")
    click(qtbot, w.annot.canvas, 50, 45)
    qtbot.keyClick(w, Qt.Key.Key_3)
    assert w.doc.project.instance(L1).label == "T3"
    assert _said(w) == "L1 outline is now T3"
    assert w.doc.stack.undoText() == "Relabel L1 → T3"


def test_accept_by_key_says_what_was_done(qtbot, shown) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.model.workflow import install_model_workflow

    w = shown
    install_model_workflow(w)
    w.statusBar().showMessage("Select a vertex first (click on a handle)")
    click(qtbot, w.annot.canvas, 50, 15)  # the predicted T12
    assert w.annot.layer.selected == T12
    qtbot.keyClick(w, Qt.Key.Key_A)
    assert w.doc.project.instance(T12).reviewed
    assert _said(w) == "Accepted 1 prediction (Ctrl+Z undoes it)"


# ---------------------------------------------------------------- 3: undo selects it again
def test_undoing_a_delete_or_a_relabel_selects_the_outline_again(qtbot, shown) -> None:  # type: ignore[no-untyped-def]
    w = shown
    click(qtbot, w.annot.canvas, 50, 45)
    qtbot.keyClick(w, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    assert w.annot.layer.selected is None
    w.act_undo.trigger()
    assert w.doc.project.has_instance(L1) and w.annot.layer.selected == L1
    qtbot.keyClick(w, Qt.Key.Key_4)  # relabel L1 -> T4
    click(qtbot, w.annot.canvas, 5, 95)  # then select nothing
    assert w.annot.layer.selected is None
    w.act_undo.trigger()
    assert w.doc.project.instance(L1).label == "L1" and w.annot.layer.selected == L1
    w.annot.tool.select(None)
    w.act_redo.trigger()
    assert w.doc.project.instance(L1).label == "T4" and w.annot.layer.selected == L1


# ---------------------------------------------------------------- 4: Del on an outline
def test_del_deletes_the_outline_when_no_vertex_is_selected(qtbot, shown) -> None:  # type: ignore[no-untyped-def]
    """Del said "Select a vertex first (click on a handle)"; labelme and CVAT delete."""
    from vertapp.gui.window.shortcuts_sheet import shortcut_rows

    w = shown
    click(qtbot, w.annot.canvas, 50, 45)
    assert w.annot.layer.selected_vertex is None
    qtbot.keyClick(w, Qt.Key.Key_Delete)
    assert not w.doc.project.has_instance(L1)
    assert _said(w) == "Deleted L1 outline (Ctrl+Z brings it back)"
    w.act_undo.trigger()
    assert w.doc.project.has_instance(L1)
    click(qtbot, w.annot.canvas, 70, 60)  # a handle: Del deletes that vertex only
    assert w.annot.layer.selected_vertex == (0, 2)
    qtbot.keyClick(w, Qt.Key.Key_Backspace)
    assert len(w.doc.project.instance(L1).polygons[0]) == 3
    rows = {r.command: r.keys for r in shortcut_rows(w)}  # the F1 sheet says it
    assert "Del" in rows["Delete vertex or polygon"]


# ---------------------------------------------------------------- 5: the menu's entries
def test_the_menu_offers_review_decisions_on_a_prediction(qtbot, shown) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.model.workflow import install_model_workflow

    w = shown
    install_model_workflow(w)
    menu = _menu(qtbot, w, 50, 45)  # a hand-drawn outline: no decisions
    assert not [a for a in menu.actions() if a.text().startswith(("Accept", "Reject"))]
    menu.close()
    menu = _menu(qtbot, w, 50, 15)
    assert w.annot.layer.selected == T12
    accept = _entry(menu, "Accept T12")
    assert accept.text().endswith("\tA") and _entry(menu, "Reject T12").isEnabled()
    assert _entry(menu, "Flag T12").isEnabled()
    accept.trigger()
    menu.close()
    assert w.doc.project.instance(T12).reviewed
    assert _said(w) == "Accepted 1 prediction (Ctrl+Z undoes it)"
    menu = _menu(qtbot, w, 50, 15)
    _entry(menu, "Flag T12").trigger()
    menu.close()
    assert w.doc.project.instance(T12).extra["vertapp"]["flagged"]


def test_the_menus_label_list_has_swatches_a_check_and_the_suggested_label(qtbot, shown) -> None:  # type: ignore[no-untyped-def]
    w = shown
    menu = _menu(qtbot, w, 50, 45)
    suggested = _entry(menu, "Apply suggested label")
    assert suggested.isEnabled() and f"({w.labels.current})" in suggested.text()
    entries = {a.text().split()[0]: a for a in _entry(menu, "Label").menu().actions()}
    assert all(not a.icon().isNull() for a in entries.values())  # a colour swatch each
    assert [n for n, a in entries.items() if a.isChecked()] == ["L1"]
    assert "✓" in entries["L1"].text()
    suggested.trigger()
    menu.close()
    assert w.doc.project.instance(L1).label != "L1"


# ---------------------------------------------------------------- 6: the palette
def test_the_palette_shows_the_selected_outlines_level_else_the_next_one(qtbot, shown) -> None:  # type: ignore[no-untyped-def]
    """T8 (chosen on the image before) stayed checked while T5 was selected."""
    w = shown
    w.labels.set_current("T8")  # the previous image's choice
    w.doc.set_current(2)
    w.annot.canvas.fit()
    qtbot.wait(20)
    assert _checked(w.labels) == "T6"  # the next one for this image (it has T5)
    click(qtbot, w.annot.canvas, 60, 55)
    assert w.annot.layer.selected == T5
    assert _checked(w.labels) == "T5" and w.labels.current == "T6"  # what D draws stays
    click(qtbot, w.annot.canvas, 5, 95)
    assert w.annot.layer.selected is None and _checked(w.labels) == "T6"
