"""Which level a vertebral body is, read from what lies around it on the film.

The body model's level classes see little more than the body itself (RoIAlign of its
box), and T1 looks like C7, L5 like S1. On the 44 held-out AASCE films the detector
found C7 or S1 as a body on most films, and the chain (`vertapp.ml.numbering`),
numbering what it was given, put T1 on C7 or L5 on S1: 18 films came out one or two
levels off, every body wrong.

This small CNN looks at a tall window around each body, 5 body spacings high and 4
wide, scaled by the local spacing so that every film is seen at the same anatomical
scale: the neighbours above and below, the first ribs beside T1, the last ribs at T12,
the sacrum and iliac wings under L5. It classifies the body as C7, T1..L5 or S1. C7
and S1 are learnt from points one spacing beyond T1 and L5 (`training_points`): the
films label only T1..L5, but these two are what the detector confuses with the ends.

Its probabilities and the detector's classes (weighted `DETECTOR_WEIGHT`: they follow
a body's place in the film as much as its anatomy) are the chain's evidence over 19
levels; bodies the chain places at C7 or S1 are left "unknown" (`context_levels`).
Trained after the body model on the same films (`train_level_context_job`) and stored
in its checkpoint under `level_context`. Pure torch, numpy and OpenCV (no Qt).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

from vertapp.errors import ModelError
from vertapp.jobs import Job, Progress
from vertapp.labels import VERTEBRAE
from vertapp.ml.dataset import Sample
from vertapp.ml.numbering import inner_levels

OUTSIDE_ABOVE, OUTSIDE_BELOW = "C7", "S1"
CONTEXT_LEVELS: tuple[str, ...] = (OUTSIDE_ABOVE, *VERTEBRAE, OUTSIDE_BELOW)
PATCH_H, PATCH_W = 80, 64  # pixels of the window the net sees
WINDOW_H, WINDOW_W = 5.0, 4.0  # the window in local body spacings
DETECTOR_WEIGHT = 0.5  # weight of the detector's log class probabilities beside the net's
# Levels the net cannot tell apart from their neighbours (T3..T11, L1..L4): its
# probability within each group is spread evenly (`combined_evidence`). Its guesses
# there are one level off as often as right, and off the same way along a whole film:
# summed over ten bodies they outvoted the ends, where the first ribs, the sacrum and
# the last rib do tell. On the 12 validation films 64 -> 74 % identified.
FLAT_GROUPS: tuple[tuple[str, ...], ...] = (
    tuple(f"T{i}" for i in range(3, 12)),
    tuple(f"L{i}" for i in range(1, 5)),
)
EVIDENCE_FLOOR = 0.02  # as NumberingRule.evidence_floor: no single class vetoes
CHECKPOINT_KEY = "level_context"


class LevelContextNet(nn.Module):
    """Four conv blocks and a linear layer: ~80 k weights, a few ms per body on a CPU."""

    def __init__(self, n_classes: int = len(CONTEXT_LEVELS)) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1),
                nn.BatchNorm2d(cout),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )

        self.features = nn.Sequential(
            block(1, 16), block(16, 32), block(32, 64), block(64, 96), nn.AdaptiveAvgPool2d(1)
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(96, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def patch(
    grey: np.ndarray, centre: Sequence[float] | np.ndarray, spacing: float, angle: float = 0.0
) -> np.ndarray:
    """The window around `centre` (row, col), WINDOW_H x WINDOW_W spacings, as a
    standardised float32 PATCH_H x PATCH_W image (outside the film: 0 before standardising)."""
    scale = PATCH_H / (WINDOW_H * max(float(spacing), 1e-3))
    row, col = float(centre[0]), float(centre[1])
    m = cv2.getRotationMatrix2D((col, row), float(angle), scale)
    m[0, 2] += PATCH_W / 2 - col
    m[1, 2] += PATCH_H / 2 - row
    p = cv2.warpAffine(
        grey, m, (PATCH_W, PATCH_H), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT
    ).astype(np.float32)
    return (p - p.mean()) / (p.std() + 1e-3)


def training_points(sample: Sample, names: Sequence[str]) -> list[tuple[np.ndarray, float, int]]:
    """(centre, spacing, class index into CONTEXT_LEVELS) of a labelled film's bodies.

    Spacing: the distance to the nearest labelled level, per level step. C7 and S1: one
    spacing beyond T1 and L5 along the spine, where both T1/T2 (L4/L5) are labelled.
    """
    centres: dict[int, np.ndarray] = {}
    for mask, label in zip(sample.masks, sample.labels, strict=True):
        name = names[int(label) - 1]
        if name in VERTEBRAE and mask.any():
            centres[CONTEXT_LEVELS.index(name)] = np.argwhere(mask).mean(axis=0)
    levels = sorted(centres)
    if len(levels) < 2:
        return []
    points = []
    for lv in levels:
        gaps = [np.linalg.norm(centres[o] - centres[lv]) / abs(o - lv) for o in levels if o != lv]
        near = [abs(o - lv) for o in levels if o != lv]
        points.append((centres[lv], float(gaps[int(np.argmin(near))]), lv))
    for end, nxt, out in ((1, 2, 0), (len(VERTEBRAE), len(VERTEBRAE) - 1, len(CONTEXT_LEVELS) - 1)):
        if end in centres and nxt in centres:
            step = centres[end] - centres[nxt]
            points.append((centres[end] + step, float(np.linalg.norm(step)), out))
    return points


def _augmented(
    grey: np.ndarray, centre: np.ndarray, spacing: float, rng: np.random.Generator
) -> np.ndarray:
    """A training window: the point jittered as a detection would be (12 % of a spacing),
    the spacing by 10 %, turned by up to ~15 deg, mirrored, contrast and level changed."""
    c = centre + rng.normal(0, 0.12 * spacing, 2)
    p = patch(grey, c, spacing * float(np.exp(rng.normal(0, 0.1))), float(rng.normal(0, 8)))
    if rng.random() < 0.5:
        p = p[:, ::-1]
    return p * float(np.exp(rng.normal(0, 0.2))) + float(rng.normal(0, 0.1))


def train_level_context_job(
    samples: Sequence[Sample], names: Sequence[str], epochs: int = 40, seed: int = 0
) -> Job[dict[str, torch.Tensor]]:
    """Train the net on labelled films (images as the body model reads them); returns
    its state dict. ModelError when no film has two labelled levels."""
    films = [(s.image, training_points(s, names)) for s in samples]
    films = [f for f in films if f[1]]
    if not films:
        raise ModelError("no film has two labelled vertebral levels: nothing to learn levels from")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = LevelContextNet()
    per_batch = 8  # films per step
    steps = epochs * -(-len(films) // per_batch)
    opt = torch.optim.AdamW(net.parameters(), 2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=steps)
    net.train()
    step = 0
    for epoch in range(epochs):
        order = rng.permutation(len(films))
        for b in range(0, len(order), per_batch):
            batch = [films[i] for i in order[b : b + per_batch]]
            x = np.array([_augmented(g, c, s, rng) for g, pts in batch for c, s, _ in pts])
            y = torch.tensor([k for _, pts in batch for _, _, k in pts])
            loss = nn.functional.cross_entropy(
                net(torch.from_numpy(x.astype(np.float32))[:, None]), y, label_smoothing=0.05
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
        yield Progress(
            "levels",
            step / steps,
            f"level context epoch {epoch + 1}/{epochs}, loss {loss.item():.2f}",
            {"loss": float(loss.item()), "epoch": epoch + 1, "epochs": epochs},
        )
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


@dataclass
class LevelContext:
    """A trained net, ready to read the levels of bodies on a film."""

    net: LevelContextNet

    @classmethod
    def from_state(cls, state: Any, where: str = "checkpoint") -> LevelContext:
        """From a checkpoint's `level_context` entry; ModelError if it does not fit."""
        net = LevelContextNet()
        try:
            net.load_state_dict({k: v.float() for k, v in dict(state).items()})
        except (RuntimeError, TypeError, KeyError, AttributeError, ValueError) as err:
            first = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
            raise ModelError(f"{where}: its level context does not fit ({first})") from err
        return cls(net.eval())

    def probs(self, grey: np.ndarray, centres: np.ndarray, spacing: np.ndarray) -> np.ndarray:
        """(n, 19) probabilities over CONTEXT_LEVELS of bodies at `centres` (row, col)."""
        if not len(centres):
            return np.zeros((0, len(CONTEXT_LEVELS)))
        x = np.array([patch(grey, c, s) for c, s in zip(centres, spacing, strict=True)])
        with torch.no_grad():
            logits = self.net(torch.from_numpy(x.astype(np.float32))[:, None])
        return torch.softmax(logits, dim=1).numpy().astype(np.float64)


