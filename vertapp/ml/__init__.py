"""Mask R-CNN (and U-Net baseline) engine: model, dataset, train, predict, evaluate.

Imports torch; nothing here imports Qt. The public API is re-exported lazily so
`import vertapp.ml` stays cheap until a name is used.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TrainConfig": "config",
    "PRESETS": "config",
    "preset": "config",
    "build_model": "model",
    "load_pretrained": "model",
    "LoadedModel": "checkpoint",
    "load_checkpoint": "checkpoint",
    "Sample": "dataset",
    "load_samples": "dataset",
    "split_by_patient": "dataset",
    "validation_patients": "dataset",
    "train_job": "train",
    "TrainResult": "train",
    "TrainingError": "train",
    "Prediction": "predict",
    "predict_job": "predict",
    "predict_images": "predict",
    "predictions_to_coco": "coco_out",
    "coco_results": "coco_out",
    "evaluate": "metrics",
    "EvalResult": "metrics",
    "format_table": "metrics",
    "number_bodies": "numbering",
    "reorder_labels": "ordering",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"vertapp.ml.{_EXPORTS[name]}"), name)
    raise AttributeError(name)
