"""Screenshot of a whole-spine radiograph in the main window (issue #13 item 3): a synthetic
lateral film (T1-L5 and pelvis, `vertapp.synth`), upsampled to a detector-sized 16-bit PNG
(about 1200 x 2500 px, 12-bit values), opened as a user would, fitted, with its W/L numbers
and the bone preset (F5) applied. Synthetic because the real films we may read (AASCE) may
not be copied into the repository.

    .venv/bin/python tools/radiograph_screenshot.py --out docs/img/radiograph_window.png
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import cast

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def film(pixel_mm: float, height: int) -> object:
    """A 12-bit (0..4095) uint16 whole-spine film at least `height` rows tall."""
    import cv2
    import numpy as np

    from vertapp.synth import make_radiograph_pair

    high = make_radiograph_pair(0, "T1", "L5", pixel_mm=pixel_mm, pelvis=True).high.array
    scale = max(1.0, height / high.shape[0])
    big = cv2.resize(high, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    lo, hi = float(big.min()), float(big.max())
    return np.round(150 + (big - lo) / (hi - lo) * 3800).astype(np.uint16)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", default="1600x1000")
    parser.add_argument("--pixel-mm", type=float, default=0.5)
    args = parser.parse_args()
    import cv2
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    import vertapp.gui  # noqa: F401  (PySide6 guard before any Qt object)
    from vertapp.gui.window.main_window import MainWindow

    pg.setConfigOptions(imageAxisOrder="row-major")
    app = cast(QApplication, QApplication.instance()) or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spine_lateral.png"
        cv2.imwrite(str(path), film(args.pixel_mm, 2500))
        win = MainWindow()
        win.setProperty("headless", True)
        w, h = (int(v) for v in args.size.split("x"))
        win.resize(w, h)
        win.show()
        done: list[bool] = []
        win.loaded.connect(done.append)
        win.open_path(path)
        while not done:
            app.processEvents()
        win.preset_actions[0].trigger()  # F5: the bone preset of this film
        for _ in range(30):
            app.processEvents()
        win.images.fit_views()
        for _ in range(10):
            app.processEvents()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        win.grab().save(str(args.out))
        print(f"wrote {args.out}: {win.annot.image_shape} px, {win.annot.levels.text()}")
        win.doc.stack.setClean()
        win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
