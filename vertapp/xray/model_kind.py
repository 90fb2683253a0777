"""What a checkpoint was trained on, CT MIPs or radiographs, and a refusal in words
when it is given the other kind of input (`vertapp predict`).

A "parts" model (T1..L5 bodies plus the other parts) is a radiograph model. A "bodies"
model has the same T1..L5 classes as a CT MIP model; it is told apart by what radiograph
training stores in it: its level-context net, or `resize_in_training=False`
(`xray.training.radiograph_overrides`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vertapp.errors import InputError
from vertapp.labels import VERTEBRAE
from vertapp.xray.parts import is_radiograph_vocabulary

RADIOGRAPH = "radiograph"
CT = "ct"


def model_kind(
    class_names: Sequence[str], config: Any = None, extra: dict[str, Any] | None = None
) -> str | None:
    """'radiograph', 'ct' (T1..L5 MIP model) or None (another vocabulary: not judged)."""
    names = list(class_names)
    if not is_radiograph_vocabulary(names):
        return None
    if names != list(VERTEBRAE):
        return RADIOGRAPH  # parts
    trained_on_films = "level_context" in (extra or {}) or (
        config is not None and getattr(config, "resize_in_training", True) is False
    )
    return RADIOGRAPH if trained_on_films else CT


def loaded_model_kind(loaded: Any) -> str | None:
    return model_kind(loaded.class_names, loaded.config, loaded.extra)


def record_kind(record: dict[str, Any]) -> str:
    """'radiograph' or 'ct' for a COCO image record (no `vertapp.kind`: a MIP)."""
    app = record.get("vertapp")
    kind = app.get("kind", "mip") if isinstance(app, dict) else "mip"
    return RADIOGRAPH if kind == RADIOGRAPH else CT


def check_kind(model: Path | str, kind: str | None, input_kind: str, what: str) -> None:
    """InputError when a model of one kind is given an input of the other.

    `what` names the input and says what it is ("ct.nii.gz is a CT volume")."""
    if kind is None or kind == input_kind:
        return
    name = Path(model).name
    if kind == RADIOGRAPH:
        raise InputError(
            f"{name} is a radiograph model (vertebra parts); {what}: use a CT "
            "model, or `vertapp xray zoi` for radiographs"
        )
    raise InputError(
        f"{name} is a CT model (T1..L5 on MIPs); {what}: use a radiograph "
        "model (trained with `vertapp train` on a radiograph project)"
    )
