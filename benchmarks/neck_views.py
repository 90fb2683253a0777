"""The starter model on neck-to-thorax views, against the same phantoms seen from T1 down.

    .venv/bin/python benchmarks/neck_views.py [--model M.pt] [--images 12] [--first-seed 900]

Phantoms: `neck_options(seed)` (vertapp.synth.realism; seeds 900+, never in a training
set): from C2-C4 (mostly C3) down to T4-T10, realistic protocols (1-5 mm slices, kernels,
noise, narrow crops, degeneration). Baseline in the same run: the same seed and options
with the field of view starting at T1 (the anatomy and the thoracic levels are the same;
the neck is left out). Each CT goes through the app's preprocessing, the labels are
projected onto the MIP, and the model predicts as the app does (numbering chain, hip
landmark as the app gives it: none here).

Per image: identification and mean Dice over the visible T1..Tk (vertapp.ml.metrics,
at the model's threshold), and the cervical vertebrae the model gave a T1..L5 label: a
prediction whose mask lies mostly (>= 50 %) on one cervical vertebra's projection. The
"raw" columns use the detector's own labels before the numbering chain reorders them.
About 5 minutes on one thread for 12 images.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vertapp.labels import VERTEBRAE
from vertapp.ml.checkpoint import load_checkpoint
from vertapp.ml.metrics import score_image, union_by_label
from vertapp.ml.predict import Prediction, predict_images
from vertapp.ml.starter import starter_path

MIN_PX = 20  # a vertebra needs this many MIP pixels to count (as benchmarks/starter_scale.py)


@dataclass
class View:
    name: str
    mip: np.ndarray
    truth: dict[str, np.ndarray]  # visible T1..L5 on the MIP
    neck: dict[str, np.ndarray]  # visible cervical vertebrae on the MIP ("C3": mask)
    hip_row: float | None


@dataclass
class Score:
    dice: float
    ident: float
    cervical: list[str]  # e.g. ["C7:T1"]: a cervical vertebra and the T..L label it got

    @property
    def boxed(self) -> int:
        """Cervical vertebrae with at least one such prediction."""
        return len({hit.split(":")[0] for hit in self.cervical})


def make_view(seed: int, options: dict[str, Any]) -> View:
    from vertapp.preprocess import preprocess, project_labels
    from vertapp.preprocess.landmarks import hip_top_row
    from vertapp.synth import make_ct_phantom

    ph = make_ct_phantom(seed=seed, **options)
    res = preprocess(ph.volume)
    lab = project_labels(ph.vertebra_labels, ph.volume, res)
    truth = {VERTEBRAE[i - 1]: lab == i for i in np.unique(lab) if 1 <= i <= 17}
    neck: dict[str, np.ndarray] = {}
    if ph.cervical_labels is not None:
        cerv = project_labels(ph.cervical_labels, ph.volume, res)
        neck = {f"C{i}": cerv == i for i in np.unique(cerv) if 1 <= i <= 7}
    truth = {k: m for k, m in truth.items() if m.sum() >= MIN_PX}
    neck = {k: m for k, m in neck.items() if m.sum() >= MIN_PX}
    name = f"{seed} {options['first']}-{options['last']}"
    return View(name, res.mip_u8, truth, neck, hip_top_row(res))


def cervical_hits(pred: Prediction, names: list[str], neck: dict[str, np.ndarray]) -> list[str]:
    """'C7:T1' for every prediction lying mostly on one cervical vertebra."""
    hits = []
    for mask, label in zip(pred.masks, names, strict=True):
        area = max(int(mask.sum()), 1)
        for level, m in neck.items():
            if np.logical_and(mask, m).sum() >= 0.5 * area:
                hits.append(f"{level}:{label}")
    return sorted(hits, key=lambda h: -int(h.split(":")[0][1:]))  # C7 first


def score(loaded: Any, view: View, raw: bool) -> Score:
    [pred] = predict_images(loaded, [view.mip], hip_top_rows=[view.hip_row], order=not raw)
    names = [VERTEBRAE[i - 1] for i in pred.labels]
    found = union_by_label(list(pred.masks), names, view.mip.shape)
    scores, _ = score_image(view.truth, found)
    return Score(
        float(np.mean([s.dice for s in scores])),
        float(np.mean([s.identified for s in scores])),
        cervical_hits(pred, names, view.neck),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="default: the shipped starter")
    ap.add_argument("--images", type=int, default=12)
    ap.add_argument("--first-seed", type=int, default=900)
    args = ap.parse_args()
    from vertapp.synth import neck_options

    torch.set_num_threads(1)
    loaded = load_checkpoint(args.model or starter_path())
    t0 = time.time()
    print(f"model {args.model or 'the starter'}, threshold {loaded.config.score_thresh:g}")
    print(
        "| seed, view | slices mm | neck view: ident / Dice of T1..Tk | cervical given a "
        "T..L label | raw detector: ident / cervical boxed | from T1: ident / Dice | raw: ident |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    rows: list[tuple[Score, Score, Score, Score, int]] = []
    for seed in range(args.first_seed, args.first_seed + args.images):
        options = neck_options(seed)
        neck = make_view(seed, options)
        plain = make_view(seed, {**options, "first": "T1"})
        s = [score(loaded, neck, False), score(loaded, neck, True)]
        s += [score(loaded, plain, False), score(loaded, plain, True)]
        rows.append((*s, len(neck.neck)))
        given = ", ".join(s[0].cervical) or "none"
        print(
            f"| {neck.name} | {options['spacing'][2]:g} | {100 * s[0].ident:.0f} % / "
            f"{s[0].dice:.3f} | {s[0].boxed} of {len(neck.neck)} ({given}) | "
            f"{100 * s[1].ident:.0f} % / {s[1].boxed} | {100 * s[2].ident:.0f} % / "
            f"{s[2].dice:.3f} | {100 * s[3].ident:.0f} % |",
            flush=True,
        )
    mean = [np.mean([[r[k].ident, r[k].dice] for r in rows], axis=0) for k in range(4)]
    boxed = [sum(r[k].boxed for r in rows) for k in (0, 1)]
    visible = sum(r[4] for r in rows)
    print(
        f"| **all {len(rows)}** | | **{100 * mean[0][0]:.0f} % / {mean[0][1]:.3f}** | "
        f"**{boxed[0]} of {visible}** | {100 * mean[1][0]:.0f} % / {boxed[1]} | "
        f"**{100 * mean[2][0]:.0f} % / {mean[2][1]:.3f}** | {100 * mean[3][0]:.0f} % |"
    )
    print(f"({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
