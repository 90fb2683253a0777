"""VIA 2.x (VGG Image Annotator) project and annotation JSON: import and export.

Read: a VIA project file ({"_via_settings", "_via_img_metadata", "_via_attributes"})
or an annotation-only export (the "_via_img_metadata" dict itself). Each region
becomes one instance: shape_attributes name "polygon"/"polyline" (all_points_x/y),
"rect" (x, y, width, height) and "circle"/"ellipse" (as 64-gons); "point" regions
are skipped (logged). The label is region_attributes[label_key] ("label" by
default; a dropdown/checkbox dict gives its checked key), mapped through
`label_map` and normalised ("t12" -> "T12", "L 1" -> "L1").

VIA does not store image sizes: they come from the image files (in `images_dir`,
default the JSON's folder) or from a `sizes` mapping file name -> (width, height).

Write: a VIA 2 project file; an instance with several polygons becomes several
regions with the same label, so VIA -> COCO -> VIA keeps every polygon.

VertApp's own fields (review status, score, model, patient, MIP geometry: what COCO holds
under "vertapp") travel in a "vertapp" region attribute and file attribute
(`app_fields`), so a round trip keeps them; holes cannot, and are written filled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations import app_fields
from vertapp.annotations.labelmap import infer_label_set, map_label
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.annotations.paths import safe_join, safe_relpath
from vertapp.annotations.validate import (
    VertexBudget,
    Where,
    check_coordinates,
    image_size,
    need_dict,
    need_list,
    need_number,
    points_array,
    read_json,
)
from vertapp.errors import FormatError

log = logging.getLogger(__name__)

SizeOf = Callable[[str, Where], tuple[int, int]]


def image_file_size(images_dir: Path) -> SizeOf:
    """Size lookup reading only the image header (PIL), refusing paths out of images_dir."""

    def size_of(file_name: str, where: Where) -> tuple[int, int]:
        from PIL import Image

        path = safe_join(images_dir, file_name, str(where))
        if not path.is_file():
            raise where.error(f"image {file_name!r} not found in {images_dir}")
        try:
            with Image.open(path) as im:
                return image_size(im.width, im.height, where)
        except (OSError, ValueError) as err:
            raise where.error(f"cannot read image {file_name!r} ({err})") from None

    return size_of


def sizes_from(mapping: Mapping[str, tuple[int, int]]) -> SizeOf:
    def size_of(file_name: str, where: Where) -> tuple[int, int]:
        if file_name not in mapping:
            raise where.error(f"no size known for image {file_name!r}")
        w, h = mapping[file_name]
        return image_size(w, h, where)

    return size_of


# =================================================================== reading


def _metadata(data: Any, where: Where) -> dict[str, Any]:
    data = need_dict(data, where)
    if "_via_img_metadata" in data:
        return need_dict(data["_via_img_metadata"], where.sub("_via_img_metadata"))
    return data  # annotation-only export: the metadata dict itself


def _label(attrs: Any, where: Where, label_key: str, label_map: Mapping[str, str] | None) -> str:
    attrs = need_dict(attrs, where.sub("region_attributes"))
    if label_key in attrs:
        value = attrs[label_key]
    elif len(attrs) == 1:
        value = next(iter(attrs.values()))
    else:
        raise where.error(f"region has no '{label_key}' attribute (has {sorted(attrs)[:5]})")
    if isinstance(value, dict):  # dropdown / checkbox: {"T12": true}
        checked = [k for k, v in value.items() if v]
        if len(checked) != 1:
            raise where.error(f"region label {value!r:.60} must have exactly one option set")
        value = checked[0]
    if not isinstance(value, str) or not value.strip():
        raise where.error(f"region label must be a non-empty string, got {value!r:.40}")
    return map_label(value, label_map)


def _ellipse(cx: float, cy: float, rx: float, ry: float, theta: float = 0.0) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    with np.errstate(all="ignore"):  # overflow to inf is caught by check_coordinates
        return _ellipse_points(t, cx, cy, rx, ry, theta)


def _ellipse_points(
    t: np.ndarray, cx: float, cy: float, rx: float, ry: float, theta: float
) -> np.ndarray:
    x, y = rx * np.cos(t), ry * np.sin(t)
    c, s = np.cos(theta), np.sin(theta)
    return np.stack([cx + c * x - s * y, cy + s * x + c * y], axis=1)


def _shape(shape: Any, where: Where) -> np.ndarray | None:
    """Polygon of a region's shape_attributes, or None for shapes that are not areas."""
    shape = need_dict(shape, where.sub("shape_attributes"))
    name = shape.get("name")
    num = lambda key: need_number(shape.get(key), where, key)  # noqa: E731
    if name in ("polygon", "polyline"):
        xs, ys = shape.get("all_points_x"), shape.get("all_points_y")
        if not isinstance(xs, list) or not isinstance(ys, list) or len(xs) != len(ys):
            raise where.error("all_points_x and all_points_y must be lists of equal length")
        return points_array([[x, y] for x, y in zip(xs, ys, strict=True)], where, flat=False)
    if name == "rect":
        x, y, w, h = num("x"), num("y"), num("width"), num("height")
        return points_array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], where, flat=False)
    if name == "circle":
        return check_coordinates(_ellipse(num("cx"), num("cy"), num("r"), num("r")), where)
    if name == "ellipse":
        theta = need_number(shape.get("theta", 0.0), where, "theta")
        ring = _ellipse(num("cx"), num("cy"), num("rx"), num("ry"), theta)
        return check_coordinates(ring, where)
    if name in ("point",):
        return None
    raise where.error(f"unknown region shape {name!r:.40}")


