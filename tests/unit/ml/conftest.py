"""Shared fixtures for the ml tests: few threads, a tiny model config, tiny data."""

from __future__ import annotations

import pytest
import torch

from vertapp.ml.config import TrainConfig

TINY = dict(
    weights="none",
    backbone="resnet18",
    min_size=128,
    max_size=128,
    batch_size=2,
    views_per_image=2,
    warmup_iters=2,
    lr=0.01,
    box_batch_size_per_image=32,
    rpn_batch_size_per_image=64,
    rpn_post_nms_train=200,
    rpn_post_nms_test=100,
    detections_per_img=20,
    fpn_channels=64,
    mask_head_channels=64,
    score_thresh=0.05,
    val_fraction=0.0,
    device="cpu",
)


@pytest.fixture(autouse=True)
def _few_threads():
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(old)


@pytest.fixture
def tiny_config() -> TrainConfig:
    return TrainConfig(**TINY)
