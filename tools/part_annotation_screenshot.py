"""Screenshot of vertebra-part annotation on a radiograph (issue #13) for the docs.

A synthetic lateral radiograph (`vertapp.synth.make_radiograph_pair`, T11..L4, 0.5 mm
pixels) opened in the window; the parts of five vertebrae outlined from the phantom's
own part masks, each stored with its level (so: one colour per vertebra, one fill
pattern per part, one caption per vertebra); L4 only has its body, and the palette is
caught in the middle of the keyboard path: Shift+P pressed for L4's pedicle and "L"
typed in the level entry, which lists what it may still become.

    .venv/bin/python tools/part_annotation_screenshot.py --out docs/img/xray_parts.png
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import cast

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

LEVELS = ("T11", "T12", "L1", "L2", "L3", "L4")


def _radiograph_png(folder: Path):  # type: ignore[no-untyped-def]
    import numpy as np
    from PIL import Image

    from vertapp.synth import make_radiograph_pair

    pair = make_radiograph_pair(5, LEVELS[0], LEVELS[-1], pixel_mm=0.5)
    arr = pair.high.array
    u8 = np.clip(255 * (arr - arr.min()) / max(float(np.ptp(arr)), 1e-6), 0, 255)
    path = folder / "lateral.png"
    Image.fromarray(u8.astype(np.uint8)).save(path)
    return path, pair.high_parts


def _outline(win, parts) -> None:  # type: ignore[no-untyped-def]
    """Each part's outline added as the palette would (one undo step each)."""
    from vertapp.annotations import geometry as geo
    from vertapp.gui.annotate import editing

    doc = win.doc
    for p in parts:
        if p.level == LEVELS[-1] and p.part != "body":
            continue  # L4 is being annotated: its body only
        for ring in geo.mask_to_polygons(p.mask, 1.0)[:1]:
            op = editing.add_polygon(doc.project, doc.current_id, ring, p.part, p.level)
            win.editor.edit(op, f"Add {p.part}")


def _zoom_to_parts(win, parts) -> None:  # type: ignore[no-untyped-def]
    import numpy as np
    from PySide6.QtCore import QRectF

    ys, xs = np.nonzero(np.any([p.mask for p in parts], axis=0))
    pad = 0.15 * (ys.max() - ys.min())
    rect = QRectF(xs.min() - pad, ys.min() - pad, np.ptp(xs) + 2 * pad, np.ptp(ys) + 2 * pad)
    win.annot.canvas.viewbox.setRange(rect, padding=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", default="1500x900")
    args = parser.parse_args()
    import pyqtgraph as pg
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    import vertapp.gui  # noqa: F401  (PySide6 guard before any Qt object)
    from vertapp.gui.window.main_window import MainWindow

    pg.setConfigOptions(imageAxisOrder="row-major")
    app = cast(QApplication, QApplication.instance()) or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        png, parts = _radiograph_png(Path(tmp))
        win = MainWindow()
        win.setProperty("headless", True)
        w, h = (int(v) for v in args.size.split("x"))
        win.resize(w, h)
        win.show()
        done: list[bool] = []
        win.loaded.connect(done.append)
        win.open_path(png)
        while not done:
            app.processEvents()
        _outline(win, parts)
        win.annot.tool.select(None)
        win.set_mode(win.annot.tool.mode.DRAW)
        win.editor.choose_level("L4")  # L4's body was the last one drawn
        win.editor.choose_part("pedicle")  # what Shift+P does
        win.labels.entry.setText("L")
        win.labels.entry.textEdited.emit("L")  # as if typed: the hint follows each key
        win.labels.entry.setFocus(Qt.FocusReason.ShortcutFocusReason)
        win.warning_bar.hide()  # "pixel spacing unknown": true of any PNG, not the subject
        for _ in range(30):
            app.processEvents()
        _zoom_to_parts(win, parts)
        for _ in range(10):
            app.processEvents()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        win.grab().save(str(args.out))
        win.doc.stack.setClean()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
