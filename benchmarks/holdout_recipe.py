"""The starter model's recipe with real patients held out: its honest held-out score.

    .venv/bin/python benchmarks/holdout_recipe.py --work /tmp/vertapp-real --patient sub-verse007
        [--iterations 864] [--ct-variants 12] [--real PROJECT] [--tag NAME] [--config-from M.pt]

`--work` is a benchmarks/accuracy_real.py output folder: its imported real project
(`real/`), its phantoms (`phantoms/`), its phantom stage (`phantom_only.pt`) and its final
model (`model.pt`, whose stored config is reused: lr, real share, views, input size; or
`--config-from` another checkpoint of the run with the same settings, a fold's
`combined.pt`, while the run has not written model.pt yet). The final stage is trained
again on every real patient but `--patient` (one or more), starting from the same
phantom stage, and scored on each held-out patient (DESIGN.md's mean Dice and
identification, vertapp.ml.train.validate, with the hip anchor where the image has the
landmark) and level-free (the union of all vertebrae).

`--iterations N`: N steps instead of the final model's, the cosine schedule ending at the
same step whatever the number of training images (so runs with and without
`--ct-variants` are paired). `--ct-variants N`: the training patients' re-acquired
copies (vertapp.ml.ct_variants) join their MIPs. `--real`: another import of the same
patients (e.g. a newer one, with landmarks). accuracy_real's folds give the recipes a
few minutes each; this gives a held-out patient the time a real run has.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from vertapp.jobs import run_job
from vertapp.labels import VERTEBRAE
from vertapp.ml.checkpoint import load_checkpoint, read_checkpoint, stored_config
from vertapp.ml.config import TrainConfig
from vertapp.ml.ct_variants import with_ct_variants
from vertapp.ml.dataset import Sample, load_samples
from vertapp.ml.train import train_job, validate


def level_free_dice(model: Path, sample: Sample, thresh: float | None = None) -> float:
    """Dice of all predicted vertebrae together against all labelled ones."""
    from vertapp.annotations.landmarks import record_hip_top_row
    from vertapp.ml.predict import predict_job

    loaded = load_checkpoint(model, "cpu")
    hip = record_hip_top_row(sample.record.get("vertapp"))
    job = predict_job(loaded, [sample.image], score_thresh=thresh, hip_top_rows=[hip])
    (pred,) = run_job(job)
    truth = sample.masks.any(axis=0)
    found = pred.masks.any(axis=0) if len(pred) else np.zeros_like(truth)
    return float(2 * (truth & found).sum() / max(truth.sum() + found.sum(), 1))


def recipe_config(
    source: Path, iterations: int | None, n_images: int, variants: int
) -> TrainConfig:
    cfg = stored_config(read_checkpoint(source), source)
    cfg = cfg.override(ct_variants=variants)
    if iterations is None:
        return cfg
    per_epoch = max(1, n_images * cfg.views_per_image // cfg.batch_size)
    return cfg.override(epochs=-(-iterations // per_epoch), max_iterations=iterations)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", required=True, help="accuracy_real.py --out folder")
    ap.add_argument("--patient", required=True, nargs="+", help="the real patient(s) held out")
    ap.add_argument("--iterations", type=int, help="training steps (default: the final model's)")
    ap.add_argument("--ct-variants", type=int, default=0, help="re-acquired copies per CT")
    ap.add_argument("--real", help="real project to use instead of WORK/real")
    ap.add_argument("--tag", default="", help="suffix of the output folder")
    ap.add_argument(
        "--config-from",
        type=Path,
        help="checkpoint whose stored run settings are the recipe's (default: WORK/model.pt; "
        "a fold's combined.pt has the same ones, before the run has written model.pt)",
    )
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--score-thresh", type=float, help="score at this threshold (default: the recipe's)"
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    work = Path(args.work)
    real_root = Path(args.real) if args.real else work / "real"
    real = load_samples(real_root, list(VERTEBRAE))
    held = [s for s in real if s.patient in args.patient]
    if len(held) != len(args.patient):
        raise SystemExit(f"patients {args.patient}; have {', '.join(s.patient for s in real)}")
    train = [s for s in real if s.patient not in args.patient]
    train = with_ct_variants(train, real_root, args.ct_variants, list(VERTEBRAE))
    n_phantoms = len(load_samples(work / "phantoms", list(VERTEBRAE), with_images=False))
    source = args.config_from or work / "model.pt"
    cfg = recipe_config(source, args.iterations, len(train) + n_phantoms, args.ct_variants)
    out = work / f"holdout-{'+'.join(args.patient)}{args.tag}" / "model.pt"
    print(f"{len(train)} real training images, {cfg.max_iterations} iterations", flush=True)
    t = time.perf_counter()
    run_job(
        train_job(
            cfg,
            train,
            out,
            val_data=[],
            phantoms=work / "phantoms",
            finetune_from=work / "phantom_only.pt",
        )
    )
    minutes = (time.perf_counter() - t) / 60
    rows: dict[str, dict[str, dict[str, float]]] = {}
    for sample in held:
        for name, path in (("phantom stage", work / "phantom_only.pt"), ("recipe", out)):
            loaded = load_checkpoint(path, "cpu")
            thresh = args.score_thresh
            cfg_used = (
                loaded.config if thresh is None else loaded.config.override(score_thresh=thresh)
            )
            dice, ident = validate(loaded.model, cfg_used, [sample])
            free = level_free_dice(path, sample, thresh)
            rows.setdefault(sample.patient, {})[name] = {
                "dice": round(dice, 4),
                "id": round(ident, 4),
                "level_free_dice": round(free, 4),
            }
            print(
                f"{sample.patient} {name}: Dice {dice:.3f}, identification {100 * ident:.0f} %, "
                f"level-free Dice {free:.3f}",
                flush=True,
            )
    report = {
        "patients": args.patient,
        "iterations": cfg.max_iterations,
        "ct_variants": args.ct_variants,
        "real_training_images": len(train),
        "train_minutes": round(minutes, 1),
        "scores": rows,
    }
    (out.parent / "holdout.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
