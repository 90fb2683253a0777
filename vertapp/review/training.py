"""Training as the window asks for it: presets, the device, the request and its job (no Qt).

The job reads images and rasterises masks from snapshots (see `snapshot.py`) in whatever
thread or process runs it, then hands the samples to the engine's `train_job`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vertapp.errors import ModelError, VertAppError
from vertapp.jobs import WARNINGS, Job, Progress
from vertapp.ml.config import ARCHS, BACKBONES, PRESETS, TrainConfig, finetune_lr, preset
from vertapp.review.left_out import LeftOut
from vertapp.review.snapshot import ImageSnapshot, to_sample_noted


def preset_names() -> list[str]:
    return list(PRESETS)


def arch_names() -> list[str]:
    return list(ARCHS)


def backbone_names() -> list[str]:
    return list(BACKBONES)


def preset_values(name: str, finetune: bool = False) -> dict[str, Any]:
    """Every setting of the preset `name`, as a flat dict (what the settings form edits);
    `finetune`: with the lower learning rate a fine-tune starts from (config.finetune_lr)."""
    cfg = preset(name)
    return (finetune_lr(cfg) if finetune else cfg).to_dict()


def starter_kept(checkpoint: Path) -> dict[str, Any]:
    """What a fine-tune of `checkpoint` keeps from it whatever the run's settings say
    (`ml.config.finetune_kept`, the engine's rule); {} when it cannot be read."""
    from vertapp.ml.checkpoint import read_checkpoint, stored_config
    from vertapp.ml.config import finetune_kept

    try:
        return finetune_kept(stored_config(read_checkpoint(checkpoint), checkpoint))
    except (VertAppError, KeyError, TypeError, ValueError):
        return {}


def build_config(preset_name: str, values: dict[str, Any]) -> TrainConfig:
    """The preset with the user's values applied; raises ModelError on a bad combination."""
    base = preset(preset_name).to_dict()
    base.update(values)
    return TrainConfig.from_dict(base)


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "cuda" or "cpu"
    name: str
    memory_gb: float | None = None

    def describe(self) -> str:
        if self.kind == "cuda":
            return f"GPU: {self.name} ({self.memory_gb:.1f} GB)"
        return f"CPU only: {self.name} (no CUDA GPU found; training will be slow)"


def detect_device() -> DeviceInfo:
    """The device training uses on "auto": the first CUDA GPU, else the CPU."""
    import torch

    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return DeviceInfo("cuda", props.name, props.total_memory / 1024**3)
    cores, threads = os.cpu_count() or 1, torch.get_num_threads()
    return DeviceInfo(
        "cpu", f"{cores} core{'s' * (cores != 1)}, {threads} thread{'s' * (threads != 1)}"
    )


@dataclass
class TrainRequest:
    """What the train dialog asks for: the engine's config plus the split and output file."""

    config: TrainConfig
    train_ids: list[int]
    val_ids: list[int]
    out_path: Path
    extra: dict[str, Any] = field(default_factory=dict)
    # Fine-tune this checkpoint (the shipped starter model): its architecture and classes,
    # this request's run settings. None: a new model from `config`.
    finetune_from: Path | None = None


SETTINGS_FILE = "train_settings.json"  # in the project's models/ folder


def load_train_settings(models_dir: Path) -> dict[str, Any]:
    """The train dialog's settings of this project's last run ({} if none or unreadable)."""
    path = models_dir / SETTINGS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_train_settings(models_dir: Path, values: dict[str, Any]) -> None:
    """Remember the dialog's settings for the project (atomic: never half a file)."""
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / SETTINGS_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(values, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def last_checkpoint(out: Path) -> Path:
    """Where the engine keeps the checkpoint of the last finished epoch for `out`."""
    from vertapp.ml.train import checkpoint_paths

    return checkpoint_paths(out)[0]


def train_job_from_snapshots(
    request: TrainRequest, train: list[ImageSnapshot], val: list[ImageSnapshot]
) -> Job[Any]:
    """Read images and rasterise masks (in the worker), then run the engine's train_job.

    CT MIPs only: radiographs train with `vertapp.xray.snapshot_training` (scaled films,
    level classes); one model cannot be both."""
    from vertapp.ml import train_job

    if any(snap.kind == "radiograph" for snap in train + val):
        raise ModelError(
            "The chosen images mix radiographs and CT MIPs: a model is trained on one kind. "
            "Untick the images of the other kind."
        )

    names = list(request.config.class_names)
    samples, left = [], LeftOut()
    for k, snap in enumerate(train + val):
        n = len(train) + len(val)  # counted, not named: a file name may be the patient's
        yield Progress("load", k / max(n, 1), f"reading image {k + 1} of {n}")
        sample, skipped = to_sample_noted(snap, names)
        samples.append(sample)
        left.add(skipped)
    words = left.words()
    if words:  # said once, before training, as `vertapp train` says it (ml.train.left_out)
        yield Progress("load", None, "; ".join(words), {WARNINGS: words})
    train_s, val_s = samples[: len(train)], samples[len(train) :]
    root = next((snap.root for snap in train if snap.imported and snap.root), None)
    if request.config.ct_variants and root is not None:
        from vertapp.ml.ct_variants import with_ct_variants

        n = request.config.ct_variants
        yield Progress("load", None, f"re-slicing the imported CTs ({n} each)")
        train_s = with_ct_variants(train_s, root, n, names, request.config.seed)
    result = yield from train_job(
        request.config,
        train_s,
        request.out_path,
        val_data=val_s,
        finetune_from=request.finetune_from,
    )
    return result


def torch_threads() -> int:
    """The GUI process's torch thread count, passed on to the child it starts."""
    import torch

    return int(torch.get_num_threads())
