"""Screenshots for issue #19 (docs/img), on the real TotalSegmentator example CT.

    python tools/first_run_screenshots.py [--out docs/img] [--only canal|review|train]

`window_canal_track.png`: the window on tests/data/totalseg-example/ct.nii.gz with the
axial view on a slice where the canal track is bridged (dashed) and the linked cursor
placed from a click on the MIP. `review_beside_axial.png`: the review panel beside
the axial view, on the same CT imported with its vertebra labels (`vertapp import`),
with a *simulated* prediction (its own outlines jittered, see ml_screenshots.py).
`train_dialog_simple.png`: the training dialog as it opens (settings in words), and
`train_dialog_advanced.png` with its Advanced part open.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "totalseg-example"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ml_screenshots as shots  # noqa: E402


def canal_shot(out: Path) -> None:
    from vertapp.gui.annotate import editing

    window = shots._window(DATA / "ct.nii.gz")
    shots._wait(lambda: not window.busy() and window.axial.volume is not None, 120)
    opened = window.doc.ct[window.doc.current_id]
    ax = window.axial
    bridged = sorted(k for k, cs in ax.circles.items() if cs and all(c.bridged for c in cs))
    k = bridged[len(bridged) // 2]
    row = editing.slice_row(opened.mip, opened.volume, k)
    r = int(row)
    c = int(np.argmax(opened.mip.mip[r]))  # bone on that row: the click of a reader
    window.images._on_mip_click(c + 0.5, r + 0.5)
    if not ax.circles.get(ax.index) or not all(cc.bridged for cc in ax.circles[ax.index]):
        ax.set_slice(k)  # the click's voxel lies a slice off: show the bridged one
    shots._grab(window, out / "window_canal_track.png")
    window.doc.stack.setClean()
    window.close()


def _imported_project() -> Path:
    """The real example CT with its vertebra labels, as a project (`vertapp import`)."""
    project = Path(tempfile.mkdtemp(prefix="vertapp_shot_")) / "example"
    subprocess.run(
        [sys.executable, "-m", "vertapp", "import", str(DATA / "ct.nii.gz"), "--labels",
         str(DATA / "seg_vertebrae_T11-L5_verse_ids.nii.gz"), "--out", str(project),
         "--name", "example", "--quiet"],
        check=True,
    )  # fmt: skip
    return project


def review_shot(out: Path) -> None:
    from vertapp.annotations.store import load_project

    project = _imported_project()
    run = shots.simulated_run(load_project(project), 1)
    window = shots._window(shots._copy(project, drop_truth_of=1))
    shots._wait(lambda: not window.busy(), 120)
    window.model_workflow.predict_panel.set_threshold(0.5)
    shots._predict(window, None, 1, run)
    review = window.model_workflow.review_panel
    rows = list(review._row_ids)
    review.table.selectRow(0)
    review.accept_selected()
    review.table.selectRow(min(2, len(rows) - 1))
    shots._wait(lambda: not window.busy() and window.axial.volume is not None, 120)
    shots._grab(window, out / "review_beside_axial.png")
    window.doc.stack.setClean()
    window.close()


def train_shot(out: Path) -> None:
    window = shots._window(_imported_project())
    shots._wait(lambda: not window.busy(), 120)
    dialog = window.model_workflow.open_train_dialog()
    dialog.resize(1100, 640)
    shots._grab(dialog, out / "train_dialog_simple.png")
    dialog.model_box.more.setChecked(True)
    shots._grab(dialog, out / "train_dialog_advanced.png")
    dialog.close()
    window.doc.stack.setClean()
    window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--only", choices=("canal", "review", "train"))
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    for name, shot in (("canal", canal_shot), ("review", review_shot), ("train", train_shot)):
        if args.only in (None, name):
            shot(args.out)
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
