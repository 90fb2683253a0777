"""Model construction, presets and pretrained-weight loading (local files only)."""

from __future__ import annotations

import logging
import warnings

import pytest
import torch
from torchvision.models import resnet18

from vertapp.errors import ModelError
from vertapp.ml.config import TrainConfig, preset
from vertapp.ml.model import build_model, load_pretrained
from vertapp.ml.unet import UNet

from .conftest import TINY


def test_presets_and_overrides_round_trip():
    paper = preset("paper")
    assert (paper.backbone, paper.min_size, paper.max_size) == ("resnet101", 1024, 1024)
    assert (paper.lr, paper.batch_size, paper.score_thresh) == (0.001, 5, 0.9)
    assert paper.num_classes == 18
    fast = preset("fast", lr=0.02, epochs=None)
    assert fast.lr == 0.02 and fast.epochs == preset("fast").epochs
    assert TrainConfig.from_dict({**fast.to_dict(), "future_key": 1}) == fast
    with pytest.raises(ModelError, match="backbone"):
        preset("fast", backbone="vgg")


@pytest.mark.parametrize("backbone", ["resnet50", "resnet50_v2", "resnet101"])
def test_big_backbones_build_with_our_classes(backbone):
    model = build_model(TrainConfig(backbone=backbone, weights="none"))
    assert model.roi_heads.box_predictor.cls_score.out_features == 18
    assert model.roi_heads.mask_predictor.mask_fcn_logits.out_channels == 18


@pytest.mark.parametrize("backbone", ["resnet18", "resnet50_v2"])
def test_trainable_layers_freeze_the_first_stages(backbone):
    """As torchvision does on pretrained weights: only the last N of 5 stages train."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torchvision's "has no effect" warning is a bug here
        model = build_model(TrainConfig(backbone=backbone, weights="none", trainable_layers=3))
    grads = {n: p.requires_grad for n, p in model.backbone.body.named_parameters()}
    for name, trains in grads.items():
        assert trains == name.startswith(("layer2", "layer3", "layer4")), name
    assert all(p.requires_grad for p in model.backbone.fpn.parameters())


def test_whole_model_weights_drop_mismatched_heads(tmp_path, caplog):
    other = build_model(TrainConfig(**{**TINY, "class_names": ["a", "b", "c"]}))
    path = tmp_path / "coco_like.pth"
    torch.save(other.state_dict(), path)
    caplog.set_level(logging.INFO)
    cfg = TrainConfig(**{**TINY, "weights": str(path)})
    model = build_model(cfg)
    assert cfg.frozen_bn is True
    dropped = [m for m in caplog.messages if "dropped" in m]
    assert dropped and "roi_heads.box_predictor.cls_score.weight" in dropped[0]
    assert "roi_heads.mask_predictor.mask_fcn_logits.weight" in dropped[0]
    own = model.state_dict()
    key = "backbone.fpn.inner_blocks.0.0.weight"
    assert torch.equal(own[key], other.state_dict()[key])


def test_imagenet_body_weights_load_into_the_backbone(tmp_path):
    net = resnet18(weights=None)
    path = tmp_path / "resnet18.pth"
    torch.save(net.state_dict(), path)
    model = build_model(TrainConfig(**{**TINY, "weights": str(path)}))
    got = model.backbone.body.conv1.weight
    assert torch.equal(got, net.conv1.weight)


def test_foreign_weights_file_is_a_model_error(tmp_path):
    path = tmp_path / "x.pth"
    torch.save({"something": torch.zeros(3)}, path)
    with pytest.raises(ModelError, match="no weights match"):
        load_pretrained(build_model(TrainConfig(**TINY)), path)
    with pytest.raises(ModelError, match="not found"):
        build_model(TrainConfig(**{**TINY, "weights": str(tmp_path / "none.pth")}))


def test_unet_shapes():
    net = UNet(18, width=4)
    assert net(torch.zeros(1, 1, 64, 32)).shape == (1, 18, 64, 32)
