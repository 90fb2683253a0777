"""Radiograph view (issue 13 item 3) responsiveness on a 16-bit whole-spine film of 2500 x
1214 px (offscreen):

    .venv/bin/python benchmarks/bench_radiograph_view.py [--repeat N]

Rows, each with a baseline in the same run:
- W/L drag step: the window set on the 16-bit values through the W/L bar (numbers, preset
  name) and the view repainted   vs  setLevels on a same-size 8-bit image + repaint
- open: the percentile presets of the film (`window_presets`)
                                 vs  np.percentile of the whole film at 1 and 99 %
Target: a drag step <= 16 ms (60 frames per second) where the baseline is.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import cast

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from bench_gui import _ms  # noqa: E402  (one median timer for the GUI benchmarks)
from PySide6.QtWidgets import QApplication  # noqa: E402

import vertapp.gui  # noqa: E402, F401  (before any Qt object: see its PySide6 guard)


def film() -> np.ndarray:
    """12-bit values in a 16-bit array, a soft column and noise (what is drawn does not
    matter to the timing; the size and type do)."""
    rng = np.random.default_rng(0)
    cols = np.arange(1214)
    img = 1500 + 1500 * np.exp(-(((cols - 607) / 300.0) ** 2))
    return np.clip(img[None, :] + rng.normal(0, 200, (2500, 1214)), 0, 4095).astype(np.uint16)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    from vertapp.gui.views.annotation_view import AnnotationView
    from vertapp.xray.display import window_presets

    pg.setConfigOptions(imageAxisOrder="row-major")
    app = cast(QApplication, QApplication.instance()) or QApplication([])
    img = film()
    ours, base = AnnotationView(), AnnotationView()
    for view, pixels, xray in ((ours, img, True), (base, (img >> 4).astype(np.uint8), False)):
        view.resize(1200, 900)
        view.show()
        view.set_image(pixels, "bench", radiograph=xray)
    app.processEvents()
    step = [0]

    def drag_ours() -> None:
        step[0] += 1
        ours.levels.set_window(2000 + step[0] % 50, 2000 + step[0] % 7)
        ours.canvas.view.viewport().repaint()

    def drag_base() -> None:
        step[0] += 1
        base.canvas.set_levels((10 + step[0] % 50, 200 + step[0] % 7))
        base.canvas.view.viewport().repaint()

    rows = [
        (
            "W/L drag step (16-bit film, numbers, repaint)",
            _ms(drag_ours, args.repeat),
            _ms(drag_base, args.repeat),
        ),
        (
            "presets on open (percentiles, sampled)",
            _ms(lambda: window_presets(img), args.repeat),
            _ms(lambda: np.percentile(img, (1, 99)), args.repeat),
        ),
    ]
    print(f"| {'what':<48} | ours ms | baseline ms | ratio |")
    print(f"|{'-' * 50}|---------|-------------|-------|")
    for what, a, b in rows:
        print(f"| {what:<48} | {a:7.2f} | {b:11.2f} | {a / b:5.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