def project_from_via(
    data: Any,
    *,
    name: str = "via.json",
    size_of: SizeOf,
    root: Any = None,
    label_map: Mapping[str, str] | None = None,
    label_key: str = "label",
    notes: list[str] | None = None,
) -> Project:
    """Build a Project from parsed VIA JSON. Any problem -> FormatError naming the record.

    `notes`: where to add what the user must hear (a file without VertApp fields: every
    outline in it counts as drawn by hand)."""
    where = Where(name)
    meta = _metadata(data, where)
    budget = VertexBudget(name)
    images: list[ImageRecord] = []
    next_inst = 1
    skipped = 0
    found = False  # any VertApp field in the file
    for i, (key, entry) in enumerate(meta.items()):
        w = where.sub("_via_img_metadata", i, key=key)
        entry = need_dict(entry, w)
        file_name = safe_relpath(entry.get("filename"), str(w))
        width, height = size_of(file_name, w)
        img, had = app_fields.read_image(
            _field(entry.get("file_attributes")),
            file_name=file_name,
            width=width,
            height=height,
            image_id=i + 1,
            where=w.sub("file_attributes"),
        )
        found |= had
        joins: dict[tuple[str, str], Instance] = {}
        for j, region in enumerate(need_list(entry.get("regions", []), w.sub("regions"))):
            rw = w.sub("regions", j)
            region = need_dict(region, rw)
            poly = _shape(region.get("shape_attributes"), rw)
            if poly is None:
                skipped += 1
                continue
            budget.take(len(poly), rw)
            attrs = region.get("region_attributes", {})
            label = _label(attrs, rw, label_key, label_map)
            joined = _joined(img, joins, attrs, label)
            if joined is not None:
                joined.polygons.append(poly)
                continue
            inst, had = app_fields.read_instance(
                _field(attrs),
                img=img,
                label=label,
                polygon=poly,
                instance_id=next_inst,
                where=rw.sub("region_attributes"),
            )
            found |= had
            img.instances.append(inst)
            if isinstance(attrs, dict) and attrs.get(INSTANCE_KEY) not in (None, ""):
                joins[(str(attrs[INSTANCE_KEY]), label)] = img.instances[-1]
            next_inst += 1
        images.append(img)
    if skipped:
        log.warning("%s: %d point regions skipped (not areas)", name, skipped)
    app_fields.settle_ids(images)
    n_outlines = sum(len(img.instances) for img in images)
    if notes is not None and not found and n_outlines:
        notes.append(app_fields.no_fields_note(Path(name).name, "via", n_outlines))
    return _assemble(images, root, where)


def _field(attrs: Any) -> Any:
    """The "vertapp" value of a region's or file's attributes, if any."""
    return attrs.get(app_fields.FIELDS_KEY) if isinstance(attrs, dict) else None


def _joined(
    img: ImageRecord, joins: dict[tuple[str, str], Instance], attrs: Any, label: str
) -> Instance | None:
    """The instance an earlier region of this image opened under the same `instance`
    attribute and label (a multi-polygon vertebra written by us), if any."""
    if not isinstance(attrs, dict) or attrs.get(INSTANCE_KEY) in (None, ""):
        return None
    return joins.get((str(attrs[INSTANCE_KEY]), label))


def _assemble(images: list[ImageRecord], root: Any, where: Where) -> Project:
    """Project with the label set the labels imply (custom categories otherwise)."""
    names = sorted({inst.label for img in images for inst in img.instances})
    label_set = infer_label_set(names)
    cats = None
    if label_set == "custom":
        cats = [{"id": k + 1, "name": n, "supercategory": "custom"} for k, n in enumerate(names)]
    project = Project(root, label_set=label_set, categories=cats)
    try:
        for img in images:
            project.add_image(img)
    except ValueError as err:  # duplicate ids
        raise where.error(str(err)) from None
    project.revision = 0
    return project


