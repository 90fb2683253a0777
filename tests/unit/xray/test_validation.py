"""Validation of radiograph body models scores what the evaluation scores: numbered bodies."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from tests.unit.ml.conftest import TINY
from tests.unit.ml.spines import spine_samples
from tests.unit.xray.test_detect import NAMES, _big, _fake_raw, _loaded
from vertapp.jobs import run_job
from vertapp.labels import VERTEBRAE
from vertapp.ml.config import TrainConfig
from vertapp.ml.dataset import Sample
from vertapp.ml.train import train_job
from vertapp.xray import detect
from vertapp.xray.training import grey_u8, resize_long_side
from vertapp.xray.validation import validate_radiographs

LONG_SIDE = 512  # the fake model's max_size: validation images come at the training size


def _sample(img16, parts) -> Sample:
    """The big radiograph as `radiograph_samples` gives it: scaled, masks per class."""
    small, s = resize_long_side(grey_u8(img16), LONG_SIDE)
    h, w = small.shape
    masks = [
        cv2.resize(m.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
        for _, _, m in parts
    ]
    labels = [NAMES.index(lv if part == "body" else part) + 1 for part, lv, _ in parts]
    return Sample(
        image=small,
        masks=np.array(masks),
        labels=np.array(labels, np.int64),
        patient="p1",
        image_id=1,
        file_name="spine.png",
        spacing_mm=(1 / s, 1 / s),
    )


def test_bodies_torn_between_levels_score_as_numbered(monkeypatch):
    """The bug: every body's top class is below the threshold (0.4 of 1), yet each is found
    and the chain numbers it right, so validation must say so (it said ~0 before)."""
    img16, parts = _big()
    monkeypatch.setattr(detect, "maskrcnn_raw", _fake_raw(parts, swap=(), spread=True))
    loaded = _loaded(score_thresh=0.5)
    got = validate_radiographs(loaded.model, loaded.config, [_sample(img16, parts)])
    assert got["val_mean_dice"] > 0.9
    assert got["val_identification_rate"] == 1.0
    assert got["val_level_free_dice"] > 0.9


def test_a_missed_body_costs_only_itself(monkeypatch):
    img16, parts = _big()
    seen = [p for p in parts if (p[0], p[1]) != ("body", "T12")]
    monkeypatch.setattr(detect, "maskrcnn_raw", _fake_raw(seen, swap=(), spread=True))
    loaded = _loaded(score_thresh=0.5)
    got = validate_radiographs(loaded.model, loaded.config, [_sample(img16, parts)])
    n = sum(p[0] == "body" for p in parts)
    assert got["val_identification_rate"] == pytest.approx((n - 1) / n)  # neighbours keep levels
    assert (n - 1) / n - 0.05 < got["val_mean_dice"] < (n - 1) / n + 1e-9
    assert got["val_level_free_dice"] == pytest.approx(got["val_mean_dice"], abs=1e-6)


def test_bodies_numbered_one_level_off_score_zero_per_level_but_not_level_free(monkeypatch):
    """Per-level and level-free Dice are different questions: both are reported."""
    img16, parts = _big()
    monkeypatch.setattr(detect, "maskrcnn_raw", _fake_raw(parts, swap=(), spread=True))
    one_lower = [
        (p, VERTEBRAE[VERTEBRAE.index(lv) + 1] if p == "body" else lv, m) for p, lv, m in parts
    ]
    loaded = _loaded(score_thresh=0.5)
    got = validate_radiographs(loaded.model, loaded.config, [_sample(img16, one_lower)])
    assert got["val_level_free_dice"] > 0.9
    assert got["val_mean_dice"] == 0.0 and got["val_identification_rate"] == 0.0


def test_train_job_scores_each_epoch_with_the_given_validator(tmp_path):
    torch.set_num_threads(2)
    calls: list[int] = []

    def validator(model, cfg, samples):
        calls.append(len(samples))
        dice = [0.6, 0.2][len(calls) - 1]  # epoch 1 is the best
        return {"val_mean_dice": dice, "val_identification_rate": 0.5, "val_level_free_dice": 0.9}

    cfg = TrainConfig(**TINY).override(epochs=2, views_per_image=1)
    samples = spine_samples(3)
    result = run_job(
        train_job(cfg, samples[:2], tmp_path / "m.pt", val_data=samples[2:], validator=validator)
    )
    assert calls == [1, 1]
    assert [h["val_mean_dice"] for h in result.history] == [0.6, 0.2]
    assert all(h["val_level_free_dice"] == 0.9 for h in result.history)
    assert result.best_val_mean_dice == 0.6
    best = torch.load(result.out, map_location="cpu", weights_only=True)
    assert best["epoch"] == 1 and best["epochs_trained"] == 2


def test_vertapp_train_validates_radiograph_projects_on_numbered_bodies():
    from vertapp.commands.train import radiograph_validator

    assert radiograph_validator(spine_samples(1)) is validate_radiographs  # read as samples
    assert radiograph_validator("project/") is None  # CT MIPs: the engine's own validation
