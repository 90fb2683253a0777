"""Model construction: torchvision Mask R-CNN (several backbones) or the U-Net baseline.

Weights never come from the network: a local file the user picks, torch's local
hub cache when a torchvision checkpoint is already there, else random init.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torchvision.models import mobilenet, resnet
from torchvision.models.detection import (
    MaskRCNN,
    maskrcnn_resnet50_fpn_v2,
)
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN, resnet_fpn_backbone
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.ops import misc as misc_ops
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

from vertapp.errors import ModelError
from vertapp.ml.config import TrainConfig
from vertapp.ml.input_scale import floor_resize
from vertapp.ml.unet import UNet

log = logging.getLogger(__name__)

# torchvision's published file names, looked up in torch.hub.get_dir()/checkpoints.
HUB_FILES: dict[str, tuple[str, ...]] = {
    "resnet50": ("maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth", "resnet50-0676ba61.pth"),
    "resnet50_v2": ("maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth", "resnet50-11ad3fa6.pth"),
    "resnet101": ("resnet101-cd907fc2.pth", "resnet101-63fe2227.pth"),
    "resnet34": ("resnet34-b627a593.pth",),
    "resnet18": ("resnet18-f37072fd.pth",),
    "mobilenet_v3_large": ("mobilenet_v3_large-8738ca79.pth", "mobilenet_v3_large-5c1a4163.pth"),
}

# MobileNetV3-Large blocks whose outputs feed the FPN: the last block at strides 8, 16
# and 32 (40, 112 and 960 channels). Stride 8 keeps a vertebra of a 1024 px whole-spine
# radiograph (~40 x 25 px) several cells wide; torchvision's detection builder uses
# strides 16 and 32 only, which is made for larger objects.
MOBILENET_LAYERS = {"6": "0", "12": "1", "16": "2"}
MOBILENET_CHANNELS = [40, 112, 960]
# One anchor size pair per FPN level (3 levels + the max-pool level), three aspect ratios.
MOBILENET_ANCHORS = ((16, 24), (32, 48), (64, 96), (128, 192))


def pretrained_path(cfg: TrainConfig) -> Path | None:
    """The weights file to start from, or None for random init."""
    if cfg.arch != "maskrcnn" or cfg.weights in ("", "none", None):
        return None
    if cfg.weights != "auto":
        path = Path(cfg.weights)
        if not path.is_file():
            raise ModelError(f"{path}: weights file not found")
        return path
    hub = Path(torch.hub.get_dir()) / "checkpoints"
    for name in HUB_FILES.get(cfg.backbone, ()):
        if (hub / name).is_file():
            return hub / name
    return None


def build_model(cfg: TrainConfig, *, load_weights: bool = True) -> nn.Module:
    """A fresh model for `cfg`; with `load_weights`, initialised from the pretrained file."""
    if cfg.arch == "unet":
        return UNet(cfg.num_classes, cfg.unet_width)
    weights = pretrained_path(cfg) if load_weights else None
    if cfg.frozen_bn is None:  # resolved once, then stored so checkpoints rebuild the same net
        cfg.frozen_bn = weights is not None
    model = _maskrcnn(cfg, cfg.frozen_bn)
    floor_resize(model, cfg.min_scale)
    if weights is not None:
        load_pretrained(model, weights)
    return model


def _maskrcnn(cfg: TrainConfig, pretrained: bool) -> MaskRCNN:
    # From scratch every layer trains with real BatchNorm; on pretrained weights BN
    # is frozen and the first stages stay fixed, as torchvision does. "resnet50" is
    # built the way torchvision's maskrcnn_resnet50_fpn is, so its COCO file loads.
    every = 6 if cfg.backbone == "mobilenet_v3_large" else 5  # stages the backbone has
    trainable = (
        cfg.trainable_layers if cfg.trainable_layers is not None else (3 if pretrained else every)
    )
    kw: dict[str, Any] = dict(
        min_size=cfg.min_size,
        max_size=cfg.max_size,
        box_score_thresh=0.05,
        box_detections_per_img=cfg.detections_per_img,
        rpn_batch_size_per_image=cfg.rpn_batch_size_per_image,
        box_batch_size_per_image=cfg.box_batch_size_per_image,
        rpn_pre_nms_top_n_train=max(cfg.rpn_post_nms_train, 1000),
        rpn_pre_nms_top_n_test=max(cfg.rpn_post_nms_test, 500),
        rpn_post_nms_top_n_train=cfg.rpn_post_nms_train,
        rpn_post_nms_top_n_test=cfg.rpn_post_nms_test,
        _skip_resize=not cfg.resize_in_training,  # torchvision: skip only while training
    )
    if cfg.backbone == "resnet50_v2":  # torchvision's v2 always uses trainable BatchNorm
        # Built without weights, torchvision ignores (and warns about) trainable layers,
        # and ours come later from a file: freeze the stages here, as it would.
        model = maskrcnn_resnet50_fpn_v2(
            weights=None, weights_backbone=None, num_classes=cfg.num_classes, **kw
        )
        _freeze_stages(model.backbone.body, trainable)
        return model
    norm = misc_ops.FrozenBatchNorm2d if pretrained else nn.BatchNorm2d
    if cfg.backbone == "mobilenet_v3_large":
        backbone = _mobilenet_fpn(cfg, norm, trainable)
        kw["rpn_anchor_generator"] = AnchorGenerator(
            MOBILENET_ANCHORS, ((0.5, 1.0, 2.0),) * len(MOBILENET_ANCHORS)
        )
    else:
        backbone = _resnet_fpn(cfg, norm, trainable)
    ch, width = cfg.mask_head_channels, cfg.box_head_width
    if width != 1024:  # else torchvision's own head (same init order as before the option)
        kw["box_head"] = TwoMLPHead(backbone.out_channels * 7 * 7, width)  # 7 x 7 RoIAlign
    return MaskRCNN(
        backbone,
        num_classes=None,  # given through the two predictors
        box_predictor=FastRCNNPredictor(width, cfg.num_classes),
        mask_head=MaskRCNNHeads(backbone.out_channels, [ch] * 4, 1),
        mask_predictor=MaskRCNNPredictor(ch, ch, cfg.num_classes),
        **kw,
    )


def _mobilenet_fpn(cfg: TrainConfig, norm: type[nn.Module], trainable: int) -> BackboneWithFPN:
    """MobileNetV3-Large + FPN (strides 8, 16, 32 and a max-pool level) for CPU training.

    `trainable` counts the last of its 6 stages (as torchvision's mobilenet_backbone);
    the body keeps torchvision's `features` numbering, so an ImageNet file loads into it.
    """
    features = mobilenet.mobilenet_v3_large(weights=None, norm_layer=norm).features
    starts = [0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)]
    starts.append(len(features) - 1)
    first = len(features) if trainable <= 0 else starts[max(len(starts) - trainable, 0)]
    for block in features[:first]:
        block.requires_grad_(False)
    return BackboneWithFPN(
        features,
        return_layers=MOBILENET_LAYERS,
        in_channels_list=MOBILENET_CHANNELS,
        out_channels=cfg.fpn_channels,
        extra_blocks=LastLevelMaxPool(),
    )


def _freeze_stages(body: nn.Module, trainable: int) -> None:
    """Keep only the last `trainable` ResNet stages (of 5, conv1 counting as one) training."""
    train = ["layer4", "layer3", "layer2", "layer1", "conv1"][:trainable]
    if trainable == 5:
        train.append("bn1")
    for name, param in body.named_parameters():
        if not any(name.startswith(layer) for layer in train):
            param.requires_grad_(False)


def _resnet_fpn(cfg: TrainConfig, norm: type[nn.Module], trainable: int) -> BackboneWithFPN:
    """torchvision's resnet_fpn_backbone with a configurable FPN width (same key names)."""
    if cfg.fpn_channels == 256:
        return resnet_fpn_backbone(
            backbone_name=cfg.backbone, weights=None, norm_layer=norm, trainable_layers=trainable
        )
    body = resnet.__dict__[cfg.backbone](weights=None, norm_layer=norm)
    _freeze_stages(body, trainable)
    stage = body.inplanes // 8  # channels entering layer1 x expansion
    return BackboneWithFPN(
        body,
        return_layers={f"layer{i}": str(i - 1) for i in range(1, 5)},
        in_channels_list=[stage * 2**i for i in range(4)],
        out_channels=cfg.fpn_channels,
        extra_blocks=LastLevelMaxPool(),
    )


def _unwrap_state(obj: Any, path: Path) -> dict[str, torch.Tensor]:
    if isinstance(obj, dict) and "model" in obj and isinstance(obj["model"], dict):
        obj = obj["model"]
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ModelError(f"{path}: not a state dict of tensors")
    return {str(k).removeprefix("module."): v for k, v in obj.items()}


def load_pretrained(model: nn.Module, path: Path) -> list[str]:
    """Load a compatible state dict; drop keys whose shapes differ (class heads). Returns them.

    Accepts a whole-model detection checkpoint (keys "backbone.body...", "roi_heads...")
    or an ImageNet classification one (keys "conv1...", "layer1..."), which goes into
    the backbone's body.
    """
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a bad file
        raise ModelError(f"{path}: cannot read weights ({type(err).__name__}: {err})") from err
    state = _unwrap_state(raw, path)
    if not any(k.startswith(("backbone.", "roi_heads.", "rpn.")) for k in state):
        # ImageNet classifier: ResNet keys ("layer1...") or MobileNet keys ("features.3...")
        state = {
            f"backbone.body.{k.removeprefix('features.')}": v
            for k, v in state.items()
            if not k.startswith(("fc.", "classifier."))
        }
    own = model.state_dict()
    dropped = sorted(k for k, v in state.items() if k in own and own[k].shape != v.shape)
    usable = {k: v for k, v in state.items() if k in own and k not in dropped}
    if not usable:
        raise ModelError(f"{path}: no weights match this model (wrong backbone?)")
    model.load_state_dict(usable, strict=False)
    log.info("loaded %d of %d tensors from %s", len(usable), len(own), path)
    if dropped:
        log.info(
            "dropped %d tensors whose shapes differ (new class heads): %s",
            len(dropped),
            ", ".join(dropped),
        )
    return dropped
