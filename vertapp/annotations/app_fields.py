"""VertApp's own fields in VIA 2 and labelme files, so a round trip through them keeps
review status, scores, models, patients and the MIP geometry.

COCO holds them under "vertapp" keys (docs/annotations.md). VIA and labelme have room
for more than an outline, and keep what they do not know:

- VIA: a region attribute and a file attribute named "vertapp" (text: compact JSON),
  declared in `_via_attributes` so that VIA shows them and saves them back;
- labelme: a "vertapp" key on each shape and on the file (labelme keeps keys it does not
  know, its `other_data`).

A field holds what the COCO record holds less what the format keeps itself (file name,
size, outline): an image record's id, "vertapp" block (status, kind, patient_key,
source_path, mip_affine, landmarks, ...) and other keys; an annotation's id, score,
"vertapp" block (source, reviewed, model_id, flagged, ...) and other keys. Read back, they
go through the COCO reader's own checks (`coco._image`, `coco._instance`), so a field
edited by hand into nonsense is refused naming the record, as in a COCO file.

What the polygon formats cannot hold, holes (an outline saved as RLE in COCO), is written
filled and said in words (`export_notes`); so is an import whose file has no VertApp
fields (`no_fields_note`): every outline in it becomes hand-drawn ground truth.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np

from vertapp.annotations import coco
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.annotations.validate import VertexBudget, Where

FIELDS_KEY = "vertapp"
_KEPT_BY_FORMAT = ("file_name", "width", "height")
_GEOMETRY = ("polygons", "holes", "rle")
_ANNOTATION_ONLY = ("image_id", "category_id", "segmentation", "area", "bbox")
FORMAT_NAMES = {"via": "VIA", "labelme": "labelme"}
WHERE_KEPT = {
    "via": "their 'vertapp' region attribute",
    "labelme": "their 'vertapp' shape key",
}


# =================================================================== writing


def image_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The fields of a COCO image record (`coco._image_record`) the format lacks."""
    return {k: v for k, v in record.items() if k not in _KEPT_BY_FORMAT}


def fields_of_image(img: ImageRecord) -> dict[str, Any]:
    return image_fields(coco._image_record(img))


def instance_fields(
    iid: int,
    source: str,
    reviewed: bool,
    score: float | None,
    model_id: str | None,
    order_changed: bool,
    extra: dict[str, Any] | None,
) -> dict[str, Any]:
    """The fields of an instance as its COCO annotation holds them, less the outline."""
    extra = extra or {}
    app = {k: v for k, v in dict(extra.get(FIELDS_KEY) or {}).items() if k not in _GEOMETRY}
    app.update(source=source, reviewed=bool(reviewed))
    if model_id is not None:
        app["model_id"] = model_id
    if order_changed:
        app["order_changed"] = True
    out = {k: v for k, v in extra.items() if k != FIELDS_KEY and k not in _ANNOTATION_ONLY}
    out["id"] = iid
    if score is not None:
        out["score"] = float(score)
    out[FIELDS_KEY] = app
    return out


def fields_of_instance(inst: Instance) -> dict[str, Any]:
    return instance_fields(
        inst.id,
        inst.source,
        inst.reviewed,
        inst.score,
        inst.model_id,
        inst.order_changed,
        inst.extra,
    )


def as_text(fields: dict[str, Any]) -> str:
    """A VIA attribute value: compact JSON text (VIA's attributes are text)."""
    return json.dumps(fields, separators=(",", ":"), allow_nan=False)


def description(fields: dict[str, Any]) -> str:
    """A labelme shape's description for a model's outline ("" for a hand-drawn one):
    labelme shows it, so a prediction nobody reviewed does not pass for a label there."""
    app = fields.get(FIELDS_KEY) or {}
    source = app.get("source", "manual")
    if source == "manual" and fields.get("score") is None:
        return ""
    words = [f"VertApp {source}"]
    if fields.get("score") is not None:
        words.append(f"score {float(fields['score']):.2f}")
    words.append("reviewed" if app.get("reviewed") else "not reviewed")
    if app.get("flagged"):
        words.append("flagged for an expert")
    return ", ".join(words)


# =================================================================== reading


def decode(raw: Any, where: Where) -> dict[str, Any] | None:
    """A stored field (JSON text or an object), or None where there is none."""
    if raw is None or raw == "" or raw == {}:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as err:
            raise where.error(f"'{FIELDS_KEY}' is not VertApp's JSON ({err.msg})") from None
    if not isinstance(raw, dict):
        raise where.error(f"'{FIELDS_KEY}' must be an object, got {type(raw).__name__}")
    return raw


