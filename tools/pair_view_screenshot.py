"""Screenshot of the X-ray pair view (issue #13) for the docs: a synthetic lateral pair
(T10-L5, 0.5 mm pixels) with L2 twisted out of plane and L4 dropped from the low-dose
outlines (a fallback), aligned, zoomed to L3 by its row (L2's torsion warning highlighted above it).
The line over the images says which film is the low dose and why (here: their exposure, as
two DICOM films would record it), with Swap beside it.

    .venv/bin/python tools/pair_view_screenshot.py --out docs/img/xray_pair_view.png
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import cast

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", default="1500x900")
    args = parser.parse_args()
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    import vertapp.gui  # noqa: F401  (PySide6 guard before any Qt object)
    from vertapp.gui.xray.pair_sides import Sides
    from vertapp.gui.xray.pair_window import PairWindow
    from vertapp.synth import make_radiograph_pair
    from vertapp.xray.pair import PairInputs, pair_job
    from vertapp.xray.pair_roles import DoseClue
    from vertapp.xray.zoi import zois_from_masks

    pg.setConfigOptions(imageAxisOrder="row-major")
    app = cast(QApplication, QApplication.instance()) or QApplication([])
    p = make_radiograph_pair(0, "T10", "L5", pixel_mm=0.5, torsion="L2")

    def parts(items):  # type: ignore[no-untyped-def]
        out: dict = {}
        for part in items:
            out.setdefault(part.level, {})[part.part] = part.mask
        return out

    low_v = {lv: m for lv, m in p.low_vertebrae.items() if lv != "L4"}
    low_z, high_z = (
        zois_from_masks(low_v, parts(p.low_parts)),
        zois_from_masks(p.high_vertebrae, parts(p.high_parts)),
    )
    inputs = PairInputs(p.low.array, p.high.array, low_z, high_z, p.low.pixel_spacing)
    other = PairInputs(p.high.array, p.low.array, high_z, low_z, p.high.pixel_spacing)
    # the synthetic films record no dose: give them the exposures a DICOM pair would
    clues = DoseClue(mas=2.5, kvp=70.0), DoseClue(mas=10.0, kvp=70.0)
    win = PairWindow(lambda: pair_job(inputs), sides=Sides(lambda: pair_job(other), *clues))
    w, h = (int(v) for v in args.size.split("x"))
    win.resize(w, h)
    win.show()
    win.start()
    while win.state is None or win.busy():
        app.processEvents()
    win.images.check_box.setCurrentIndex(1)  # checkerboard: breaks show misalignment
    win.table.choose("L3")  # the row below: L2's warning colour stays visible

    for _ in range(20):
        app.processEvents()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    win.grab().save(str(args.out), "PNG", 0)  # quality 0: the smallest file (lossless)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