def combined_evidence(context_probs: np.ndarray, level_probs: np.ndarray) -> np.ndarray:
    """(n, 19) chain evidence (as probabilities, unnormalised): the net's over
    C7..S1 (spread evenly within FLAT_GROUPS) times the detector's T1..L5 classes to the
    power DETECTOR_WEIGHT (floored; C7 and S1, which the detector has no class for, at
    the floor)."""
    det = np.asarray(level_probs, float)
    det = det / np.maximum(det.sum(axis=1, keepdims=True), 1e-12)
    floor = np.full((len(det), 1), EVIDENCE_FLOOR)
    det = np.maximum(np.hstack([floor, det, floor]), EVIDENCE_FLOOR)
    ctx = np.array(context_probs, float)
    for group in FLAT_GROUPS:
        cols = [CONTEXT_LEVELS.index(lv) for lv in group]
        ctx[:, cols] = ctx[:, cols].mean(axis=1, keepdims=True)
    ctx = np.maximum(ctx, EVIDENCE_FLOOR)
    log = np.log(ctx) + DETECTOR_WEIGHT * np.log(det)
    return np.exp(log - log.max(axis=1, keepdims=True))


def context_levels(chain: np.ndarray) -> np.ndarray:
    """Chain levels over CONTEXT_LEVELS (1..19, 0 = unnumbered) as levels 1..17 of
    VERTEBRAE, C7 and S1 (and unnumbered) as 0."""
    return inner_levels(chain, len(VERTEBRAE))


def add_level_context_job(
    checkpoint: Path, samples: Sequence[Sample], epochs: int = 40, seed: int = 0
) -> Job[Path]:
    """Train the net on `samples` (labelled films read at the body model's size, with its
    class names) and store it in `checkpoint` (atomically, replacing an older one)."""
    from vertapp.ml.checkpoint import read_checkpoint, save_checkpoint

    data = read_checkpoint(checkpoint)
    names = [str(n) for n in data["class_names"]]
    if not set(VERTEBRAE) <= set(names):
        raise ModelError(f"{checkpoint}: not a body model with levels T1..L5")
    data[CHECKPOINT_KEY] = yield from train_level_context_job(samples, names, epochs, seed)
    save_checkpoint(Path(checkpoint), data)
    return Path(checkpoint)
