"""The U-Net baseline trains on the same data and is scored the same way."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.jobs import run_job
from vertapp.ml.checkpoint import load_checkpoint
from vertapp.ml.config import TrainConfig
from vertapp.ml.predict import predict_images
from vertapp.ml.train import train_job

from .conftest import TINY
from .spines import spine_samples


@pytest.mark.slow
def test_unet_trains_and_predicts_instances_per_label(tmp_path):
    cfg = TrainConfig(**TINY).override(
        arch="unet", unet_width=4, lr=0.05, epochs=2, views_per_image=3, augment=False
    )
    samples = spine_samples(2)
    events: list = []
    res = run_job(train_job(cfg, samples, tmp_path / "u.pt", val_data=samples[:1]), events.append)
    totals = [e.data["losses"]["total"] for e in events if e.stage == "train" and e.data]
    assert {"loss_ce", "loss_dice"} <= set(
        next(e.data["losses"] for e in events if e.stage == "train" and e.data)
    )
    assert totals[-1] < totals[0]
    loaded = load_checkpoint(res.out)
    assert loaded.arch == "unet"
    (pred,) = predict_images(loaded, [samples[0].image], score_thresh=0.0)
    assert pred.masks.shape[1:] == samples[0].image.shape
    assert len(set(pred.labels)) == len(pred.labels)
    assert len(pred) > 0 and np.all(pred.scores > 0)