def load_via(
    path: Path | str,
    *,
    images_dir: Path | str | None = None,
    sizes: Mapping[str, tuple[int, int]] | None = None,
    root: Any = None,
    label_map: Mapping[str, str] | None = None,
    label_key: str = "label",
    notes: list[str] | None = None,
) -> Project:
    """Read a VIA 2 JSON file; image sizes from `sizes` or the image files in images_dir."""
    p = Path(path)
    size_of = (
        sizes_from(sizes) if sizes is not None else image_file_size(Path(images_dir or p.parent))
    )
    return project_from_via(
        read_json(p),
        name=str(p),
        size_of=size_of,
        root=root if root is not None else (images_dir or p.parent),
        label_map=label_map,
        label_key=label_key,
        notes=notes,
    )


# =================================================================== writing


def file_size(root: Path | None, file_name: str) -> int:
    """Bytes of an image file for VIA's keys; -1 when unknown (no folder, missing file)."""
    if root is None:
        return -1
    try:
        return safe_join(root, file_name, file_name).stat().st_size
    except (OSError, FormatError):
        return -1


INSTANCE_KEY = "instance"  # region attribute: regions sharing it are one instance


def polygon_region(
    xs: Any,
    ys: Any,
    label: str,
    label_key: str = "label",
    instance: int | None = None,
    fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One VIA region (xs/ys: lists, or contiguous numpy arrays for orjson to write).

    `instance`: given for an instance of several polygons (VIA has one polygon per
    region), so reading the file back joins them again instead of making one vertebra two.
    `fields`: the instance's VertApp fields (`app_fields.instance_fields`).
    """
    attrs: dict[str, Any] = {label_key: label}
    if instance is not None:
        attrs[INSTANCE_KEY] = str(instance)
    if fields is not None:
        attrs[app_fields.FIELDS_KEY] = app_fields.as_text(fields)
    return {
        "shape_attributes": {"name": "polygon", "all_points_x": xs, "all_points_y": ys},
        "region_attributes": attrs,
    }


def image_entry(
    file_name: str,
    size: int,
    regions: list[dict[str, Any]],
    fields: dict[str, Any] | None = None,
) -> tuple[str, Any]:
    """(key, value) of one image in `_via_img_metadata`; `fields`: the image's VertApp
    fields (`app_fields.image_fields`), kept as a file attribute."""
    attrs = {} if fields is None else {app_fields.FIELDS_KEY: app_fields.as_text(fields)}
    value = {"filename": file_name, "size": size, "regions": regions, "file_attributes": attrs}
    return f"{file_name}{size}", value


def project_to_via(project: Project, *, label_key: str = "label") -> dict[str, Any]:
    """A VIA 2 project dict (loads in VIA 2.0.x via Project > Load)."""
    meta = dict(
        image_entry(
            img.file_name,
            file_size(project.root, img.file_name),
            [
                polygon_region(
                    p[:, 0].tolist(),
                    p[:, 1].tolist(),
                    i.label,
                    label_key,
                    i.id if len(i.polygons) > 1 else None,
                    app_fields.fields_of_instance(i),
                )
                for i in img.instances
                for p in i.polygons
            ],
            app_fields.fields_of_image(img),
        )
        for img in project.images.values()
    )
    return via_document(meta, project.labels, label_key)


def via_document(
    meta: dict[str, Any], labels: Sequence[str], label_key: str = "label"
) -> dict[str, Any]:
    """The VIA 2 project around its `_via_img_metadata`: settings and the label attribute."""
    return {
        "_via_settings": {
            "ui": {"annotation_editor_height": 25, "annotation_editor_fontsize": 0.8},
            "core": {"buffer_size": 18, "filepath": {}, "default_filepath": ""},
            "project": {"name": "vertapp"},
        },
        "_via_img_metadata": meta,
        "_via_attributes": {
            "region": {
                label_key: {
                    "type": "dropdown",
                    "description": "vertebra",
                    "options": {n: n for n in labels},
                    "default_options": {},
                },
                app_fields.FIELDS_KEY: _fields_attribute("outline"),
            },
            "file": {app_fields.FIELDS_KEY: _fields_attribute("image")},
        },
    }


def _fields_attribute(what: str) -> dict[str, Any]:
    """The declared text attribute VertApp's fields travel in (VIA shows and keeps it)."""
    return {
        "type": "text",
        "description": f"VertApp's fields of this {what} (review status, score, model, "
        "patient): keep as is, VertApp reads them back",
        "default_value": "",
    }
