"""Accuracy on real labelled CTs, leave-one-patient-out, four recipes in one run.

    .venv/bin/python benchmarks/accuracy_real.py --out /tmp/vertapp-real [--budget-min 70]
        [--phantoms 20] [--preset mobile] [--min-size 384] [--max-size 512] [--quick]
        [--final-only]   # the starter model alone: phantom stage + final, 40 % / 60 %
        [--final-from starter|phantom-stage]
        [--rescore --score-thresh T]   # an earlier run's fold models scored again at T

Data: the real labelled CTs in /work/shared/data, imported with vertapp.ctimport exactly
as `vertapp import` does: verse-train (4 VerSe'19 cases, manual masks) and the
totalseg-example (its labels are a TotalSegmentator model's output, not manual: Dice
against them measures agreement with that model). Phantoms: `--phantoms` spines drawn
with vertapp.synth.realistic_options(seed) (1-5 mm slices, kernels, noise, degeneration,
narrow crops), through the same preprocessing.

For each held-out patient (the other four train):
- phantom-only: the stage-1 model (phantoms alone; trained once, the same for all folds);
- real-only:    Mask R-CNN from scratch on the four other real MIPs (and their copies);
- combined:     vertapp.ml.recipe's stage 2: fine-tuned from the phantom-only model on
                the four others and `--ct-variants` (12) re-acquired copies of each
                (vertapp.ml.ct_variants: turned, re-sliced, re-kerneled; round 6),
                phantoms mixed in at `--real-share` (0.5);
- U-Net:        the paper's baseline (vertapp.ml.unet) on the same real + phantom mix.
Scores: DESIGN.md's mean Dice and identification rate (vertapp.ml.train.validate, i.e.
vertapp.ml.metrics.score_image) on the held-out patient's full MIP at the recipe's score
threshold (`--score-thresh`: 0.3 since round 7, the mobile preset has 0.5).

The combined recipe on all five patients writes `--out/model.pt` (trained right after the
phantom stage, before the folds): the model a user gets. Since round 12 it continues the
shipped starter model (`--final-from starter`, the default, at the app's fine-tune lr;
`phantom-stage` for the folds' start), which this recipe made (rounds 7 and 11): a run's
budget adds to the starter's training instead of starting again from a short phantom
stage. The folds still start from the phantom stage (the starter has seen every
patient), so the table measures the recipe, not the final model.

Budget: `--budget-min` minutes of training, split explicitly (BUDGET_SPLIT below); each
run's iteration count comes from a measured seconds-per-iteration (calibration run at
the start), so the split holds on any machine. Data preparation (~1-2 minutes) and
per-run overhead (~5 s x 17 runs) come on top, and the re-acquired copies the first time
(60 copies, ~5 minutes on 2 threads; cached in `--out/real`). `--quick`: 3 phantoms, small inputs, ~1 minute of training per stage: a smoke
run whose numbers mean nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vertapp.errors import ModelError
from vertapp.jobs import run_job
from vertapp.labels import VERTEBRAE
from vertapp.ml.checkpoint import load_checkpoint
from vertapp.ml.config import TrainConfig, finetune_lr, preset
from vertapp.ml.ct_variants import with_ct_variants
from vertapp.ml.dataset import Sample, load_samples, write_samples
from vertapp.ml.starter import starter_path
from vertapp.ml.train import train_job, validate

DATA = Path("/work/shared/data")
# Share of the training budget per stage (phantom pretraining is shared by all folds).
BUDGET_SPLIT = {"pretrain": 0.20, "real_only": 0.15, "combined": 0.20, "unet": 0.15, "final": 0.30}
# --final-only: the starter model's recipe alone (no folds), the whole budget for it.
FINAL_ONLY_SPLIT = {"pretrain": 0.40, "final": 0.60}
STARTER_ONLY_SPLIT = {"final": 1.0}  # --final-only continuing the starter: no phantom stage
METHODS = ("phantom_only", "real_only", "combined", "unet")
# Round 7: the chain reads its spacing from the confident boxes, so boxes down to 0.3 no
# longer cost the sure ones. Round 6's held-out fold models (864 iterations, paired with
# and without copies): 0.515 / 57 % at the mobile preset's 0.5, 0.620 / 70 % at 0.3
# (without copies 0.512 -> 0.596); the starter on 12 unseen phantoms 0.788 -> 0.843.
SCORE_THRESH = 0.3


def import_real(out: Path, data: Path) -> list[Sample]:
    """The real labelled CTs into a fresh project via vertapp.ctimport; its samples."""
    from vertapp.ctimport import find_cases, import_to_folder_job
    from vertapp.ctimport.case import CaseSpec

    ts = data / "totalseg-example"
    cases = find_cases(data / "verse-train").cases
    cases.append(
        CaseSpec(
            ct=ts / "ct.nii.gz",
            labels=ts / "seg_vertebrae_T11-L5_verse_ids.nii.gz",
            name="totalseg-example",
            patient="totalseg-example",
        )
    )
    project = out / "real"
    shutil.rmtree(project, ignore_errors=True)  # our own output folder: a rerun starts clean
    report = run_job(import_to_folder_job(project, cases))
    for name, why in report.failed.items():
        print(f"import failed: {name}: {why}", flush=True)
    for case in report.imported:
        print(f"imported {case.name}: {' '.join(case.levels)} {case.left_out or ''}", flush=True)
    return load_samples(project, list(VERTEBRAE))


def real_samples(out: Path, data: Path) -> list[Sample]:
    """An earlier run's imported project as it is (its cached re-acquired copies kept), or a
    fresh import where there is none."""
    project = out / "real"
    if (project / "project.json").is_file():
        return load_samples(project, list(VERTEBRAE))
    return import_real(out, data)


def phantom_samples(n: int, out: Path, neck: int = 0) -> Path:
    """`n` realistic phantoms and `neck` neck-to-thorax ones (round 11: C2-C4 down to
    T4-T10, the cervical vertebrae unlabelled, so the model learns they are none of
    T1..L5) through the app's preprocessing, written as a project."""
    from vertapp.preprocess import preprocess, project_labels
    from vertapp.synth import make_ct_phantom, neck_options, realistic_options

    samples = []
    drawn = [(seed, realistic_options(seed)) for seed in range(n)]
    drawn += [(seed, neck_options(seed)) for seed in range(neck)]
    for i, (seed, options) in enumerate(drawn):
        ph = make_ct_phantom(seed=seed, **options)
        res = preprocess(ph.volume)
        lab = project_labels(ph.vertebra_labels, ph.volume, res)
        ids = [int(j) for j in np.unique(lab) if 1 <= j <= 17 and (lab == j).sum() >= 20]
        masks = np.array([lab == j for j in ids], bool).reshape(len(ids), *lab.shape)
        samples.append(
            Sample(
                res.mip_u8,
                masks,
                np.array(ids, np.int64),
                patient=f"phantom{seed}" if i < n else f"neck{seed}",
                image_id=i + 1,
                file_name=f"phantom{seed}.png" if i < n else f"neck{seed}.png",
            )
        )
    return write_samples(out / "phantoms", samples, list(VERTEBRAE)).parent


