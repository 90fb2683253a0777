"""Screenshot of the 3D labels on the axial slice (issue #15) on a real CT, for the docs.

    .venv/bin/python tools/labels3d_screenshot.py CT LABELS --out docs/img/labels3d_axial.png
        [--level L2] [--size 1600x900]

The CT and its manual 3D labels are imported as a project (`vertapp import`: the labels
projected onto the MIP become the polygons), the project is opened in the window, and once
the back-projected labels are on the axial view, the slice through the middle of `--level`
is shown, that vertebra's polygon selected by a click on the axial slice, and the window
saved as PNG. Run by hand (offscreen).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ct", type=Path)
    parser.add_argument("labels", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--level", default="L2")
    parser.add_argument("--size", default="1600x900")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        cmd = [sys.executable, "-m", "vertapp", "import", str(args.ct), "--labels"]
        subprocess.run([*cmd, str(args.labels), "--out", str(project), "--quiet"], check=True)
        return shoot(project, args.out, args.level, args.size)


def shoot(project: Path, out: Path, level: str, size: str) -> int:
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    import vertapp.gui  # noqa: F401  (before any Qt object)
    from vertapp.gui.window.main_window import MainWindow
    from vertapp.labels import VERTEBRA_ID

    pg.setConfigOptions(imageAxisOrder="row-major")
    app = QApplication.instance() or QApplication([])
    win = MainWindow()
    win.setProperty("headless", True)
    w, h = (int(v) for v in size.split("x"))
    win.resize(w, h)
    win.show()
    done: list[bool] = []
    win.labels3d.updated.connect(lambda: done.append(True))
    win.open_path(project)
    end = time.time() + 600
    while not done and time.time() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)
    if not done:
        print("the 3D labels did not arrive", file=sys.stderr)
        return 1
    labels = win.labels3d.shown.labels
    vid = VERTEBRA_ID[level]
    k = int(np.argmax((labels == vid).sum(axis=(1, 2))))
    win.axial.set_slice(k)
    win.images.fit_views()
    sx, sy, _ = win.axial.volume.spacing
    on = np.argwhere(labels[k] > 0)
    (j0, i0), (j1, i1) = on.min(axis=0), on.max(axis=0)
    pad = 40.0  # mm around the labelled bone: the vertebra fills the dock
    win.axial.canvas.viewbox.setRange(
        xRange=(i0 * sx - pad, (i1 + 1) * sx + pad), yRange=(j0 * sy - pad, (j1 + 1) * sy + pad)
    )
    own = np.argwhere(labels[k] == vid)
    j, i = own[len(own) // 4]  # off the middle, where the name is written
    lps = win.axial.scene_to_lps((i + 0.5) * sx, (j + 0.5) * sy)
    win.axial.set_marker(lps)
    win.axial.point_clicked.emit(lps)  # what a click there does: select that polygon
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    out.parent.mkdir(parents=True, exist_ok=True)
    win.grab().save(str(out))
    print(f"wrote {out} (slice {k + 1}, {level}; {win.statusBar().currentMessage()})")
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
