"""Training/prediction settings: one dataclass, two presets, every field overridable."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from vertapp.errors import ModelError
from vertapp.labels import VERTEBRAE

ARCHS = ("maskrcnn", "unet")
MAX_SEED = 2**32 - 1  # numpy and torch take any seed up to here
BACKBONES = ("resnet50", "resnet50_v2", "resnet101", "resnet34", "resnet18", "mobilenet_v3_large")


@dataclass
class TrainConfig:
    """Everything a run needs besides the data. Stored in every checkpoint as a plain dict."""

    arch: str = "maskrcnn"
    backbone: str = "resnet18"
    class_names: list[str] = field(default_factory=lambda: list(VERTEBRAE))
    # "auto": torchvision checkpoint from torch's local hub cache if present, else random;
    # "none": random init; anything else: path of a local weights file.
    weights: str = "auto"
    trainable_layers: int | None = None  # None: 3 with pretrained weights, 5 from scratch
    frozen_bn: bool | None = None  # None: frozen with pretrained weights (set when built)
    min_size: int = 384
    max_size: int = 512
    # Net pixels per image pixel (per mm on a CT MIP's 1 mm grid) below which no image is
    # shrunk: without it a whole spine's MIP was shown at a third of a short crop's size
    # (ml/input_scale.py). 0: torchvision's min/max rule alone (radiographs, which come
    # pre-scaled to their long side, and models written before the field existed ...
    # except those that resize in training: checkpoint.legacy_min_scale).
    min_scale: float = 0.0
    epochs: int = 12
    batch_size: int = 2
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 1e-4
    warmup_iters: int = 50
    lr_schedule: str = "cosine"  # "cosine" or "constant" after warm-up
    score_thresh: float = 0.9
    detections_per_img: int = 40
    # Width of the FPN and mask head (torchvision: 256; COCO checkpoints need 256).
    fpn_channels: int = 256
    mask_head_channels: int = 256
    # Width of the box head's two fully connected layers (torchvision: 1024). At 1024 they
    # hold most of a MobileNet model's weights; 256 keeps the shipped starter model small.
    box_head_width: int = 1024
    # Sampling sizes of the RPN / ROI heads (torchvision: 256 / 512); smaller is faster on CPU.
    rpn_batch_size_per_image: int = 128
    box_batch_size_per_image: int = 128
    # Proposals kept after NMS (torchvision: 2000 train / 1000 test). A spine view has at
    # most 17 objects; fewer proposals cut the ROI heads' cost, the bulk of CPU time.
    rpn_post_nms_train: int = 600
    rpn_post_nms_test: int = 300
    views_per_image: int = 8  # partial views drawn from each image per epoch
    partial_view_prob: float = 0.8
    min_vertebrae: int = 4
    max_vertebrae: int = 17
    augment: bool = True
    rotate_deg: float = 5.0
    scale_range: float = 0.08
    translate_frac: float = 0.04
    # Left-right mirror probability: right for AP radiographs (levels and parts stay
    # valid), wrong for lateral views and MIPs (processes would point forwards).
    hflip_prob: float = 0.0
    # False: training images go into the net at the size they have (data already scaled,
    # e.g. radiographs to a fixed long side, whose partial views must not be blown up
    # to min_size); prediction still resizes by min_size/max_size.
    resize_in_training: bool = True
    val_fraction: float = 0.2
    real_share: float | None = None  # share of views from real scans when phantoms are mixed in
    # Re-acquired copies (ml/ct_variants.py) of each imported labelled CT among the
    # training images: turned, re-sliced, re-kerneled. 0: the imported MIPs alone. Added
    # by training on a project folder; callers passing samples add them with
    # ct_variants.with_ct_variants (they hold no folder to read the CTs from).
    ct_variants: int = 0
    seed: int = 0
    device: str = "auto"
    amp: bool = True  # mixed precision, CUDA only
    workers: int = 0
    max_iterations: int | None = None  # stop early (smoke tests, benchmarks)
    unet_width: int = 16

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a dict, ignoring unknown keys (newer files) and keeping defaults."""
        if not isinstance(data, dict):
            raise ModelError("training config is not a dict")
        known = {f.name for f in fields(cls)}
        cfg = cls(**{k: v for k, v in data.items() if k in known})
        cfg.validate()
        return cfg

    def override(self, **changes: Any) -> TrainConfig:
        """A copy with the non-None `changes` applied."""
        cfg = replace(self, **{k: v for k, v in changes.items() if v is not None})
        cfg.validate()
        return cfg

    def validate(self) -> None:
        self._check_numbers()
        if self.arch not in ARCHS:
            raise ModelError(f"unknown arch {self.arch!r}; choose one of {', '.join(ARCHS)}")
        if self.arch == "maskrcnn" and self.backbone not in BACKBONES:
            raise ModelError(
                f"unknown backbone {self.backbone!r}; choose one of {', '.join(BACKBONES)}"
            )
        if self.batch_size < 1 or self.epochs < 1:
            raise ModelError("batch size and epochs must be >= 1")
        if self.lr <= 0:
            raise ModelError(f"lr must be above 0, got {self.lr:g}")
        if not self.class_names:
            raise ModelError("no class names")
        if self.box_head_width < 16:
            raise ModelError(f"box_head_width must be >= 16, got {self.box_head_width}")
        if self.real_share is not None and not 0.0 <= self.real_share <= 1.0:
            raise ModelError(f"real_share must lie in 0..1, got {self.real_share}")
        if not 0 <= self.ct_variants <= 100:
            raise ModelError(f"ct_variants must lie in 0..100, got {self.ct_variants}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ModelError(f"val_fraction must lie in 0..1 (below 1), got {self.val_fraction}")
        if not 0.0 <= self.score_thresh <= 1.0:
            raise ModelError(f"score_thresh must lie in 0..1, got {self.score_thresh}")
        if not 0.0 <= self.min_scale <= MAX_MIN_SCALE:
            raise ModelError(f"min_scale must lie in 0..{MAX_MIN_SCALE:g}, got {self.min_scale}")

    def _check_numbers(self) -> None:
        """Every number finite, no whole number negative, the seed in numpy's range:
        NaN passed `lr > 0` and trained an all-NaN model; a negative worker count or
        seed failed deep in torch or numpy ("this is a bug")."""
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue  # text, lists and unset optional values
            if not math.isfinite(value):
                raise ModelError(f"{f.name} must be a finite number, got {value}")
            if isinstance(value, int) and value < 0:
                raise ModelError(f"{f.name} must be 0 or more, got {value}")
        if self.seed > MAX_SEED:
            raise ModelError(f"seed must lie in 0..{MAX_SEED}, got {self.seed}")

    @property
    def num_classes(self) -> int:
        """Including background."""
        return len(self.class_names) + 1


# The floor of the CT presets (ml/input_scale.py), net pixels per MIP pixel (mm). Chosen
# with the shipped starter on unseen realistic phantoms, 12 whole spines (T1-T6 to L5) and
# 12 crops of 4-11 levels, shown at a fixed 1.6 / 2.0 / 2.4 / 2.8: Dice 0.90 / 0.92 / 0.92
# / 0.92 on the spines (0.38 under the min/max rule alone), 0.67 / 0.79 / 0.87 / 0.86 on
# the crops: below 2.4 short crops are smaller than it learnt them, above it nothing is
# gained. As a floor, on 24 other phantoms: spines 0.418 -> 0.914, crops 0.865 -> 0.924.
CT_MIN_SCALE = 2.4
MAX_MIN_SCALE = 16.0  # a 556 px whole-spine MIP is then ~8900 px tall: beyond any use

PRESETS: dict[str, dict[str, Any]] = {
    # The CT paper: ResNet-101 + FPN, 1024 input, lr 0.001, batch 5, min confidence 0.9.
    "paper": dict(
        backbone="resnet101",
        rpn_batch_size_per_image=256,
        box_batch_size_per_image=512,
        rpn_post_nms_train=2000,
        rpn_post_nms_test=1000,
        min_size=1024,
        max_size=1024,
        min_scale=CT_MIN_SCALE,
        lr=0.001,
        batch_size=5,
        score_thresh=0.9,
        epochs=20,
        warmup_iters=200,
    ),
    # Light enough to train on a laptop CPU in minutes (demos, tests, phantoms).
    "fast": dict(
        backbone="resnet18",
        fpn_channels=128,
        mask_head_channels=128,
        box_batch_size_per_image=128,
        rpn_batch_size_per_image=128,
        min_size=384,
        max_size=512,
        min_scale=CT_MIN_SCALE,
        lr=0.01,
        batch_size=2,
        score_thresh=0.9,
        epochs=12,
        warmup_iters=50,
    ),
    # CPU training from scratch (issue #14) and radiographs: MobileNetV3-Large + FPN.
    "mobile": dict(
        backbone="mobilenet_v3_large",
        fpn_channels=128,
        mask_head_channels=128,
        box_head_width=256,
        box_batch_size_per_image=128,
        rpn_batch_size_per_image=128,
        min_size=512,
        max_size=1024,
        min_scale=CT_MIN_SCALE,
        lr=0.02,
        batch_size=2,
        score_thresh=0.5,
        epochs=12,
        warmup_iters=100,
    ),
}


# What a checkpoint's weights depend on (architecture, vocabulary, input scale, heads):
# fine-tuning keeps these from the checkpoint and takes everything else (run length,
# lr, batch, augmentation, split, device) from the new run's config.
MODEL_FIELDS = (
    "arch",
    "backbone",
    "class_names",
    "trainable_layers",
    "frozen_bn",
    "min_size",
    "max_size",
    "min_scale",
    "fpn_channels",
    "mask_head_channels",
    "box_head_width",
    "rpn_batch_size_per_image",
    "box_batch_size_per_image",
    "rpn_post_nms_train",
    "rpn_post_nms_test",
    "detections_per_img",
    "resize_in_training",
    "unet_width",
)


def finetune_kept(stored: TrainConfig) -> dict[str, Any]:
    """What a fine-tune of a checkpoint whose config is `stored` takes from it, whatever
    the run's own settings say (`finetune_config`): the model fields, weights "none" and
    the score threshold. The train dialog greys out and shows these; the command line
    trains from scratch when a --set names a model field (commands.train.starter_start)."""
    model = {k: getattr(stored, k) for k in MODEL_FIELDS}
    return {**model, "weights": "none", "score_thresh": stored.score_thresh}


def finetune_config(run: TrainConfig, stored: TrainConfig) -> TrainConfig:
    """`run` with `finetune_kept(stored)`: the checkpoint's model fields; weights "none"
    (they come from the checkpoint, never from a pretrained file); and its score threshold:
    a fine-tune's scores are calibrated like its start's (the starter's, 0.3, fine-tuned
    under the fast preset took that preset's 0.9 and hid most of its vertebrae)."""
    return replace(run, **finetune_kept(stored)).override()


# A fine-tune starts from weights that already work (the starter, a site's own model).
# At the preset's lr (fast: 0.01), 10 CPU minutes on one patient took the starter from
# Dice 0.939 to 0.533 on the four patients it had seen besides: it forgot them; at a tenth
# of it, 0.924. From a model that had not seen that patient: on the other four 0.757 ->
# 0.083 at 0.01, -> 0.249 at 0.001; on the patient itself 0.000 -> 0.948 and -> 0.784
# (benchmarks/finetune_starter.py --lr; docs/ml.md). It learns the scan it is given a little
# less and forgets the rest far less. The user's own lr wins.
FINETUNE_LR_FACTOR = 0.1


def finetune_lr(cfg: TrainConfig) -> TrainConfig:
    """`cfg` with the learning rate a fine-tune starts from by default."""
    return cfg.override(lr=cfg.lr * FINETUNE_LR_FACTOR)


def preset(name: str, **overrides: Any) -> TrainConfig:
    """The named preset with `overrides` (None values ignored)."""
    if name not in PRESETS:
        raise ModelError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return TrainConfig(**PRESETS[name]).override(**overrides)
