"""Pair view (issue 13) responsiveness on a whole-spine pair of ~2600 x 1260 px (offscreen):

    .venv/bin/python benchmarks/bench_gui_xray.py [--repeat N]

(also run as rows of `bench_gui.py`). Rows, each with a baseline in the same run:
- blend slider step: the check image re-mixed and the fused view repainted
                               vs  a bare ImageItem.setImage of a same-size 8-bit image + repaint
- nudge: one arrow-key correction of a vertebra (undo command, local re-fuse, table row, check
  image region, repaint)       vs  the same bare setImage + repaint
- nudge, the fused image redone whole (what a nudge would cost without the local re-fuse)
                               vs  the same bare setImage + repaint
Target: slider and nudge <= 16 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import cast

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from bench_gui import _ms  # noqa: E402  (one median timer for both GUI benchmarks)
from PySide6.QtWidgets import QApplication  # noqa: E402

import vertapp.gui  # noqa: E402, F401  (before any Qt object: see its PySide6 guard)


def big_pair():  # type: ignore[no-untyped-def]
    """A T1-L5 synthetic pair at 0.4 mm, doubled to ~2600 x 1260 px (masks with it)."""
    from vertapp.synth import make_radiograph_pair
    from vertapp.xray.pair import PairInputs
    from vertapp.xray.zoi import zois_from_masks

    p = make_radiograph_pair(0, "T1", "L5", pixel_mm=0.4)

    def up(a: np.ndarray) -> np.ndarray:
        size = (a.shape[1] * 2, a.shape[0] * 2)
        if a.dtype == bool:
            return cv2.resize(a.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        return cv2.resize(a, size, interpolation=cv2.INTER_LINEAR)

    def zois(vertebrae, parts):  # type: ignore[no-untyped-def]
        by_level: dict[str, dict[str, np.ndarray]] = {}
        for part in parts:
            by_level.setdefault(part.level, {})[part.part] = up(part.mask)
        return zois_from_masks({lv: up(m) for lv, m in vertebrae.items()}, by_level)

    return PairInputs(
        up(p.low.array),
        up(p.high.array),
        zois(p.low_vertebrae, p.low_parts),
        zois(p.high_vertebrae, p.high_parts),
        (0.2, 0.2),
    )


def bench_pair_view(app: QApplication, repeat: int) -> list[tuple[str, float, float]]:

    from vertapp.gui.xray.pair_window import PairWindow
    from vertapp.jobs import run_job
    from vertapp.xray.fuse import fuse
    from vertapp.xray.pair import pair_job

    inputs = big_pair()
    state = run_job(pair_job(inputs))
    win = PairWindow(lambda: pair_job(inputs))
    win.setProperty("headless", True)  # closing after the nudges must not wait on a question
    win.resize(1400, 900)
    win.show()
    win._on_aligned(state)  # the alignment's result, as the worker delivers it
    app.processEvents()
    vp = win.images.fused_pane.viewport()
    slider = win.images.slider
    k = iter(range(10**9))

    def slide() -> None:
        slider.setValue(next(k) % 101)
        vp.repaint()

    win.table.choose("L1")
    app.processEvents()

    def nudge() -> None:
        step = (1.0, 0.0, 0.0, 1.0) if next(k) % 2 else (-1.0, 0.0, 0.0, 1.0)
        win.nudge(step)
        vp.repaint()

    def nudge_whole() -> None:  # what the local re-fuse saves
        win.nudge((1.0, 0.0, 0.0, 1.0) if next(k) % 2 else (-1.0, 0.0, 0.0, 1.0))
        full = fuse(inputs.low, inputs.high, state.alignment, inputs.high_zois)
        win.images.update_fused(full, (0, 0, full.shape[1], full.shape[0]))
        vp.repaint()

    bare_view = pg.GraphicsView()
    bare_view.resize(vp.width(), vp.height())
    box = pg.ViewBox(lockAspect=True, invertY=True)
    bare_view.setCentralItem(box)
    item = pg.ImageItem(axisOrder="row-major")
    box.addItem(item)
    frames = [win.images.low8, win.images.fused8]
    item.setImage(frames[0], levels=(0, 255))
    bare_view.show()
    app.processEvents()
    box.autoRange(padding=0.02)
    app.processEvents()
    bare_vp = bare_view.viewport()

    def bare() -> None:
        item.setImage(frames[next(k) % 2], levels=(0, 255), autoLevels=False)
        bare_vp.repaint()

    for fn in (slide, nudge, bare):
        fn()
    h, w = inputs.low.shape
    base = _ms(bare, repeat)
    rows = [
        (f"pair view: blend slider step, {w}x{h} px", _ms(slide, repeat), base),
        (f"pair view: nudge a vertebra (local re-fuse), {w}x{h}", _ms(nudge, repeat), base),
        (f"pair view: nudge, fused image redone whole, {w}x{h}", _ms(nudge_whole, 5), base),
    ]
    win.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    pg.setConfigOptions(imageAxisOrder="row-major")
    app = cast(QApplication, QApplication.instance()) or QApplication([])
    rows = bench_pair_view(app, args.repeat)
    print(f"\n| {'what':56s} | {'ours ms':>9s} | {'baseline ms':>11s} | {'ratio':>6s} |")
    print(f"|{'-' * 58}|{'-' * 11}|{'-' * 13}|{'-' * 8}|")
    for name, ours, base in rows:
        print(f"| {name:56s} | {ours:9.2f} | {base:11.2f} | {ours / base:6.2f} |")
    print("\nbaseline: a bare ImageItem.setImage of a same-size 8-bit image + repaint.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
