"""A user's first fine-tune: 10 minutes of CPU on ONE labelled real patient, scored on the others.

    .venv/bin/python benchmarks/finetune_starter.py --phantom-only P.pt --starter S.pt \\
        --out /tmp/vertapp-finetune [--minutes 10] [--train-patient sub-verse007] [--threads 1]

What a radiologist gets from `vertapp train PROJECT --out model.pt` (or the window's train
dialog) with one labelled scan: the default start is the starter model, the run settings
are the default preset's at a fine-tune's lr (fast: lr 0.01 / 10 = 0.001 since round 4,
`--lr` for another; batch 2, 8 views per image, warm-up 50, cosine),
the architecture and input size are the starting model's (vertapp.ml.config.MODEL_FIELDS),
no phantoms mixed in and no validation split (the user has one patient).

Two starts (three with `--start`), each fine-tuned for `--minutes` of training wall time on the same patient:
- phantom-only (`--phantom-only`, accuracy_real.py's `phantom_only.pt`): has seen no real
  patient, so the four scored patients are truly unseen: **the honest measurement**;
- starter (`--starter`, the shipped model): trained on all five real patients, the scored
  ones included: **contaminated**, an upper bound, labelled so in the table.
- optionally (`--start M.pt --start-saw P ...`) the starter's recipe trained without some
  patients (`holdout_recipe.py --patient ...`): the user's case, a starter that has never
  seen their scans. Scores on the patients it did not see are honest; the others are
  marked "(seen)" and left out of its pooled figure.
Each start is also scored before fine-tuning (0 minutes).

Variants of the run (round 13): `--phantoms DIR --real-share S` mixes a phantom project
into the fine-tune (S of the views from the patient; the schedule then spans one epoch of
all views); `--lr` another learning rate; `--check-patient P` keeps a second labelled
patient for checking, as the train dialog's validation split does: the start and each
epoch are scored on it and the best is the model (the start itself when no epoch beats
it), and P is left out of the scored patients.

Data: the real labelled CTs in /work/shared/data, imported as accuracy_real.import_real
does (4 VerSe'19 cases with manual masks; the TotalSegmentator example, whose labels are a
model's output). Default training patient: the VerSe case with the most labelled vertebrae
(sub-verse007, T9-L3), a rule rather than a pick by result. Scores: DESIGN.md's mean Dice
and identification rate (vertapp.ml.train.validate) on each other patient's full MIP at
the model's score threshold, and pooled over their vertebrae. Iterations for the budget
come from a short calibration of the same run (not counted in the budget), or from
`--s-per-iteration` (a speed measured when the CPU was quiet: on a shared CPU the run
then takes longer but does the steps a 10-minute run does); the measured training wall
time is reported beside it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from accuracy_real import DATA, import_real, seconds_per_iteration

from vertapp.jobs import run_job
from vertapp.ml.checkpoint import load_checkpoint
from vertapp.ml.config import TrainConfig, finetune_lr, preset
from vertapp.ml.dataset import Sample, load_samples
from vertapp.ml.train import train_job, validate


def score(model: Path, samples: list[Sample], seen: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Per patient and pooled (over all their vertebrae) mean Dice and identification; the
    pool leaves out the patients in `seen` (the start trained on them: not a held-out
    score, shown in the table as such)."""
    loaded = load_checkpoint(model)
    per, pooled = {}, np.zeros(3)
    for s in samples:
        dice, ident = validate(loaded.model, loaded.config, [s])
        n = len(np.unique(s.labels))  # validate averages over the image's labelled levels
        per[s.patient] = {"dice": round(dice, 4), "id": round(ident, 4), "n": n}
        per[s.patient] |= {"seen": True} if s.patient in seen else {}
        pooled += (dice * n, ident * n, n) if s.patient not in seen else (0, 0, 0)
    dice, ident = pooled[:2] / max(pooled[2], 1)
    return {"per_patient": per, "dice": round(float(dice), 4), "id": round(float(ident), 4)}


def run_config(args: argparse.Namespace) -> TrainConfig:
    """The default `vertapp train` run settings of a fine-tune (the fast preset's, at a tenth
    of its lr: vertapp.ml.config.finetune_lr; `--lr` sets another), no validation split.

    One image at 8 views per epoch would end an epoch (and write a 48 MB checkpoint)
    every 4 iterations: 64 views per epoch draw the same random views, 8x fewer writes."""
    cfg = preset("fast", val_fraction=0.0, device="cpu", seed=args.seed, views_per_image=64)
    cfg = cfg.override(real_share=args.real_share) if args.phantoms else cfg
    return finetune_lr(cfg) if args.lr is None else cfg.override(lr=args.lr)


