"""Checkpoints: plain dicts of tensors and JSON-like values, loadable with weights_only=True."""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from vertapp.errors import ModelError
from vertapp.ml.config import CT_MIN_SCALE, MAX_MIN_SCALE, TrainConfig
from vertapp.ml.model import build_model

FORMAT = "vertapp-checkpoint"
SCHEMA_VERSION = 1


@dataclass
class LoadedModel:
    """A model ready for prediction, with what it was trained for."""

    model: nn.Module
    config: TrainConfig
    class_names: list[str]
    epoch: int = 0
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def arch(self) -> str:
        return self.config.arch


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write atomically so a crash, a power cut or a full disk never leaves half a file.

    The checkpoint goes to a temp file that is fsynced before it replaces `path`; if the
    write fails (disk full, folder gone), the temp file is removed, the previous
    checkpoint at `path` stays as it was and ModelError says why in words.
    """
    payload = {"format": FORMAT, "schema_version": SCHEMA_VERSION, **state}
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            torch.save(payload, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        reason = err.strerror or str(err)
        kept = " (the previous one is kept)" if path.exists() else ""
        raise ModelError(f"{path}: could not write the checkpoint: {reason}{kept}") from err
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def unreadable_words(path: Path, err: Exception) -> str:
    """Why torch could not load `path`, in words (a cut-short file said only "OSError")."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError:
        head = b""
    if head == b"PK\x03\x04":  # torch's zip format, but not whole
        return "the file is damaged or cut short (an interrupted copy or download?)"
    if type(err).__name__ == "UnpicklingError":
        return "it holds Python objects, not plain weights (refused: only weights are loaded)"
    return "not a PyTorch checkpoint file"


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The raw checkpoint dict; ModelError for a missing, corrupt or foreign file."""
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"{p}: checkpoint not found")
    try:
        with warnings.catch_warnings():  # a plain pickle: torch's note on its protocol
            warnings.filterwarnings("ignore", "Detected pickle protocol", UserWarning)
            data = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as err:  # zip, pickle, EOF, unsafe-global errors all mean "not ours"
        why = unreadable_words(p, err)
        raise ModelError(f"{p}: not a readable checkpoint: {why} ({type(err).__name__})") from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"{p}: not a VertApp checkpoint (trained elsewhere or another file)")
    version = data.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ModelError(f"{p}: checkpoint schema {version!r} is newer than this VertApp")
    for key in ("model", "config", "class_names"):
        if key not in data:
            raise ModelError(f"{p}: checkpoint lacks {key!r}")
    check_config(data["config"], p)
    stored_config(data, p)  # what the config itself refuses (an unknown arch), file named
    check_class_names(data["class_names"], p)
    data["model"] = full_precision(data["model"], p)
    return data


def stored_config(data: dict[str, Any], path: Path | str) -> TrainConfig:
    """The checkpoint's training config, its refusals naming the file ("unknown arch
    'nope'" named none)."""
    try:
        cfg = TrainConfig.from_dict(data["config"])
    except ModelError as err:
        raise ModelError(f"{path}: checkpoint config: {err}") from None
    if "min_scale" not in data["config"]:
        cfg.min_scale = legacy_min_scale(cfg)
    return cfg


def legacy_min_scale(cfg: TrainConfig) -> float:
    """The input-scale floor of a checkpoint written before it was recorded: the CT
    presets' for a Mask R-CNN that resized in training (every CT MIP model, the shipped
    starter among them: the floor keeps it from shrinking whole spines to a third of what
    it learnt, ml/input_scale.py), none for radiograph models (pre-scaled to their long
    side) and the U-Net."""
    return CT_MIN_SCALE if cfg.arch == "maskrcnn" and cfg.resize_in_training else 0.0


def check_class_names(names: Any, path: Path | str) -> None:
    """The names predictions are given, a non-empty list of text: empty or a string, they
    failed as "IndexError; this is a bug" when the first vertebra was named."""
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ModelError(
            f"{path}: the checkpoint's class_names must be a non-empty list of names, "
            f"got {names!r:.60}"
        )


