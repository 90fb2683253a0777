"""MobileNetV3-Large FPN backbone: builds, predicts, trains a step, loads a local file, round-trips."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision.models import mobilenet_v3_large

from vertapp.errors import ModelError
from vertapp.ml.checkpoint import load_checkpoint, save_checkpoint
from vertapp.ml.config import TrainConfig, preset
from vertapp.ml.model import build_model

from .conftest import TINY

MOBILE = {**TINY, "backbone": "mobilenet_v3_large"}


def _target(h: int = 128, w: int = 96) -> dict[str, torch.Tensor]:
    masks = torch.zeros(2, h, w, dtype=torch.uint8)
    masks[0, 20:50, 30:70] = 1
    masks[1, 70:100, 30:70] = 1
    boxes = torch.tensor([[30, 20, 70, 50], [30, 70, 70, 100]], dtype=torch.float32)
    return {"boxes": boxes, "labels": torch.tensor([1, 2]), "masks": masks}


def test_mobile_preset_is_the_mobilenet_backbone_from_scratch():
    cfg = preset("mobile", weights="none")
    assert cfg.backbone == "mobilenet_v3_large"
    model = build_model(cfg)
    assert cfg.frozen_bn is False  # random init: real BatchNorm, every stage trains
    body = model.backbone.body
    assert all(p.requires_grad for p in body.parameters())
    assert isinstance(body["0"][1], torch.nn.BatchNorm2d)
    assert model.roi_heads.box_predictor.cls_score.out_features == 18


def test_mobile_preset_fits_the_20_mb_starter_model_limit_in_fp16():
    """The box head is 256 wide in the mobile preset (torchvision's 1024 alone is 15 MB)."""
    model = build_model(preset("mobile", weights="none"))
    head = model.roi_heads.box_head
    assert head.fc6.out_features == 256 and head.fc7.out_features == 256
    assert model.roi_heads.box_predictor.cls_score.in_features == 256
    fp16_bytes = 2 * sum(t.numel() for t in model.state_dict().values() if t.is_floating_point())
    assert fp16_bytes < 20e6
    wide = build_model(preset("mobile", weights="none", box_head_width=1024))
    assert wide.roi_heads.box_head.fc6.out_features == 1024  # the option really switches it


def test_feature_pyramid_has_strides_8_16_32_and_pool():
    model = build_model(TrainConfig(**MOBILE))
    feats = model.backbone(torch.zeros(1, 3, 128, 256))
    assert {k: tuple(v.shape[-2:]) for k, v in feats.items()} == {
        "0": (16, 32),
        "1": (8, 16),
        "2": (4, 8),
        "pool": (2, 4),
    }


def test_forward_in_eval_and_one_training_step_changes_the_weights():
    torch.manual_seed(0)
    model = build_model(TrainConfig(**MOBILE))
    image = torch.rand(3, 128, 96)
    model.train()
    losses = model([image], [_target()])
    assert set(losses) >= {"loss_classifier", "loss_mask", "loss_objectness"}
    total = sum(losses.values())
    assert torch.isfinite(total)
    before = model.backbone.body["0"][0].weight.detach().clone()
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01)
    opt.zero_grad()
    total.backward()
    opt.step()
    assert not torch.equal(before, model.backbone.body["0"][0].weight)
    model.eval()
    with torch.no_grad():
        out = model([image])[0]
    assert out["masks"].shape[-2:] == (128, 96)


def test_local_imagenet_file_loads_into_the_body(tmp_path):
    net = mobilenet_v3_large(weights=None)
    torch.nn.init.constant_(net.features[3].block[0][0].weight, 0.125)
    path = tmp_path / "mobilenet_v3_large_imagenet.pth"
    torch.save(net.state_dict(), path)
    model = build_model(TrainConfig(**{**MOBILE, "weights": str(path)}))
    loaded = model.backbone.body["3"].block[0][0].weight
    assert torch.all(loaded == 0.125)
    # pretrained: BatchNorm frozen, first stages fixed (3 of 6 stages train)
    assert not any(p.requires_grad for p in model.backbone.body["1"].parameters())
    assert all(p.requires_grad for p in model.backbone.body["16"].parameters())


def test_weights_file_of_another_net_is_refused(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"conv.weight": torch.zeros(3)}, path)
    with pytest.raises(ModelError, match="no weights match"):
        build_model(TrainConfig(**{**MOBILE, "weights": str(path)}))


def test_checkpoint_round_trip_with_weights_only(tmp_path):
    cfg = TrainConfig(**{**MOBILE, "class_names": ["body", "pedicle"]})
    model = build_model(cfg)
    path = tmp_path / "m.pt"
    save_checkpoint(
        path,
        {"model": model.state_dict(), "config": cfg.to_dict(), "class_names": ["body", "pedicle"]},
    )
    loaded = load_checkpoint(path)  # torch.load(..., weights_only=True) inside
    assert loaded.class_names == ["body", "pedicle"]
    assert loaded.config.backbone == "mobilenet_v3_large"
    x = [torch.from_numpy(np.random.default_rng(0).random((3, 96, 64), dtype=np.float32))]
    model.eval()
    with torch.no_grad():
        a, b = model(x)[0], loaded.model(x)[0]
    assert torch.equal(a["boxes"], b["boxes"])
