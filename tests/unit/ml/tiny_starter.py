"""A tiny stand-in for the shipped starter model, made through the same tool
(vertapp.ml.starter.make_starter), for tests that are about the starter's use."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from vertapp.ml.checkpoint import save_checkpoint
from vertapp.ml.config import TrainConfig
from vertapp.ml.model import build_model
from vertapp.ml.starter import ENV_OVERRIDE, make_starter

from .conftest import TINY


def training_checkpoint(path: Path, *, confident: bool = False, **changes) -> Path:
    """A training-style checkpoint (weights + optimizer state) of a tiny random model.

    `confident`: every proposal scores ~1 for T1 and fills its box, so an untrained model
    still predicts vertebrae (the ordering step then labels them top to bottom)."""
    small = dict(backbone="mobilenet_v3_large", box_head_width=64)  # 8 MB, as the real one's kind
    cfg = TrainConfig(**TINY).override(**(small | changes))
    torch.manual_seed(0)
    model = build_model(cfg)
    if confident:
        with torch.no_grad():
            model.roi_heads.box_predictor.cls_score.bias[1] += 12.0
            model.roi_heads.mask_predictor.mask_fcn_logits.bias[1] += 12.0  # filled boxes
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss = sum(p.sum() for p in model.parameters())
    loss.backward()
    opt.step()  # momentum buffers in the optimizer state, as a real run has
    save_checkpoint(
        path,
        {
            "arch": cfg.arch,
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "epoch": 3,
            "epochs_trained": 4,
            "config": cfg.to_dict(),
            "class_names": list(cfg.class_names),
            "best_val_mean_dice": 0.5,
            "history": [{"epoch": 1}],
        },
    )
    return path


def use_tiny_starter(
    folder: Path, monkeypatch: pytest.MonkeyPatch, *, confident: bool = False
) -> Path:
    """Make folder/starter-ct.pt and point VertApp at it as its starter model."""
    src = training_checkpoint(folder / "trained.pt", confident=confident)
    dst = folder / "starter-ct.pt"
    make_starter(src, dst)
    monkeypatch.setenv(ENV_OVERRIDE, str(dst))
    return dst