def finetune(
    start: Path,
    train: list[Sample],
    out: Path,
    cfg: TrainConfig,
    seconds: float,
    s_it: float | None = None,
    phantoms: Path | None = None,
    check: list[Sample] | None = None,
) -> dict[str, Any]:
    s_it = s_it or seconds_per_iteration(cfg, train, out.parent, 4, finetune_from=start)
    iters = max(2, int(seconds / s_it))
    per_epoch = max(1, len(train) * cfg.views_per_image // cfg.batch_size)
    run = cfg.override(epochs=max(1, -(-iters // per_epoch)), max_iterations=iters)
    if phantoms:  # the schedule (warm-up, cosine) spans the epoch's views, phantoms' too
        n_images = len(train) + len(load_samples(phantoms, None, with_images=False))
        views = -(-iters * cfg.batch_size // n_images)
        run = run.override(epochs=1, views_per_image=views)
    t = time.perf_counter()
    result = run_job(
        train_job(run, train, out, val_data=check or [], finetune_from=start, phantoms=phantoms)
    )
    wall = time.perf_counter() - t
    print(f"  {out.name}: {iters} iterations ({s_it:.2f} s each) in {wall:.0f} s", flush=True)
    info = {"iterations": iters, "s_per_iteration": round(s_it, 3), "train_seconds": round(wall)}
    if check:  # the model is the best-validating epoch, or the start if none beat it
        best = result.best_val_mean_dice
        info |= {"kept_start": result.kept_start, "check_dice": best and round(best, 4)}
        print(f"  checked on {check[0].patient}: kept the start: {result.kept_start}", flush=True)
    return info


def _cell(r: dict[str, Any]) -> str:
    return f"{r['dice']:.3f} / {100 * r['id']:.0f} %" + (" (seen)" if r.get("seen") else "")


def table(rows: dict[str, dict[str, Any]], patients: list[str]) -> str:
    head = "| start | minutes | " + " | ".join(patients) + " | pooled Dice / id |"
    lines = [head, "|" + " --- |" * (len(patients) + 3)]
    for name, r in rows.items():
        cells = [_cell(r["per_patient"][p]) for p in patients]
        pooled = f"**{r['dice']:.3f} / {100 * r['id']:.0f} %**"
        lines.append(f"| {name} | {r['minutes']} | " + " | ".join(cells) + f" | {pooled} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phantom-only", type=Path, required=True, help="model that saw no real CT")
    ap.add_argument("--starter", type=Path, required=True, help="the starter model (all 5 seen)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/vertapp-finetune"))
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--minutes", type=float, default=10.0, help="training wall time per start")
    ap.add_argument("--train-patient", default="sub-verse007")
    ap.add_argument(
        "--s-per-iteration",
        type=float,
        help="iterations = minutes / this (e.g. the quiet-CPU speed of accuracy_real.py's "
        "calibration), instead of calibrating now: a shared CPU then costs time, not steps",
    )
    ap.add_argument(
        "--only",
        choices=("honest", "starter", "held-out"),
        help="run one start (default: each given, in order)",
    )
    ap.add_argument(
        "--start",
        type=Path,
        help="a third start: the starter's recipe trained without some of the scored patients "
        "(holdout_recipe.py --patient ...), honest on those",
    )
    ap.add_argument(
        "--start-saw", nargs="*", default=[], help="the real patients --start was trained on"
    )
    ap.add_argument(
        "--check-patient",
        help="a second labelled patient kept for checking (the train dialog's validation "
        "split): each epoch is scored on it, the start too, and the best is the model",
    )
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, help="learning rate (default: the app's, the preset's)")
    ap.add_argument(
        "--phantoms",
        type=Path,
        help="a phantom project (accuracy_real.py's DIR/phantoms) mixed into the fine-tune",
    )
    ap.add_argument(
        "--real-share", type=float, default=0.5, help="share of views from the real patient"
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    real = import_real(args.out, args.data)
    train = [s for s in real if s.patient == args.train_patient]
    check = [s for s in real if s.patient == args.check_patient]
    test = [s for s in real if s.patient not in (args.train_patient, args.check_patient)]
    if not train:
        raise SystemExit(f"no patient {args.train_patient}: {[s.patient for s in real]}")
    patients = [s.patient for s in test]
    cfg = run_config(args)
    rows: dict[str, dict[str, Any]] = {}
    none: frozenset[str] = frozenset()  # the starter's row says CONTAMINATED in its name
    starts = {
        "phantom-only (honest: no real patient seen)": ("honest", args.phantom_only, none),
        "starter (CONTAMINATED: all 5 seen)": ("starter", args.starter, none),
    }
    if args.start:
        saw = frozenset(args.start_saw)
        name = f"starter recipe, saw only {', '.join(sorted(saw))} (others honest)"
        starts[name] = ("held-out", args.start, saw)
    for k, (name, (key, start, seen)) in enumerate(starts.items()):
        if args.only and key != args.only:
            continue
        print(f"{name}: scoring the start, then {args.minutes:g} min on {args.train_patient}")
        rows[f"{name}, before"] = {**score(start, test, seen), "minutes": 0}
        out = args.out / f"finetuned_{k}.pt"
        info = finetune(
            start, train, out, cfg, args.minutes * 60, args.s_per_iteration, args.phantoms, check
        )
        rows[f"{name}, fine-tuned"] = {**score(out, test, seen), "minutes": args.minutes, **info}
    text = table(rows, patients)
    print("\n" + text, flush=True)
    report = {
        "command": "python benchmarks/finetune_starter.py "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()),
        "train_patient": args.train_patient,
        "test_patients": patients,
        "run_config": {k: getattr(cfg, k) for k in ("lr", "batch_size", "views_per_image")},
        "rows": rows,
        "table": text,
        "total_seconds": round(time.perf_counter() - t0),
    }
    name = f"finetune_starter{'_' + args.only if args.only else ''}.json"
    (args.out / name).write_text(json.dumps(report, indent=1, default=str))
    print(f"written {args.out / name}")


if __name__ == "__main__":
    main()