def read_image(
    raw: Any, *, file_name: str, width: int, height: int, image_id: int, where: Where
) -> tuple[ImageRecord, bool]:
    """(the image record, whether it had VertApp fields): fields checked as COCO's."""
    w = where.sub(FIELDS_KEY)
    fields = decode(raw, w)
    if fields is None:
        return ImageRecord(id=image_id, file_name=file_name, width=width, height=height), False
    rec = {k: v for k, v in fields.items() if k not in _KEPT_BY_FORMAT}
    rec.setdefault("id", image_id)
    rec.update(file_name=file_name, width=width, height=height)
    return coco._image(rec, w), True


def read_instance(
    raw: Any,
    *,
    img: ImageRecord,
    label: str,
    polygon: np.ndarray,
    instance_id: int,
    where: Where,
) -> tuple[Instance, bool]:
    """(the instance of one outline, whether it had VertApp fields)."""
    w = where.sub(FIELDS_KEY)
    fields = decode(raw, w)
    if fields is None:
        return Instance(id=instance_id, label=label, polygons=[polygon]), False
    rec = {k: v for k, v in fields.items() if k not in _ANNOTATION_ONLY}
    app = rec.get(FIELDS_KEY)
    if isinstance(app, dict):
        rec[FIELDS_KEY] = {k: v for k, v in app.items() if k not in _GEOMETRY}
    rec.setdefault("id", instance_id)
    rec.update(image_id=0, category_id=0, segmentation=[polygon.ravel().tolist()])
    _, inst = coco._instance(rec, w, {0: img}, {0: label}, VertexBudget(w.file))
    inst.polygons = [polygon]
    return inst, True


def settle_ids(images: list[ImageRecord]) -> None:
    """Keep the ids the fields restored where they are unique; else number afresh (a
    region copied in VIA carries its original's id), images and instances apart."""
    image_ids = [img.id for img in images]
    if len(set(image_ids)) != len(image_ids):
        for k, img in enumerate(images):
            img.id = k + 1
    insts = [inst for img in images for inst in img.instances]
    if len({inst.id for inst in insts}) != len(insts):
        for k, inst in enumerate(insts):
            inst.id = k + 1


def no_fields_note(name: str, fmt: str, n_outlines: int) -> str:
    """An import with no VertApp field at all: every outline is taken as drawn by hand."""
    return (
        f"{name} holds no VertApp fields (a {FORMAT_NAMES[fmt]} file of another tool, or "
        f"written before VertApp kept them): its {n_outlines} "
        f"{'outline counts' if n_outlines == 1 else 'outlines all count'} as hand-drawn "
        "ground truth (source manual; `vertapp train` learns from them); predictions, "
        "scores and review status it may have held are not told apart"
    )


# =================================================================== what is lost


def export_notes(project: Project, fmt: str) -> list[str]:
    """What a VIA or labelme export of `project` cannot keep, or keeps only for VertApp,
    in words with counts (empty for COCO, which keeps everything)."""
    if fmt not in FORMAT_NAMES:
        return []
    return notes_of(
        fmt, ((inst.holes, inst.source, inst.reviewed) for _, inst in project.iter_instances())
    )


def notes_of(fmt: str, outlines: Iterable[tuple[Any, str, bool]]) -> list[str]:
    """`export_notes` of outlines given as (holes or their count, source, reviewed)."""
    name = FORMAT_NAMES[fmt]
    holed = holes = pending = 0
    for rings, source, reviewed in outlines:
        n = rings if isinstance(rings, int) else len(rings)
        if n:
            holed += 1
            holes += n
        if source != "manual" and not reviewed:
            pending += 1
    notes = []
    if holed:
        notes.append(
            f"{holed} {'outline has' if holed == 1 else 'outlines have'} holes ({holes} in "
            f"all), which {name} polygons cannot hold: written filled, and read back "
            "filled (export COCO to keep them)"
        )
    if pending:
        notes.append(
            f"{pending} {'outline is a prediction' if pending == 1 else 'outlines are predictions'}"
            f" nobody reviewed: marked so in {WHERE_KEPT[fmt]}, which VertApp reads back, but "
            f"{name} and other tools show {'it' if pending == 1 else 'them'} as outlines "
            "like any other"
        )
    return notes
