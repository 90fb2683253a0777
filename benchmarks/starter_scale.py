"""The starter model on whole spines and on crops, shown under torchvision's input rule
alone and with the CT floor (vertapp.ml.input_scale), in the same run.

    .venv/bin/python benchmarks/starter_scale.py [--model M.pt] [--spines 12] [--crops 12]
        [--first-seed 400]

Whole spines: realistic phantoms (`realistic_options`, other seeds than any training set)
made to run from T1-T6 to L5, 14-17 vertebrae, a MIP 420-570 px tall. Crops: the same
options as drawn, 4-11 levels (seeds first-seed + 100 ...). Scores: mean Dice and identification per image (vertapp.ml.metrics.score_image), at the
model's threshold, hip landmark given as the app gives it. About 8 minutes on one thread.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torchvision.models.detection.transform import GeneralizedRCNNTransform

from vertapp.labels import VERTEBRAE
from vertapp.ml.checkpoint import load_checkpoint
from vertapp.ml.metrics import score_image, union_by_label
from vertapp.ml.predict import predict_images
from vertapp.ml.starter import starter_path

FIRSTS = ("T1", "T2", "T3", "T4", "T6")


@dataclass
class Case:
    name: str
    mip: np.ndarray
    truth: dict[str, np.ndarray]
    hip_row: float | None


@dataclass
class Tally:
    dice: list[float] = field(default_factory=list)
    ident: list[float] = field(default_factory=list)

    def row(self) -> str:
        return f"{np.mean(self.dice):.3f} / {100 * np.mean(self.ident):.1f} %"


def phantom_case(seed: int, whole: bool) -> Case:
    from vertapp.preprocess import preprocess, project_labels
    from vertapp.preprocess.landmarks import hip_top_row
    from vertapp.synth import make_ct_phantom, realistic_options

    opt = realistic_options(seed)
    if whole:
        opt.update(first=FIRSTS[seed % len(FIRSTS)], last="L5", transitional=None)
    ph = make_ct_phantom(seed=seed, **opt)
    res = preprocess(ph.volume)
    lab = project_labels(ph.vertebra_labels, ph.volume, res)
    truth = {VERTEBRAE[i - 1]: lab == i for i in np.unique(lab) if 1 <= i <= 17}
    truth = {k: m for k, m in truth.items() if m.sum() >= 20}
    return Case(f"phantom {seed} {opt['first']}-{opt['last']}", res.mip_u8, truth, hip_top_row(res))


def score(loaded: Any, case: Case) -> tuple[float, float]:
    [pred] = predict_images(loaded, [case.mip], hip_top_rows=[case.hip_row])
    names = [VERTEBRAE[i - 1] for i in pred.labels]
    scores, _ = score_image(case.truth, union_by_label(list(pred.masks), names, case.mip.shape))
    return float(np.mean([s.dice for s in scores])), float(np.mean([s.identified for s in scores]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="default: the shipped starter")
    ap.add_argument("--spines", type=int, default=12)
    ap.add_argument("--crops", type=int, default=12)
    ap.add_argument("--first-seed", type=int, default=400)
    args = ap.parse_args()
    torch.set_num_threads(1)
    loaded = load_checkpoint(args.model or starter_path())
    floored: Any = loaded.model.transform
    plain = GeneralizedRCNNTransform(
        loaded.config.min_size, loaded.config.max_size, floored.image_mean, floored.image_std
    )
    s0 = args.first_seed
    sets = {
        "whole spines": [phantom_case(s0 + i, True) for i in range(args.spines)],
        "crops (4-11 levels)": [phantom_case(s0 + 100 + i, False) for i in range(args.crops)],
    }
    floor = getattr(floored, "min_scale", 0.0)
    print(
        f"model {args.model or 'the starter'}: min/max {loaded.config.min_size}/{loaded.config.max_size}"
    )
    print(f"| set | images | min/max rule alone | with the floor ({floor:g} px/mm) |")
    print("| --- | --- | --- | --- |")
    for name, cases in sets.items():
        tallies = {"plain": Tally(), "floor": Tally()}
        for case in cases:
            for tag, transform in (("plain", plain), ("floor", floored)):
                loaded.model.transform = transform
                d, i = score(loaded, case)
                tallies[tag].dice.append(d)
                tallies[tag].ident.append(i)
        print(f"| {name} | {len(cases)} | {tallies['plain'].row()} | {tallies['floor'].row()} |")


if __name__ == "__main__":
    main()
