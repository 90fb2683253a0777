"""Pretrain on phantoms, then fine-tune on real scans: one job (`vertapp train
DATASET --phantoms P --pretrain-epochs N --epochs M`).

Why two stages: phantoms are many and exactly labelled but look synthetic; real labelled
CTs are few. Stage 1 learns vertebra shape and order from the phantoms alone; stage 2
starts from its weights (fresh optimizer and schedule) and adapts to real scans, still
mixing in phantoms when a `real_share` is set so a handful of real patients cannot be
memorised. Both stages validate on the same real validation patients (split by patient,
`val_fraction`), so stage 1 keeps the epoch that transfers best, not the best on phantoms.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from vertapp.errors import ModelError
from vertapp.jobs import Job, Progress
from vertapp.ml.config import TrainConfig
from vertapp.ml.dataset import Sample, split_by_patient
from vertapp.ml.train import TrainResult, _read_samples, _resolve_config, train_job


def pretrained_path(out: str | Path) -> Path:
    """Where stage 1 writes its model: MODEL.pretrain.pt beside MODEL.pt."""
    out = Path(out)
    stem = out.name[:-3] if out.name.endswith(".pt") else out.name
    return out.with_name(stem + ".pretrain.pt")


def pretrain_finetune_job(
    config: TrainConfig,
    data: str | Path | list[Sample],
    out: str | Path,
    phantoms: str | Path | list[Sample],
    pretrain_epochs: int,
    *,
    pretrain_lr: float | None = None,
) -> Job[tuple[TrainResult, TrainResult]]:
    """Stage 1: `pretrain_epochs` on `phantoms` only (lr `pretrain_lr` or config's),
    validated on `data`'s validation patients; stage 2: `config.epochs` on `data`
    (+ phantoms at `config.real_share` if set) from stage 1's best weights.
    Returns (stage 1, stage 2) results; stage 2's model is `out`."""
    if pretrain_epochs < 1:
        raise ModelError(f"pretrain epochs must be >= 1, got {pretrain_epochs}")
    cfg = _resolve_config(config, data, None)
    real = yield from _read_samples(data, cfg)  # says what it leaves out, once
    train_r, val_r = split_by_patient(real, cfg.val_fraction, cfg.seed)
    stage1_cfg = replace(cfg, epochs=pretrain_epochs, real_share=None, lr=pretrain_lr or cfg.lr)
    yield Progress("stage", 0.0, f"stage 1/2: pretraining on phantoms, {pretrain_epochs} epochs")
    first = yield from train_job(stage1_cfg, phantoms, pretrained_path(out), val_data=val_r or None)
    mix = phantoms if cfg.real_share is not None else None
    yield Progress("stage", 0.5, f"stage 2/2: fine-tuning on real scans, {cfg.epochs} epochs")
    second = yield from train_job(
        cfg, train_r, out, val_data=val_r, phantoms=mix, finetune_from=first.out
    )
    return first, second
