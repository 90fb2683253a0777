"""Vertebra parts on a radiograph from the keyboard (issue #13): a part key, the level
typed, polygon clicks; then the next part with "same vertebra as the last" (Enter).
Both instances are saved with the same level and their part categories, in project.json
and in the COCO export, and pycocotools reads both files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from tests.e2e.mouse_driver import click
from tests.e2e.window_driver import open_and_wait as _open
from vertapp.xray.parts import vertebra_of

SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(scope="module")
def xray(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    """A synthetic lateral radiograph (L2..L4) as PNG, and its true part masks of L3."""
    from PIL import Image

    from vertapp.synth import make_radiograph_pair

    pair = make_radiograph_pair(seed=1, first="L2", last="L4")
    arr = pair.high.array
    u8 = np.clip(255 * (arr - arr.min()) / max(float(np.ptp(arr)), 1e-6), 0, 255)
    path = tmp_path_factory.mktemp("xray") / "lateral.png"
    Image.fromarray(u8.astype(np.uint8)).save(path)
    masks = {p.part: p.mask for p in pair.high_parts if p.level == "L3"}
    return path, masks


def _draw_around(qtbot, window, mask: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    """Click a quadrilateral just inside the mask's box, then Enter finishes it."""
    rows, cols = np.nonzero(mask)
    x0, x1 = np.percentile(cols, [15, 85])
    y0, y1 = np.percentile(rows, [15, 85])
    for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)):
        click(qtbot, window.annot.canvas, float(x), float(y))
    qtbot.keyClick(window.annot.canvas.view, Qt.Key.Key_Return)


def _type(qtbot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Keys go where the keyboard focus is, as they would from a keyboard."""
    qtbot.keyClicks(QApplication.focusWidget(), text)


def test_two_parts_of_one_vertebra_from_the_keyboard(qtbot, window, xray, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pycocotools.coco import COCO

    from vertapp.annotations import store

    png, masks = xray
    _open(qtbot, window, png)
    window.activateWindow()
    window.annot.canvas.view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_D)  # draw polygons
    # Body of L3: Shift+B, then "L3" typed (the entry ends by itself: L3 is unambiguous).
    qtbot.keyClick(window, Qt.Key.Key_B, SHIFT)
    _type(qtbot, "L3")
    assert "body of L3" in window.labels.next_label.text()
    _draw_around(qtbot, window, masks["body"])
    # Pedicle of the same vertebra: Shift+P, then Enter = same vertebra as the last.
    qtbot.keyClick(window, Qt.Key.Key_P, SHIFT)
    assert isinstance(QApplication.focusWidget(), QLineEdit)  # the level entry has the keys
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert window.labels.hint.text() == "same vertebra as the last: L3"
    assert QApplication.focusWidget() is window.annot.canvas.view  # back to drawing
    _draw_around(qtbot, window, masks["pedicle"])

    project = window.doc.project
    drawn = project.images[window.doc.current_id].instances
    assert [(i.label, vertebra_of(i.extra)) for i in drawn] == [("body", "L3"), ("pedicle", "L3")]

    folder = tmp_path / "parts_project"
    assert window.save(folder, wait=True), window._last_error
    export = tmp_path / "export.json"
    assert window.export(export, "coco"), window._last_error
    window.wait_for_export()
    for path in (folder / "project.json", export):
        data = json.loads(path.read_text(encoding="utf-8"))
        names = {c["id"]: c["name"] for c in data["categories"]}
        got = sorted(
            (names[a["category_id"]], a["vertapp"]["vertebra"]) for a in data["annotations"]
        )
        assert got == [("body", "L3"), ("pedicle", "L3")], path.name
        coco = COCO(str(path))  # pycocotools still reads the file as it is
        assert len(coco.getAnnIds()) == 2 and coco.annToMask(coco.loadAnns(1)[0]).any()
    reloaded = store.load_project(folder)
    levels = [(i.label, vertebra_of(i.extra)) for _, i in reloaded.iter_instances()]
    assert levels == [("body", "L3"), ("pedicle", "L3")]


def test_level_typed_for_the_selected_part_moves_it_and_undoes(qtbot, window, xray) -> None:  # type: ignore[no-untyped-def]
    png, masks = xray
    _open(qtbot, window, png)
    window.activateWindow()
    window.annot.canvas.view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_D)
    window.dock_labels.hide()  # closed by the user: the part key brings it back
    qtbot.keyClick(window, Qt.Key.Key_T, SHIFT)
    assert window.dock_labels.isVisible()
    _type(qtbot, "T1")  # could become T10..T12: waits for Enter, says so
    assert "Enter" in window.labels.hint.text()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    _draw_around(qtbot, window, masks["transverse_process"])
    (inst,) = window.doc.project.images[window.doc.current_id].instances
    assert (inst.label, vertebra_of(inst.extra)) == ("transverse_process", "T1")
    # Wrong vertebra: selected in Select mode, V and the level move it (one undo step).
    qtbot.keyClick(window, Qt.Key.Key_S)
    window.annot.tool.select(inst.id)
    qtbot.keyClick(window, Qt.Key.Key_V)
    _type(qtbot, "l4")
    (inst,) = window.doc.project.images[window.doc.current_id].instances
    assert vertebra_of(inst.extra) == "L4"
    window.act_undo.trigger()
    (inst,) = window.doc.project.images[window.doc.current_id].instances
    assert vertebra_of(inst.extra) == "T1"


def test_n_on_a_radiograph_says_what_to_press_and_changes_no_part(qtbot, window, xray) -> None:  # type: ignore[no-untyped-def]
    """N (the CT habit: next label) turned the selected L3 body into a spinous process,
    the palette's part, without a word."""
    from vertapp.gui.annotate.edit_controller import PARTS_NO_N

    png, masks = xray
    _open(qtbot, window, png)
    window.activateWindow()
    window.annot.canvas.view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_D)
    qtbot.keyClick(window, Qt.Key.Key_B, SHIFT)
    _type(qtbot, "L3")
    _draw_around(qtbot, window, masks["body"])
    window.labels.set_current("spinous_process")
    qtbot.keyClick(window, Qt.Key.Key_S)
    (inst,) = window.doc.project.images[window.doc.current_id].instances
    window.annot.tool.select(inst.id)
    qtbot.keyClick(window, Qt.Key.Key_N)
    (inst,) = window.doc.project.images[window.doc.current_id].instances
    assert (inst.label, vertebra_of(inst.extra)) == ("body", "L3")
    assert window.statusBar().currentMessage() == PARTS_NO_N


