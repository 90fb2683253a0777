"""Screenshots of the model workflow for the docs (real training, real prediction).

    python tools/ml_screenshots.py PROJECT_DIR --model MODEL.pt --out docs/img \
        [--review-image ID] [--train-seconds 240]

PROJECT_DIR is a project with hand-drawn vertebrae (e.g. the one `vertapp demo` writes); it is
copied, never changed. With `--simulate` instead of `--model`, the "prediction" is the image's
own hand-drawn outlines, jittered, with made-up scores, one label swapped by "order
post-processing" and one vertebra missed: for showing the review panels where no trained
model is at hand (say so wherever such a screenshot is used). `train_dialog.png`: the train dialog while it trains on the copy (fast
preset, small images, a few minutes on a CPU). `review.png`: the window after MODEL predicted
image ID (its hand-drawn outlines removed in the copy) with some decisions made.
`review_compare.png`: the same prediction scored against the hand-drawn truth.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

SIZE = (1600, 960)
_SCRATCH: list[Path] = []  # one temporary folder per run, removed at the end


def _scratch() -> Path:
    """A fresh folder inside this run's temporary folder."""
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="vertapp_shots_")))
    return Path(tempfile.mkdtemp(dir=_SCRATCH[0]))


def _wait(condition: Any, timeout_s: float) -> bool:
    """Run the event loop until `condition()` is true (or the timeout)."""
    end = time.monotonic() + timeout_s
    loop = QEventLoop()
    while not condition() and time.monotonic() < end:
        QTimer.singleShot(50, loop.quit)
        loop.exec()
    return bool(condition())


def _grab(widget: QWidget, path: Path) -> None:
    _wait(lambda: False, 0.5)  # let the last repaint land
    path.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path}")


def _window(project: Path) -> Any:
    from vertapp.gui.model.workflow import install_model_workflow
    from vertapp.gui.window.main_window import MainWindow

    window = MainWindow()
    window.setProperty("headless", True)
    install_model_workflow(window)
    window.resize(*SIZE)
    window.show()
    window.open_path(str(project))
    _wait(lambda: window.doc.current_id is not None, 60)
    return window


def _copy(project: Path, drop_truth_of: int | None = None) -> Path:
    dest = _scratch() / "project"
    shutil.copytree(project, dest)
    if drop_truth_of is not None:
        data = json.loads((dest / "project.json").read_text())
        data["annotations"] = [a for a in data["annotations"] if a["image_id"] != drop_truth_of]
        (dest / "project.json").write_text(json.dumps(data))
    return dest


def train_shot(project: Path, out: Path, seconds: float) -> None:
    window = _window(_copy(project))
    dialog = window.model_workflow.open_train_dialog()
    dialog.resize(1500, 860)
    dialog.model_box.set_model_path(_scratch() / "model.pt")
    values = dialog.settings.values()
    values.update(
        min_size=256, max_size=384, epochs=12, views_per_image=8, warmup_iters=20, lr=0.005
    )
    dialog.settings.set_values(values)
    dialog.val_fraction.setValue(0.25)
    dialog.start()
    _wait(lambda: dialog.loss_plot.dice_points() >= 3, seconds)
    dialog.loss_plot.redraw()
    dialog._refresh_progress()
    _grab(dialog, out / "train_dialog.png")
    dialog.cancel()
    _wait(lambda: not dialog.is_running(), 300)
    window.doc.stack.setClean()
    window.close()


def simulated_run(project: Any, image_id: int, seed: int = 0) -> Any:
    """A PredictRun made from the image's hand-drawn outlines (see the module docstring)."""
    import numpy as np

    from vertapp.annotations import geometry as geo
    from vertapp.review.prediction import PredictedShape, PredictRun

    rng = np.random.default_rng(seed)
    img = project.images[image_id]
    truth = [i for i in img.instances if i.source == "manual"][:-1]  # the lowest one is missed
    shapes, anns = [], []
    for k, inst in enumerate(truth):
        polys = [p + rng.normal(0, 1.2, p.shape) for p in inst.polygons]
        score = float(rng.uniform(0.55, 0.99)) if k % 4 == 2 else float(rng.uniform(0.93, 0.999))
        swapped = k == 1
        label = inst.label
        shapes.append(
            PredictedShape(
                label, round(score, 3), polys, swapped, truth[k + 1].label if swapped else None
            )
        )
        rle = geo.polygons_to_rle(polys, img.height, img.width)
        anns.append(
            {
                "id": k + 1,
                "image_id": image_id,
                "category_id": project.category_id(label),
                "segmentation": geo.rle_to_json(rle),
                "score": score,
            }
        )
    coco = {
        "images": [
            {"id": image_id, "file_name": img.file_name, "width": img.width, "height": img.height}
        ],
        "annotations": anns,
        "categories": project.categories,
    }
    return PredictRun(
        "simulated@e0:0000000000", Path("simulated.pt"), {image_id: shapes}, coco, 0.5
    )


def _predict(window: Any, model: Path | None, image_id: int, run: Any = None) -> None:
    panel = window.model_workflow.predict_panel
    if run is not None:  # simulated: skip the model, keep every GUI step after it

        def factory(_path: Path, _snaps: Any, _floor: float) -> Any:
            yield from ()
            return run

        panel._factory = factory
        model = _scratch() / "simulated.pt"
        model.write_bytes(b"simulated")
    assert model is not None
    panel.set_model_path(model)
    window.doc.set_current(image_id)
    done: list[Any] = []
    panel.run_finished.connect(done.append)
    panel.predict_current()
    failed: list[str] = []
    if panel.worker is not None:
        panel.worker.failed.connect(failed.append)
    if not _wait(lambda: bool(done or failed), 600) or not done:
        raise SystemExit(f"prediction failed: {panel.status.text()}")


def review_shot(project: Path, model: Path | None, image_id: int, out: Path) -> None:
    run = None
    if model is None:
        from vertapp.annotations.store import load_project

        run = simulated_run(load_project(project), image_id)
    window = _window(_copy(project, drop_truth_of=image_id))
    if run is not None:  # a real model: the slider follows its own threshold
        window.model_workflow.predict_panel.set_threshold(0.5)
    _predict(window, model, image_id, run)
    review = window.model_workflow.review_panel
    rows = list(review._row_ids)
    doc_project = window.doc.project
    upper = rows[: max(1, len(rows) // 2)]
    for row in [r for r in upper if not doc_project.instance(r).order_changed]:  # accept these
        review.table.selectRow(review._row_ids.index(row))
        review.accept_selected()
    if len(rows) > 2:
        review.table.selectRow(review._row_ids.index(rows[-1]))
        review.flag_selected()
        review.table.selectRow(review._row_ids.index(rows[-2]))
        review.edit_selected()
    _grab(window, out / "review.png")
    window.doc.stack.setClean()
    window.close()
    window = _window(_copy(project))
    if run is not None:  # a real model: the slider follows its own threshold
        window.model_workflow.predict_panel.set_threshold(0.5)
    _predict(window, model, image_id, run)
    window.model_workflow.compare_dock.raise_()
    _grab(window, out / "review_compare.png")
    window.doc.stack.setClean()
    window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--simulate", action="store_true", help="review shots without a model")
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--review-image", type=int, default=1)
    parser.add_argument("--train-seconds", type=float, default=600)
    parser.add_argument("--only", choices=("train", "review"))
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if args.only in (None, "train"):
        train_shot(args.project, args.out, args.train_seconds)
    if args.only in (None, "review") and (args.model is not None or args.simulate):
        review_shot(
            args.project, None if args.simulate else args.model, args.review_image, args.out
        )
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