def seconds_per_iteration(
    cfg: TrainConfig, data: Any, folder: Path, iterations: int = 5, **train_kw: Any
) -> float:
    """Measured wall time of one training iteration (median of a few after the first).

    `train_kw` go to train_job (e.g. `finetune_from`), so the probe is the run to come."""
    times: list[float] = []
    last = [time.perf_counter()]

    def tick(e: Any) -> None:
        if e.stage == "train" and e.data:
            now = time.perf_counter()
            times.append(now - last[0])
            last[0] = now
        elif e.stage == "train":
            last[0] = time.perf_counter()

    probe = cfg.override(epochs=1, max_iterations=iterations, val_fraction=0.0)
    run_job(train_job(probe, data, folder / "probe.pt", val_data=[], **train_kw), tick)
    return float(np.median(times[1:] if len(times) > 2 else times))


def budgeted(cfg: TrainConfig, seconds: float, s_it: float, n_images: int) -> TrainConfig:
    """`cfg` with epochs / max_iterations that fill `seconds` at `s_it` per iteration."""
    iters = max(2, int(seconds / s_it))
    per_epoch = max(1, n_images * cfg.views_per_image // cfg.batch_size)
    epochs = max(1, min(iters // per_epoch, 200))
    return cfg.override(epochs=epochs, max_iterations=iters)


def score(model: Path, samples: list[Sample], thresh: float | None = None) -> dict[str, float]:
    """Mean Dice and identification at the model's threshold, or at `thresh`."""
    loaded = load_checkpoint(model, "cuda" if torch.cuda.is_available() else "cpu")
    cfg = loaded.config if thresh is None else loaded.config.override(score_thresh=thresh)
    dice, ident = validate(loaded.model, cfg, samples)
    return {"dice": round(dice, 4), "id": round(ident, 4)}


def rescore(out: Path, real: list[Sample], thresh: float) -> None:
    """The fold models of an earlier run in `out`, scored again at `thresh` (today's code)."""
    rows = {}
    for k, held in enumerate(real):
        models = {m: out / f"fold{k + 1}" / f"{m}.pt" for m in METHODS}
        models["phantom_only"] = out / "phantom_only.pt"
        rows[held.patient] = {m: score(p, [held], thresh) for m, p in models.items()}
    print(f"\nat a score threshold of {thresh:g}:")
    table = print_table(rows)
    report = {"score_thresh": thresh, "per_patient": rows, "table": table}
    (out / f"rescore_{thresh:g}.json").write_text(json.dumps(report, indent=1))


class Runner:
    """Trains the recipes for one run, each within its share of the budget."""

    def __init__(self, args: argparse.Namespace, phantoms: Path, out: Path) -> None:
        self.args, self.phantoms, self.out = args, phantoms, out
        self.base = preset(
            args.preset,
            weights=args.weights,
            min_size=args.min_size,
            max_size=args.max_size,
            views_per_image=args.views_per_image,
            ct_variants=args.ct_variants,  # recorded in the checkpoints; added by with_variants
            score_thresh=args.score_thresh,
            val_fraction=0.0,
            device=args.device,
        )
        self.budget_s = args.budget_min * 60.0
        self.starter = final_start(args.final_from)
        self.n_phantoms = len(load_samples(phantoms, list(VERTEBRAE), with_images=False))
        t = time.perf_counter()
        self.s_it = seconds_per_iteration(self.base, phantoms, out)
        self.s_it_unet = seconds_per_iteration(self.unet_cfg(), phantoms, out)
        print(
            f"calibration: {self.s_it:.2f} s/iteration Mask R-CNN, {self.s_it_unet:.2f} U-Net "
            f"({time.perf_counter() - t:.0f} s)",
            flush=True,
        )

    def unet_cfg(self) -> TrainConfig:
        return self.base.override(arch="unet", lr=0.05, unet_width=16)

    def seconds(self, stage: str, runs: int) -> float:
        return self.budget_s * self.split[stage] / runs

    @property
    def split(self) -> dict[str, float]:
        if not self.args.final_only:
            return BUDGET_SPLIT
        return STARTER_ONLY_SPLIT if self.starter else FINAL_ONLY_SPLIT

    def _train(self, cfg: TrainConfig, data: Any, out: Path, **kw: Any) -> Path:
        t = time.perf_counter()

        def show(e: Any) -> None:
            if e.stage == "epoch":
                print(f"  {out.name}: {e.message}", flush=True)

        result = run_job(train_job(cfg, data, out, val_data=[], **kw), show)
        print(
            f"  {out.name}: {cfg.max_iterations} it in {time.perf_counter() - t:.0f} s", flush=True
        )
        return result.out

    def pretrain(self) -> Path:
        cfg = budgeted(self.base, self.seconds("pretrain", 1), self.s_it, self.n_phantoms)
        return self._train(cfg, self.phantoms, self.out / "phantom_only.pt")

    def with_variants(self, real: list[Sample]) -> list[Sample]:
        """The training patients' MIPs and their re-acquired copies (ml/ct_variants.py)."""
        n = self.args.ct_variants
        return with_ct_variants(real, self.out / "real", n, list(VERTEBRAE), self.base.seed)

    def fold(self, train: list[Sample], name: str, start: Path, folds: int) -> dict[str, Path]:
        train = self.with_variants(train)
        n_mix = len(train) + self.n_phantoms
        mixed = self.base.override(real_share=self.args.real_share)
        real_only = budgeted(self.base, self.seconds("real_only", folds), self.s_it, len(train))
        comb = budgeted(mixed, self.seconds("combined", folds), self.s_it, n_mix)
        comb = comb.override(lr=self.base.lr * self.args.finetune_lr_factor)
        unet = budgeted(
            self.unet_cfg().override(real_share=self.args.real_share),
            self.seconds("unet", folds),
            self.s_it_unet,
            n_mix,
        )
        d = self.out / name
        return {
            "real_only": self._train(real_only, train, d / "real_only.pt"),
            "combined": self._train(
                comb, train, d / "combined.pt", phantoms=self.phantoms, finetune_from=start
            ),
            "unet": self._train(unet, train, d / "unet.pt", phantoms=self.phantoms),
        }

    def final(self, real: list[Sample], start: Path | None) -> Path:
        """The model a user gets (`--out/model.pt`): all real patients and their copies,
        phantoms mixed in, fine-tuned from the shipped starter (`--final-from starter`,
        at the app's fine-tune lr: it continues a model made by this recipe) or from
        this run's phantom stage (as the folds are, at `--finetune-lr-factor`)."""
        real = self.with_variants(real)
        n_mix = len(real) + self.n_phantoms
        cfg = self.base.override(real_share=self.args.real_share)
        cfg = budgeted(cfg, self.seconds("final", 1), self.s_it, n_mix)
        starter = self.starter
        lr = finetune_lr(self.base).lr if starter else self.base.lr * self.args.finetune_lr_factor
        print(f"final model from {starter or 'the phantom stage'} at lr {lr:g}", flush=True)
        return self._train(
            cfg.override(lr=lr),
            real,
            self.out / "model.pt",
            phantoms=self.phantoms,
            finetune_from=starter or start,
        )


def final_start(choice: str) -> Path | None:
    """The shipped starter when the final model is to continue it and this installation
    has it (VERTAPP_STARTER_MODEL may turn it off), else None: the phantom stage."""
    if choice != "starter":
        return None
    try:
        return starter_path()
    except ModelError as err:
        print(f"note: {err}; the final model starts from the phantom stage", flush=True)
        return None


def print_table(rows: dict[str, dict[str, dict[str, float]]]) -> str:
    head = "| held-out patient | " + " | ".join(f"{m} Dice / id" for m in METHODS) + " |"
    lines = [head, "|" + " --- |" * (len(METHODS) + 1)]
    for patient, res in rows.items():
        cells = [f"{res[m]['dice']:.3f} / {100 * res[m]['id']:.0f} %" for m in METHODS]
        lines.append(f"| {patient} | " + " | ".join(cells) + " |")
    means = [
        f"{np.mean([r[m]['dice'] for r in rows.values()]):.3f} / "
        f"{100 * np.mean([r[m]['id'] for r in rows.values()]):.0f} %"
        for m in METHODS
    ]
    lines.append("| **mean** | " + " | ".join(means) + " |")
    text = "\n".join(lines)
    print("\n" + text, flush=True)
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp/vertapp-real")
    ap.add_argument("--data", default=str(DATA), help="folder with verse-train/, totalseg-example/")
    ap.add_argument("--budget-min", type=float, default=70.0, help="training minutes in all")
    ap.add_argument("--phantoms", type=int, default=20, help="realistic phantom spines")
    ap.add_argument(
        "--neck-phantoms", type=int, default=12, help="neck-to-thorax phantoms (round 11)"
    )
    ap.add_argument("--preset", default="mobile", choices=("mobile", "fast", "paper"))
    ap.add_argument("--weights", default="none", help="pretrained weights file (default: none)")
    ap.add_argument("--min-size", type=int, default=384)
    ap.add_argument("--max-size", type=int, default=512)
    ap.add_argument("--views-per-image", type=int, default=8)
    ap.add_argument("--real-share", type=float, default=0.5)
    ap.add_argument(
        "--ct-variants",
        type=int,
        default=12,
        help="re-acquired copies per real training CT (vertapp.ml.ct_variants; 0: none)",
    )
    ap.add_argument("--finetune-lr-factor", type=float, default=0.5)
    ap.add_argument(
        "--final-from",
        choices=("starter", "phantom-stage"),
        default="starter",
        help="the final model's start: the shipped starter model (continued with this run's "
        "data; round 12) or this run's phantom stage (the folds' start, rounds 2-11)",
    )
    ap.add_argument(
        "--score-thresh",
        type=float,
        default=SCORE_THRESH,
        help="the models' score threshold (scores and the starter's own; docs/ml.md round 7)",
    )
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="smoke run: numbers mean nothing")
    ap.add_argument(
        "--final-only", action="store_true", help="only the final (starter) model, no folds"
    )
    ap.add_argument(
        "--rescore",
        action="store_true",
        help="no training: score --out's fold models again at --score-thresh, on the "
        "real project the run imported (its cached copies kept)",
    )
    args = ap.parse_args()
    if args.quick:
        args.phantoms, args.neck_phantoms, args.budget_min = 3, 1, 4.0
        args.min_size, args.max_size, args.views_per_image = 192, 256, 2
        args.ct_variants = min(args.ct_variants, 2)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if args.rescore:
        rescore(out, real_samples(out, Path(args.data)), args.score_thresh)
        return
    real = import_real(out, Path(args.data))
    phantoms = phantom_samples(args.phantoms, out, args.neck_phantoms)
    t_data = time.perf_counter() - t0
    print(
        f"{len(real)} real patients, {args.phantoms} + {args.neck_phantoms} neck phantoms in {t_data:.0f} s",
        flush=True,
    )
    runner = Runner(args, phantoms, out)
    # the phantom stage: the folds' start, and the final model's when it is not the starter
    start = None if args.final_only and runner.starter else runner.pretrain()
    # The final model first: it is the starter model, wanted even if the folds are cut short.
    final = runner.final(real, start)
    rows: dict[str, dict[str, dict[str, float]]] = {}
    for k, held in enumerate([] if args.final_only else real):
        train = [s for j, s in enumerate(real) if j != k]
        print(f"fold {k + 1}/{len(real)}: held out {held.patient}", flush=True)
        assert start is not None  # folds run only where the phantom stage was trained
        models = runner.fold(train, f"fold{k + 1}", start, len(real))
        models["phantom_only"] = start
        rows[held.patient] = {m: score(models[m], [held]) for m in METHODS}
    table = print_table(rows) if rows else ""
    total = time.perf_counter() - t0
    report = {
        "command": "python benchmarks/accuracy_real.py "
        + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if v not in (None, False)
        ),
        "quick": args.quick,
        "budget_split": runner.split,
        "final_from": str(runner.starter or "phantom stage"),
        "seconds_per_iteration": {"maskrcnn": runner.s_it, "unet": runner.s_it_unet},
        "per_patient": rows,
        "table": table,
        "final_model": str(final),
        "data_seconds": round(t_data),
        "total_seconds": round(total),
    }
    (out / "accuracy_real.json").write_text(json.dumps(report, indent=1))
    print(f"\nfinal model {final}; written {out / 'accuracy_real.json'} ({total / 60:.1f} min)")


if __name__ == "__main__":
    main()