def test_part_keys_are_in_the_f1_sheet_and_clash_with_no_other_key(window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QAction, QKeySequence

    from vertapp.gui.model.workflow import install_model_workflow
    from vertapp.gui.window.shortcuts_sheet import shortcut_rows

    install_model_workflow(window)  # its review keys (A, R, Shift+E, ...) count too
    fmt = QKeySequence.SequenceFormat.PortableText
    rows = {r.command: r.keys for r in shortcut_rows(window, fmt=fmt) if "Part" in r.menu}
    assert rows == {
        "Part: body": "Shift+B",
        "Part: spinous process": "Shift+S",
        "Part: pedicle": "Shift+P",
        "Part: transverse process": "Shift+T",
        "Vertebra level": "V",
    }
    owners: dict[str, list[str]] = {}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            owners.setdefault(key.toString(fmt), []).append(action.text())
    clashes = {k: v for k, v in owners.items() if len(v) > 1}
    assert not clashes  # an ambiguous key does nothing in Qt


def test_the_palette_swap_leaves_one_palette_shown(window) -> None:  # type: ignore[no-untyped-def]
    """File > Import landmark radiographs into an empty window drew the T1..L5 palette
    over the part palette: the old one was left to deleteLater, which waits for the event
    loop that posted it (here: the import's waiting save)."""
    from vertapp.annotations.model import Project
    from vertapp.gui.annotate.label_palette import LabelPalette
    from vertapp.gui.annotate.part_palette import PartPalette

    old = window.labels
    assert type(old) is LabelPalette
    window.doc.project = Project(label_set="parts")
    window._set_label_set()  # no event loop runs here, as inside the waiting save
    assert isinstance(window.labels, PartPalette)
    shown = [p for p in window.findChildren(LabelPalette) if not p.isHidden()]
    assert shown == [window.labels] and old.isHidden()
