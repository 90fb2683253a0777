"""Radiograph vocabularies and the vertebra level every part annotation carries.

Two vocabularies, as in the X-ray paper and DESIGN.md:

- parts: body, spinous_process, pedicle, transverse_process (category ids 1..4);
- vertebrae: whole vertebrae T1..L5 (category ids 1..17).

Whatever the category, an annotation names the vertebra it belongs to in
`annotation["vertapp"]["vertebra"]` ("T1".."L5" or "unknown"). COCO readers
that know nothing of it (pycocotools) ignore the key; VertApp keeps it on a
load/save round trip like every other "vertapp" field.

Models trained on radiographs use one of two class lists (`MODEL_VOCABULARIES`):
"bodies" (a vertebral body of each level is its own class, T1..L5, so the
ordering step can number them) or "parts" (those 17 body classes plus the three
other parts, whose level comes from the body they are attached to).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vertapp.labels import PARTS, UNKNOWN, VERTEBRAE

BODY = "body"
OTHER_PARTS: tuple[str, ...] = tuple(p for p in PARTS if p != BODY)
LEVELS: tuple[str, ...] = VERTEBRAE

MODEL_VOCABULARIES: dict[str, tuple[str, ...]] = {
    "bodies": VERTEBRAE,
    "parts": VERTEBRAE + OTHER_PARTS,
}


def normalise_level(value: object) -> str:
    """'T1'..'L5' for a known level (case and blanks forgiven: 't 12' -> 'T12'), else 'unknown'."""
    if not isinstance(value, str):
        return UNKNOWN
    text = value.strip().replace(" ", "").upper()
    if text.startswith("TH"):
        text = "T" + text[2:]
    return text if text in VERTEBRAE else UNKNOWN


def vertebra_of(annotation: Mapping[str, Any], category_name: str | None = None) -> str:
    """The level an annotation belongs to.

    A category that is a level itself (a whole vertebra) is its level: a relabel in the
    window changes the category, and files saved before round 8 kept the old level in
    `vertapp.vertebra` beside it. Otherwise looked up in `vertapp.vertebra` (parts), then a
    top-level "vertebra" key (other tools); "unknown" when none says.
    """
    own = normalise_level(category_name)
    if own != UNKNOWN:
        return own
    app = annotation.get("vertapp")
    if isinstance(app, Mapping):
        level = normalise_level(app.get("vertebra"))
        if level != UNKNOWN:
            return level
    return normalise_level(annotation.get("vertebra"))


def set_vertebra(annotation: dict[str, Any], level: str) -> dict[str, Any]:
    """Write `level` (normalised, 'unknown' if not a level) into annotation['vertapp']."""
    app = annotation.get("vertapp")
    if not isinstance(app, dict):
        app = {}
        annotation["vertapp"] = app
    app["vertebra"] = normalise_level(level)
    return annotation


def class_part_level(class_name: str) -> tuple[str, str]:
    """(part, level) a model class stands for: 'T3' -> ('body', 'T3'); 'pedicle' -> ('pedicle', 'unknown')."""
    level = normalise_level(class_name)
    if level != UNKNOWN:
        return BODY, level
    return class_name, UNKNOWN


def is_radiograph_vocabulary(class_names: list[str] | tuple[str, ...]) -> bool:
    """True for the class lists of MODEL_VOCABULARIES (checkpoints record theirs)."""
    return tuple(class_names) in MODEL_VOCABULARIES.values()
