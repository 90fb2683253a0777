"""Accuracy on CT: train on phantom MIPs, test on phantoms of other seeds and on the real CT.

    .venv/bin/python benchmarks/accuracy_ct.py --out /tmp/vertapp-acc [--preset fast]
        [--train 12] [--epochs N] [--device auto] [--quick]

Every spine goes through the app's own pipeline: vertapp.synth.make_ct_phantom ->
vertapp.preprocess.preprocess (canal, crop, sagittal MIP) -> project_labels (ground
truth on the MIP). Training uses the paper's partial views on the fly (4..17
vertebrae). Tests: full MIPs and partial views of unseen phantom seeds, and the real
labelled CT in tests/data/totalseg-example (T11..L5, VerSe ids). Scores: DESIGN.md's
per-vertebra Dice and identification rate (vertapp.ml.metrics.evaluate).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vertapp.jobs import run_job
from vertapp.labels import VERTEBRAE, verse_to_vertebra_id
from vertapp.ml.checkpoint import load_checkpoint
from vertapp.ml.coco_out import predictions_to_coco
from vertapp.ml.config import preset
from vertapp.ml.dataset import Sample, write_samples
from vertapp.ml.metrics import evaluate, format_table
from vertapp.ml.predict import predict_job
from vertapp.ml.train import train_job

REAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "totalseg-example"
LEVELS = [("T1", "L5"), ("T1", "L5"), ("T3", "L5"), ("T1", "L3"), ("T5", "L5"), ("T1", "L5")]


def mip_sample(volume: Any, labels: np.ndarray, name: str, patient: str, image_id: int) -> Sample:
    """Preprocess a CT and project its label volume (ids 1..17) onto the MIP."""
    from vertapp.preprocess import preprocess
    from vertapp.preprocess.label_projection import project_labels

    result = preprocess(volume)
    lab = project_labels(labels, volume, result)
    ids = [int(i) for i in np.unique(lab) if 1 <= i <= 17]
    masks = np.array([lab == i for i in ids], bool).reshape(len(ids), *lab.shape)
    return Sample(
        result.mip_u8,
        masks,
        np.array(ids, np.int64),
        patient=patient,
        image_id=image_id,
        file_name=f"{name}.png",
    )


def phantom_sample(seed: int, image_id: int) -> Sample:
    from vertapp.synth import make_ct_phantom

    first, last = LEVELS[seed % len(LEVELS)]
    rng = np.random.default_rng(seed)
    ph = make_ct_phantom(seed=seed, first=first, last=last, scoliosis_mm=float(rng.uniform(0, 12)))
    return mip_sample(ph.volume, ph.vertebra_labels, f"phantom{seed}", f"phantom{seed}", image_id)


def real_sample(image_id: int) -> Sample:
    from vertapp.io import read_volume

    ct = read_volume(REAL / "ct.nii.gz")
    seg = read_volume(REAL / "seg_vertebrae_T11-L5_verse_ids.nii.gz", require_ct=False)
    verse = np.asarray(seg.array)
    ours = np.zeros(verse.shape, np.uint8)
    for v in np.unique(verse):
        vid = verse_to_vertebra_id(int(v)) if v > 0 else None
        if vid:
            ours[verse == v] = vid
    return mip_sample(ct, ours, "real_ct", "totalseg-example", image_id)


def test_views(samples: list[Sample], per_spine: int, seed: int) -> list[Sample]:
    """Each full MIP plus `per_spine` of its partial views (vertapp.preprocess.partial_views)."""
    from vertapp.preprocess.partial_views import partial_views

    out = []
    rng = np.random.default_rng(seed)
    for s in samples:
        out.append(s)
        lab = np.zeros(s.image.shape, np.uint8)
        for m, v in zip(s.masks, s.labels, strict=True):
            lab[m] = v
        views = partial_views(s.image, lab)
        for k in rng.choice(len(views), min(per_spine, len(views)), replace=False):
            v = views[int(k)]
            ann = np.asarray(v.annotations)
            ids = [int(i) for i in np.unique(ann) if i > 0 and (ann == i).sum() >= 20]
            masks = np.array([ann == i for i in ids], bool).reshape(len(ids), *ann.shape)
            out.append(
                Sample(
                    v.image,
                    masks,
                    np.array(ids, np.int64),
                    patient=s.patient,
                    image_id=len(out) + 1,
                    file_name=f"{Path(s.file_name).stem}_r{v.rows[0]}-{v.rows[1]}.png",
                )
            )
    for i, s in enumerate(out):
        s.image_id = i + 1
    return out


def score(
    model_path: Path, samples: list[Sample], folder: Path, name: str, thresh: float | None
) -> dict[str, Any]:
    gt_path = write_samples(folder / name, samples, list(VERTEBRAE))
    loaded = load_checkpoint(model_path, "cuda" if torch.cuda.is_available() else "cpu")
    t = time.perf_counter()
    preds = run_job(predict_job(loaded, [s.image for s in samples], score_thresh=thresh))
    ms = (time.perf_counter() - t) / len(samples) * 1e3
    gt = json.loads(gt_path.read_text())
    pred = predictions_to_coco(preds, gt["images"], loaded.class_names)
    (folder / f"pred_{name}.json").write_text(json.dumps(pred))
    res = evaluate(gt_path, folder / f"pred_{name}.json")
    print(
        f"\n== {name}: {len(samples)} images, {ms:.0f} ms/image ==\n{format_table(res)}", flush=True
    )
    d = res.to_dict()
    d.pop("vertebrae")
    return d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp/vertapp-accuracy")
    ap.add_argument("--preset", default="fast", choices=("fast", "paper"))
    ap.add_argument("--train", type=int, default=12, help="training spines (phantom seeds)")
    ap.add_argument("--test", type=int, default=3, help="test spines (other seeds)")
    ap.add_argument("--views", type=int, default=10, help="partial views per test spine")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--views-per-image", type=int, default=12)
    ap.add_argument("--min-size", type=int, help="override the preset's input size")
    ap.add_argument("--max-size", type=int)
    ap.add_argument("--score", type=float, help="minimum confidence (default: the preset's)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="4 spines, 2 epochs (smoke run)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    n_train = 4 if args.quick else args.train
    t0 = time.perf_counter()
    train = [phantom_sample(s, i + 1) for i, s in enumerate(range(n_train))]
    test = [phantom_sample(1000 + s, i + 1) for i, s in enumerate(range(args.test))]
    real = real_sample(1)
    print(
        f"built {n_train} training + {args.test} test phantoms + real CT in "
        f"{time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    data = write_samples(out / "train", train, list(VERTEBRAE)).parent
    cfg = preset(
        args.preset,
        device=args.device,
        epochs=2 if args.quick else args.epochs,
        views_per_image=args.views_per_image,
        val_fraction=1 / 6,
        weights="none",
        min_size=args.min_size,
        max_size=args.max_size,
    )
    print(f"config: {json.dumps(cfg.to_dict())}", flush=True)
    t1 = time.perf_counter()

    def show(e: Any) -> None:
        if e.stage != "train" or not e.data or e.data["iteration"] % 20 == 0:
            print(e.message, flush=True)

    result = run_job(train_job(cfg, data, out / "model.pt"), show)
    train_s = time.perf_counter() - t1
    report = {
        "preset": args.preset,
        "device": str(cfg.device),
        "train_spines": n_train,
        "epochs": result.epochs,
        "train_seconds": round(train_s),
        "best_val_mean_dice": result.best_val_mean_dice,
        "command": "python benchmarks/accuracy_ct.py "
        + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if v not in (None, False)
        ),
    }
    report["phantoms"] = score(
        result.out, test_views(test, args.views, 7), out, "phantoms", args.score
    )
    report["real_ct"] = score(result.out, [real], out, "real_ct", args.score)
    (out / "accuracy.json").write_text(json.dumps(report, indent=1))
    print(f"\nwritten {out / 'accuracy.json'} (training {train_s / 60:.1f} min)")


if __name__ == "__main__":
    main()
