"""labelme JSON (one file per image): import, and export for round trips.

Read: shapes with shape_type "polygon" (default), "rectangle" (2 corners) and
"circle" (centre, point on the rim; as a 64-gon). Shapes that are not areas
(point, line, linestrip) are skipped (logged). Shapes sharing a label and a
non-null group_id form one instance with several polygons. Image size from
imageWidth/imageHeight; embedded imageData is ignored, never decoded.

VertApp's own fields (review status, score, model, patient, MIP geometry: what COCO holds
under "vertapp") travel in a "vertapp" key of each shape and of the file, which labelme
keeps (`app_fields`); a model's outline also gets a `description` labelme shows
("VertApp predicted, score 0.93, not reviewed"). Holes cannot travel: written filled.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations import app_fields
from vertapp.annotations.labelmap import map_label
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.annotations.paths import safe_relpath
from vertapp.annotations.validate import (
    VertexBudget,
    Where,
    check_coordinates,
    image_size,
    need_dict,
    need_list,
    need_str,
    points_array,
    read_json,
)
from vertapp.annotations.via import _assemble

log = logging.getLogger(__name__)

AREA_SHAPES = ("polygon", "rectangle", "circle")


def _polygon(shape: dict[str, Any], where: Where) -> np.ndarray | None:
    kind = shape.get("shape_type") or "polygon"
    if kind not in AREA_SHAPES:
        if kind in ("point", "line", "linestrip", "points", "mask"):
            return None
        raise where.error(f"unknown shape_type {kind!r:.40}")
    raw = shape.get("points")
    if kind == "polygon":
        return points_array(raw, where, flat=False)
    pts = need_list(raw, where.sub("points"))
    if len(pts) != 2:
        raise where.error(f"a {kind} needs exactly 2 points, got {len(pts)}")
    a, b = points_array(pts + [pts[0]], where, flat=False)[:2]
    if kind == "rectangle":
        (x0, y0), (x1, y1) = a, b
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
    r = float(np.hypot(*(b - a)))
    t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    ring = np.stack([a[0] + r * np.cos(t), a[1] + r * np.sin(t)], axis=1)
    return check_coordinates(ring, where)  # the rim may lie far out: pycocotools crashes


def image_from_labelme(
    data: Any,
    *,
    name: str,
    image_id: int,
    first_instance_id: int,
    budget: VertexBudget | None = None,
    label_map: Mapping[str, str] | None = None,
    found: list[bool] | None = None,
) -> ImageRecord:
    """One labelme file -> ImageRecord with instances (ids from first_instance_id).

    `found`: gets True appended when the file holds any VertApp field."""
    where = Where(name)
    data = need_dict(data, where)
    budget = budget or VertexBudget(name)
    width, height = image_size(data.get("imageWidth"), data.get("imageHeight"), where)
    file_name = safe_relpath(data.get("imagePath"), str(where))
    img, had = app_fields.read_image(
        data.get(app_fields.FIELDS_KEY),
        file_name=file_name,
        width=width,
        height=height,
        image_id=image_id,
        where=where,
    )
    groups: dict[tuple[str, Any], Instance] = {}
    next_id = first_instance_id
    for j, shape in enumerate(need_list(data.get("shapes", []), where.sub("shapes"))):
        sw = where.sub("shapes", j)
        shape = need_dict(shape, sw)
        poly = _polygon(shape, sw)
        if poly is None:
            log.warning("%s: shape %d skipped (not an area)", name, j)
            continue
        budget.take(len(poly), sw)
        label = map_label(need_str(shape.get("label"), sw, "label"), label_map)
        group = shape.get("group_id")
        if group is not None and not isinstance(group, (int, str)):
            raise sw.error(f"'group_id' must be an integer, got {group!r:.40}")
        key = (label, group)
        if group is not None and key in groups:
            groups[key].polygons.append(poly)
            continue
        inst, shape_had = app_fields.read_instance(
            shape.get(app_fields.FIELDS_KEY),
            img=img,
            label=label,
            polygon=poly,
            instance_id=next_id,
            where=sw,
        )
        had |= shape_had
        next_id += 1
        img.instances.append(inst)
        if group is not None:
            groups[key] = inst
    if found is not None and had:
        found.append(True)
    return img


def load_labelme(
    paths: Path | str | Sequence[Path | str],
    *,
    root: Any = None,
    label_map: Mapping[str, str] | None = None,
    notes: list[str] | None = None,
) -> Project:
    """Read labelme JSON files (a file, a list of files, or a folder of *.json).

    `notes`: where to add what the user must hear (files without VertApp fields: every
    outline in them counts as drawn by hand)."""
    if isinstance(paths, (str, Path)):
        p = Path(paths)
        files = sorted(p.glob("*.json")) if p.is_dir() else [p]
        root = root if root is not None else (p if p.is_dir() else p.parent)
    else:
        files = [Path(f) for f in paths]
    images: list[ImageRecord] = []
    next_inst = 1
    budget = VertexBudget(str(files[0]) if files else "labelme")
    found: list[bool] = []
    for k, f in enumerate(files):
        img = image_from_labelme(
            read_json(f),
            name=str(f),
            image_id=k + 1,
            first_instance_id=next_inst,
            budget=budget,
            label_map=label_map,
            found=found,
        )
        next_inst += len(img.instances)
        images.append(img)
    app_fields.settle_ids(images)
    n_outlines = sum(len(img.instances) for img in images)
    if notes is not None and not found and n_outlines:
        what = Path(paths).name if isinstance(paths, (str, Path)) else "the labelme files"
        notes.append(app_fields.no_fields_note(what, "labelme", n_outlines))
    return _assemble(images, root, Where(str(files[0]) if files else "labelme"))


def image_to_labelme(img: ImageRecord) -> dict[str, Any]:
    """A labelme file of one image, with VertApp's fields (`app_fields`) on the file
    and on every shape (each polygon of a vertebra of several carries them)."""
    shapes = []
    for inst in img.instances:
        group = inst.id if len(inst.polygons) > 1 else None
        fields = app_fields.fields_of_instance(inst)
        for poly in inst.polygons:
            shape = {
                "label": inst.label,
                "points": poly.tolist(),
                "group_id": group,
                "shape_type": "polygon",
                "flags": {},
            }
            said = app_fields.description(fields)
            if said:
                shape["description"] = said
            shape[app_fields.FIELDS_KEY] = fields
            shapes.append(shape)
    return {
        "version": "5.4.1",
        "flags": {},
        "shapes": shapes,
        "imagePath": img.file_name,
        "imageData": None,
        "imageHeight": img.height,
        "imageWidth": img.width,
        app_fields.FIELDS_KEY: app_fields.fields_of_image(img),
    }
