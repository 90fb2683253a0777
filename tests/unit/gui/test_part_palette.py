"""The radiograph part palette (typing a level, Esc) and how the polygon layer paints parts:
one colour per vertebra, a fill pattern per part (offscreen Qt)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter

from vertapp.gui.annotate.part_palette import PartPalette
from vertapp.gui.views.polygon_layer import PolygonLayer, Shape
from vertapp.gui.widgets.colors import label_color, level_color


def test_typing_a_level_chooses_it_and_esc_keeps_the_old_one(qtbot) -> None:  # type: ignore[no-untyped-def]
    palette = PartPalette()
    qtbot.addWidget(palette)
    chosen: list[str] = []
    palette.level_chosen.connect(chosen.append)
    palette.begin_entry()
    qtbot.keyClicks(palette.entry, "L")
    assert chosen == [] and "L1" in palette.hint.text()
    qtbot.keyClicks(palette.entry, "2")
    assert chosen == ["L2"] and palette.level == "L2"
    assert "body of L2" in palette.next_label.text()
    palette.begin_entry()
    qtbot.keyClicks(palette.entry, "x")
    assert "no level" in palette.hint.text() and "c0392b" in palette.hint.styleSheet()
    qtbot.keyClick(palette.entry, Qt.Key.Key_Escape)
    assert chosen == ["L2"] and palette.level == "L2"


def test_clicking_away_takes_a_whole_level_and_says_a_broken_one(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Shift+T, "T1", then a click on the image: the field said T1 while the polygons
    drawn took the level before (L3), silently."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QFocusEvent
    from PySide6.QtWidgets import QApplication

    def focus_out(reason: Qt.FocusReason) -> None:  # what a click elsewhere sends it
        QApplication.sendEvent(palette.entry, QFocusEvent(QEvent.Type.FocusOut, reason))

    palette = PartPalette()
    qtbot.addWidget(palette)
    palette.set_level("L3")
    chosen: list[str] = []
    palette.level_chosen.connect(chosen.append)
    palette.begin_entry()
    qtbot.keyClicks(palette.entry, "T1")
    assert chosen == [] and palette.level == "L3"  # T1 or T10..T12: waits for more
    focus_out(Qt.FocusReason.ActiveWindowFocusReason)  # another window: the entry goes on
    assert chosen == [] and palette.entry.text() == "T1"
    focus_out(Qt.FocusReason.MouseFocusReason)
    assert chosen == ["T1"] and palette.level == "T1" and "body of T1" in palette.next_label.text()
    palette.begin_entry()
    qtbot.keyClicks(palette.entry, "Q")
    focus_out(Qt.FocusReason.MouseFocusReason)
    assert chosen == ["T1"] and palette.level == "T1" and palette.entry.text() == "T1"
    assert "not a level" in palette.hint.text() and "stays T1" in palette.hint.text()


def test_enter_on_the_empty_entry_takes_the_last_vertebra(qtbot) -> None:  # type: ignore[no-untyped-def]
    palette = PartPalette()
    qtbot.addWidget(palette)
    palette.last_level = "T7"
    palette.begin_entry()
    qtbot.keyClick(palette.entry, Qt.Key.Key_Return)
    assert palette.level == "T7"


def _render(shapes: dict[int, Shape]) -> np.ndarray:
    layer = PolygonLayer()
    layer.set_bounds(60, 30)
    layer.visible_labels = False
    layer.set_shapes(shapes)
    image = QImage(60, 30, QImage.Format.Format_RGB32)
    image.fill(QColor(0, 0, 0))
    painter = QPainter(image)
    layer.paint(painter)
    painter.end()
    buf = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * 30)
    return buf.reshape(30, image.bytesPerLine() // 4, 4)[:, :60, :3].astype(int)


def _box(x0: float) -> list[np.ndarray]:
    return [np.array([[x0, 2], [x0 + 24, 2], [x0 + 24, 26], [x0, 26]], float)]


def test_parts_of_one_vertebra_share_its_colour_and_differ_in_fill(qapp) -> None:  # type: ignore[no-untyped-def]
    body = Shape(_box(2), label="body", level="L3")
    pedicle = Shape(_box(32), label="pedicle", level="L3")
    assert body.color == pedicle.color == level_color("L3")
    assert Shape(_box(2), label="L3").color == label_color("L3")  # a CT polygon: its label
    assert level_color("unknown") == QColor(200, 200, 200)
    pixels = _render({1: body, 2: pedicle})
    inside_body, inside_pedicle = pixels[8:20, 8:20], pixels[8:20, 38:50]
    assert np.ptp(inside_body.reshape(-1, 3), axis=0).max() == 0  # filled evenly
    assert np.ptp(inside_pedicle.reshape(-1, 3), axis=0).max() > 40  # hatched: lines and gaps


def test_one_caption_per_vertebra(qapp) -> None:  # type: ignore[no-untyped-def]
    layer = PolygonLayer()
    layer.set_shapes(
        {
            1: Shape(_box(2), label="pedicle", level="L3"),
            2: Shape(_box(32), label="body", level="L3"),
            3: Shape(_box(2), label="L1"),
        }
    )
    assert layer.captions == {2: "L3", 3: "L1"}


def test_moving_a_part_to_another_vertebra_undoes_and_survives_the_journal() -> None:
    """set_level has no op of its own (the layer has none for "vertapp" fields): the
    instance is replaced in place; that must undo exactly and replay from the journal."""
    import json

    from vertapp.annotations.model import ImageRecord, Instance, Project
    from vertapp.annotations.opcodec import decode_op, encode_op
    from vertapp.gui.annotate.editing import set_level
    from vertapp.xray.parts import vertebra_of

    def project() -> Project:
        p = Project(label_set="parts")
        p.add_image(ImageRecord(1, "images/x.png", 60, 30, kind="radiograph"))
        for k, part in enumerate(("body", "pedicle", "spinous_process")):
            extra = {"vertapp": {"vertebra": "L3"}}
            inst = Instance(p.new_instance_id(), part, _box(2 + 10 * k), extra=extra)
            inst.source = "predicted" if part == "pedicle" else "manual"
            p._insert_instance(1, inst, None)
        return p

    p, replay = project(), project()
    before = p.images[1].state()
    op = set_level(p, 2, "L4")
    assert op is not None and set_level(p, 1, "L3") is None  # already there: no edit
    inverse = p.apply(op)
    insts = p.images[1].instances
    assert [i.id for i in insts] == [1, 2, 3]  # kept its place
    assert (vertebra_of(insts[1].extra), insts[1].source) == ("L4", "corrected")
    replay.apply(decode_op(json.loads(json.dumps(encode_op(op)))))
    assert replay.images[1].state() == p.images[1].state()
    p.apply(inverse)
    assert p.images[1].state() == before