def check_head_fits_names(names: list[str], config: TrainConfig, path: Path | str) -> None:
    """One name per class of the model head (which the config sets: the weights are
    loaded strictly into it); a head of more classes than names failed as "IndexError;
    this is a bug" when a vertebra beyond the names was predicted."""
    if len(names) != len(config.class_names):
        raise ModelError(
            f"{path}: the checkpoint's class_names lists {len(names)} classes, but its "
            f"model's head has {len(config.class_names)}"
        )


def full_precision(state: Any, path: Path) -> dict[str, Any]:
    """Weights stored in fp16/bf16 (the shipped starter model) as fp32, what every model
    here computes in; other tensors as they are."""
    if not isinstance(state, dict):
        raise ModelError(f"{path}: the checkpoint's weights are not a dict of tensors")
    low = (torch.float16, torch.bfloat16)
    for k, v in list(state.items()):  # in place: the state dict's metadata stays with it
        if isinstance(v, torch.Tensor) and v.dtype in low:
            state[k] = v.float()
    return state


# Values a model can be built from and run with; a checkpoint's config is untrusted input
# (an input size of 10**9 made torchvision allocate without bound, a string crashed it).
CONFIG_LIMITS: dict[str, tuple[float, float]] = {
    "min_size": (32, 4096),
    "min_scale": (0.0, MAX_MIN_SCALE),
    "max_size": (32, 4096),
    "detections_per_img": (1, 1000),
    "fpn_channels": (1, 4096),
    "mask_head_channels": (1, 4096),
    "rpn_batch_size_per_image": (1, 100_000),
    "box_batch_size_per_image": (1, 100_000),
    "rpn_post_nms_train": (1, 100_000),
    "rpn_post_nms_test": (1, 100_000),
    "unet_width": (1, 1024),
    "score_thresh": (0.0, 1.0),
}


def check_config(config: Any, path: Path | str) -> None:
    """ModelError in words for a config value of the wrong type or outside its range."""
    if not isinstance(config, dict):
        raise ModelError(f"{path}: the checkpoint's training config is not a dict")
    defaults = TrainConfig()
    for name, value in config.items():
        if not hasattr(defaults, name):
            continue  # from a newer VertApp: ignored
        default = getattr(defaults, name)
        if not _same_kind(value, default):
            raise ModelError(
                f"{path}: checkpoint config {name} = {value!r:.40} is not "
                f"{type(default).__name__ if default is not None else 'a value'} like {default!r}"
            )
        low, high = CONFIG_LIMITS.get(name, (-math.inf, math.inf))
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and (not math.isfinite(value) or not low <= value <= high):
            raise ModelError(
                f"{path}: checkpoint config {name} = {value!r:.40} lies outside {low:g}..{high:g}"
            )


def _same_kind(value: Any, default: Any) -> bool:
    if default is None or value is None:
        return True  # optional fields (trainable_layers, frozen_bn, real_share, ...)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, type(default))


def model_from_checkpoint(data: dict[str, Any], path: Path | str = "checkpoint") -> nn.Module:
    cfg = stored_config(data, path)
    model = build_model(cfg, load_weights=False)
    try:
        model.load_state_dict(data["model"])
    except (RuntimeError, TypeError, KeyError) as err:
        first = str(err).splitlines()[0][:200]
        raise ModelError(f"{path}: weights do not fit the stored model config ({first})") from err
    return model


def load_checkpoint(path: str | Path, device: str = "cpu") -> LoadedModel:
    """Read a training checkpoint and rebuild its model in eval mode on `device`."""
    data = read_checkpoint(path)
    cfg = stored_config(data, path)
    names = data["class_names"]
    check_head_fits_names(names, cfg, path)
    model = model_from_checkpoint(data, path).to(device).eval()
    return LoadedModel(
        model=model,
        config=cfg,
        class_names=list(names),
        epoch=int(data.get("epoch", 0)),
        path=Path(path),
        extra={
            k: data[k]
            for k in (
                "best_val_mean_dice",
                "history",
                "epochs_trained",
                "level_context",
                "trained_on",
            )
            if k in data
        },
    )
