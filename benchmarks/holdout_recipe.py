"""The starter model's recipe with one real patient held out: its honest held-out score.

    .venv/bin/python benchmarks/holdout_recipe.py --work /tmp/vertapp-real --patient sub-verse007

`--work` is a finished benchmarks/accuracy_real.py output folder: its imported real
project (`real/`), its phantoms (`phantoms/`), its phantom stage (`phantom_only.pt`) and
its final model (`model.pt`, whose stored config is reused unchanged: same iterations,
lr, real share, views). The final stage is trained again on every real patient but
`--patient`, starting from the same phantom stage, and scored on `--patient` (DESIGN.md's
mean Dice and identification, vertapp.ml.train.validate). accuracy_real's folds give the
recipes a few minutes each; this gives the held-out patient the starter's own budget.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from vertapp.jobs import run_job
from vertapp.labels import VERTEBRAE
from vertapp.ml.checkpoint import load_checkpoint, read_checkpoint
from vertapp.ml.config import TrainConfig
from vertapp.ml.dataset import load_samples
from vertapp.ml.train import train_job, validate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", required=True, help="accuracy_real.py --out folder")
    ap.add_argument("--patient", required=True, help="the real patient held out")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    work = Path(args.work)
    real = load_samples(work / "real", list(VERTEBRAE))
    held = [s for s in real if s.patient == args.patient]
    if not held:
        raise SystemExit(f"no patient {args.patient!r}; have {', '.join(s.patient for s in real)}")
    train = [s for s in real if s.patient != args.patient]
    cfg = TrainConfig.from_dict(read_checkpoint(work / "model.pt")["config"])
    out = work / f"holdout-{args.patient}" / "model.pt"
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
    rows = {}
    for name, path in (("phantom stage", work / "phantom_only.pt"), ("recipe", out)):
        loaded = load_checkpoint(path, "cpu")
        dice, ident = validate(loaded.model, loaded.config, held)
        rows[name] = {"dice": round(dice, 4), "id": round(ident, 4)}
        print(f"{args.patient} {name}: Dice {dice:.3f}, identification {100 * ident:.0f} %")
    report = {
        "patient": args.patient,
        "iterations": cfg.max_iterations,
        "train_minutes": round(minutes, 1),
        "scores": rows,
    }
    (out.parent / "holdout.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
