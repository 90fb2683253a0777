"""COCO: the project file format, import of foreign COCO files, prediction results.

A project file is a COCO file that `pycocotools.coco.COCO` loads and `COCOeval`
scores unchanged. App fields live under a "vertapp" key (top level: schema
version, label set; per image: kind, source volume, MIP affine, patient key,
review status; per annotation: source, reviewed, model id, exact polygons when
the segmentation is RLE). Keys we do not know survive a load/save.

Written per annotation: `segmentation` as polygons (flat lists), or as
compressed RLE when the instance has holes; `area` and `bbox` from the mask as
pycocotools computes them; `iscrowd` 0; `score` for predictions.
Read: polygons, uncompressed RLE and compressed RLE.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from vertapp.annotations import geometry as geo
from vertapp.annotations.labelmap import infer_label_set, map_label
from vertapp.annotations.model import (
    KINDS,
    SCHEMA_VERSION,
    SOURCES,
    STATUSES,
    ImageRecord,
    Instance,
    Project,
    default_categories,
)
from vertapp.annotations.paths import safe_relpath
from vertapp.annotations.validate import (
    VertexBudget,
    Where,
    image_size,
    need_dict,
    need_int,
    need_list,
    need_number,
    need_str,
    opt_str,
    points_array,
)
from vertapp.errors import FormatError, UnsafePathError

IMAGE_KEYS = {"id", "file_name", "width", "height", "vertapp"}
ANN_KEYS = {"id", "image_id", "category_id", "segmentation", "area", "bbox", "iscrowd", "score"}
ANN_KEYS |= {"vertapp"}
TOP_KEYS = {"images", "annotations", "categories", "vertapp"}


# =================================================================== writing


def instance_rle(inst: Instance, height: int, width: int) -> geo.Rle:
    return geo.polygons_to_rle(inst.polygons, height, width, inst.holes)


def _segmentation(inst: Instance, height: int, width: int) -> tuple[Any, float, list[float]]:
    rle = instance_rle(inst, height, width)
    seg: Any
    if inst.holes:
        seg = geo.rle_to_json(rle)
    else:
        seg = [p.ravel().tolist() for p in inst.polygons]
    return seg, geo.rle_area(rle), geo.rle_bbox(rle)


def _image_record(img: ImageRecord) -> dict[str, Any]:
    app = dict(img.extra.get("vertapp", {}))
    app.update(kind=img.kind, status=img.status)
    if img.source_path is not None:
        app["source_path"] = img.source_path
    if img.mip_affine is not None:
        app["mip_affine"] = img.mip_affine
    if img.patient_key is not None:
        app["patient_key"] = img.patient_key
    rec = {k: v for k, v in img.extra.items() if k != "vertapp"}
    rec.update(id=img.id, file_name=img.file_name, width=img.width, height=img.height)
    rec["vertapp"] = app
    return rec


def _annotation_record(inst: Instance, img: ImageRecord, category_id: int) -> dict[str, Any]:
    seg, area, bbox = _segmentation(inst, img.height, img.width)
    app = dict(inst.extra.get("vertapp", {}))
    app.update(source=inst.source, reviewed=inst.reviewed)
    if inst.model_id is not None:
        app["model_id"] = inst.model_id
    if inst.order_changed:
        app["order_changed"] = True
    if inst.holes:
        app["polygons"] = [p.ravel().tolist() for p in inst.polygons]
        app["holes"] = [h.ravel().tolist() for h in inst.holes]
    rec = {k: v for k, v in inst.extra.items() if k != "vertapp"}
    rec.update(
        id=inst.id,
        image_id=img.id,
        category_id=category_id,
        segmentation=seg,
        area=area,
        bbox=bbox,
        iscrowd=int(inst.extra.get("iscrowd", 0)),
    )
    if inst.score is not None:
        rec["score"] = inst.score
    rec["vertapp"] = app
    return rec


def project_to_coco(project: Project) -> dict[str, Any]:
    """The whole project as one COCO dict (what project.json holds)."""
    cat_ids = {str(c["name"]): int(c["id"]) for c in project.categories}
    images, anns = [], []
    for img in project.images.values():
        images.append(_image_record(img))
        for inst in img.instances:
            anns.append(_annotation_record(inst, img, cat_ids[inst.label]))
    app = dict(project.app_extra)
    app.update(schema_version=SCHEMA_VERSION, label_set=project.label_set)
    data = dict(project.extra)
    data.update(images=images, annotations=anns, categories=project.categories, vertapp=app)
    return data


def results_from_project(
    project: Project,
    *,
    sources: Sequence[str] = ("predicted", "corrected"),
    default_score: float = 1.0,
) -> list[dict[str, Any]]:
    """COCO results list (for COCO.loadRes / COCOeval): RLE masks, bbox, score.

    Instances whose source is in `sources` are written; those without a score get
    `default_score` (use sources=SOURCES to score ground truth against itself).
    """
    cat_ids = {str(c["name"]): int(c["id"]) for c in project.categories}
    out = []
    for img, inst in project.iter_instances():
        if inst.source not in sources:
            continue
        rle = instance_rle(inst, img.height, img.width)
        out.append(
            {
                "image_id": img.id,
                "category_id": cat_ids[inst.label],
                "segmentation": geo.rle_to_json(rle),
                "bbox": geo.rle_bbox(rle),
                "score": float(inst.score if inst.score is not None else default_score),
            }
        )
    return out


# =================================================================== reading

#: Ordered schema migrations: MIGRATIONS[v] turns a version-v "vertapp" block into v+1.
Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A plain COCO file (no "vertapp" block) becomes a version 1 project."""
    data["vertapp"] = {"schema_version": 1}
    return data


MIGRATIONS: dict[int, Migration] = {0: _v0_to_v1}


def migrate(data: dict[str, Any], where: Where) -> dict[str, Any]:
    app = data.get("vertapp")
    if app is None:
        version = 0
    else:
        app = need_dict(app, where.sub("vertapp"))
        version = need_int(app.get("schema_version"), where.sub("vertapp"), "schema_version", lo=0)
    if version > SCHEMA_VERSION:
        raise where.error(
            f"written by a newer VertApp (schema {version}, this one reads up to {SCHEMA_VERSION})"
        )
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    return data


def _categories(
    data: dict[str, Any], where: Where, label_map: Mapping[str, str] | None
) -> tuple[list[dict[str, Any]], dict[int, str], str]:
    """(project categories, file category id -> our label, label set)."""
    raw = need_list(data.get("categories", []), where.sub("categories"))
    names: dict[int, str] = {}
    for i, cat in enumerate(raw):
        w = where.sub("categories", i)
        cat = need_dict(cat, w)
        cid = need_int(cat.get("id"), w, "id")
        if cid in names:
            raise w.error(f"duplicate category id {cid}")
        names[cid] = map_label(need_str(cat.get("name"), w, "name"), label_map)
    app = data.get("vertapp") or {}
    label_set = app.get("label_set") if isinstance(app, dict) else None
    if label_set not in ("vertebrae", "parts", "custom"):
        label_set = infer_label_set(names.values())
    if label_set == "custom":
        cats = [need_dict(c, where) for c in raw]
        cats = [dict(c, name=names[int(c["id"])]) for c in cats]
    else:
        cats = default_categories(label_set)
        allowed = {c["name"] for c in cats}
        for cid, name in names.items():
            if name not in allowed:
                raise where.error(f"category {cid} {name!r} is not in the {label_set} label set")
    return cats, names, label_set


def _affine(obj: Any, where: Where) -> list[list[float]] | None:
    if obj is None:
        return None
    rows = need_list(obj, where)
    if len(rows) != 3 or any(not isinstance(r, list) or len(r) != 3 for r in rows):
        raise where.error("'mip_affine' must be a 3x3 list")
    return [[need_number(v, where, "mip_affine") for v in r] for r in rows]


def _image(rec: Any, where: Where) -> ImageRecord:
    rec = need_dict(rec, where)
    app = rec.get("vertapp") or {}
    app = need_dict(app, where.sub("vertapp"))
    w, h = image_size(rec.get("width"), rec.get("height"), where)
    kind = app.get("kind", "mip")
    status = app.get("status", "not_started")
    if kind not in KINDS:
        raise where.error(f"'kind' must be one of {KINDS}, got {kind!r:.40}")
    if status not in STATUSES:
        raise where.error(f"'status' must be one of {STATUSES}, got {status!r:.40}")
    known = {"kind", "status", "source_path", "mip_affine", "patient_key"}
    extra = {k: v for k, v in rec.items() if k not in IMAGE_KEYS}
    unknown_app = {k: v for k, v in app.items() if k not in known}
    if unknown_app:
        extra["vertapp"] = unknown_app
    return ImageRecord(
        id=need_int(rec.get("id"), where, "id"),
        file_name=safe_relpath(rec.get("file_name"), str(where)),
        width=w,
        height=h,
        kind=kind,
        source_path=opt_str(app.get("source_path"), where, "source_path"),
        mip_affine=_affine(app.get("mip_affine"), where),
        patient_key=opt_str(app.get("patient_key"), where, "patient_key"),
        status=status,
        extra=extra,
    )


def _rings(obj: Any, where: Where, budget: VertexBudget) -> list[np.ndarray]:
    rings = []
    for j, p in enumerate(need_list(obj, where)):
        arr = points_array(p, where.sub("polygon", j), flat=True)
        budget.take(len(arr), where)
        rings.append(arr)
    return rings


def _geometry(
    rec: dict[str, Any], app: dict[str, Any], img: ImageRecord, where: Where, budget: VertexBudget
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    if "polygons" in app:  # exact geometry of an instance saved as RLE (holes)
        polys = _rings(app["polygons"], where.sub("vertapp.polygons"), budget)
        holes = _rings(app.get("holes", []), where.sub("vertapp.holes"), budget)
        if not polys:
            raise where.error("'vertapp.polygons' is empty")
        return polys, holes
    seg = rec.get("segmentation")
    if isinstance(seg, list):
        polys = _rings(seg, where.sub("segmentation"), budget)
        if not polys:
            raise where.error("segmentation has no polygon")
        return polys, []
    if isinstance(seg, dict):
        try:
            mask = geo.rle_to_mask(geo.segmentation_to_rle(seg, img.height, img.width))
        except geo.GeometryError as err:
            raise where.error(f"segmentation: {err}") from None
        polys, holes = geo.mask_to_rings(mask)
        if not polys:
            raise where.error("RLE segmentation is empty")
        budget.take(sum(len(p) for p in polys), where)
        return polys, holes
    raise where.error(f"'segmentation' must be polygons or RLE, got {type(seg).__name__}")


def _instance(
    rec: Any,
    where: Where,
    images: dict[int, ImageRecord],
    labels: dict[int, str],
    budget: VertexBudget,
) -> tuple[int, Instance]:
    rec = need_dict(rec, where)
    app = need_dict(rec.get("vertapp") or {}, where.sub("vertapp"))
    image_id = need_int(rec.get("image_id"), where, "image_id")
    if image_id not in images:
        raise where.error(f"refers to image {image_id}, which the file does not list")
    cid = need_int(rec.get("category_id"), where, "category_id")
    if cid not in labels:
        raise where.error(f"refers to category {cid}, which the file does not list")
    score = rec.get("score")
    score = None if score is None else need_number(score, where, "score")
    source = app.get("source", "predicted" if score is not None else "manual")
    if source not in SOURCES:
        raise where.error(f"'source' must be one of {SOURCES}, got {source!r:.40}")
    polys, holes = _geometry(rec, app, images[image_id], where, budget)
    known = {"source", "reviewed", "model_id", "order_changed", "polygons", "holes"}
    extra = {k: v for k, v in rec.items() if k not in ANN_KEYS}
    if rec.get("iscrowd"):
        extra["iscrowd"] = need_int(rec.get("iscrowd"), where, "iscrowd", lo=0, hi=1)
    unknown_app = {k: v for k, v in app.items() if k not in known}
    if unknown_app:
        extra["vertapp"] = unknown_app
    inst = Instance(
        id=need_int(rec.get("id"), where, "id"),
        label=labels[cid],
        polygons=polys,
        holes=holes,
        source=source,
        score=score,
        model_id=opt_str(app.get("model_id"), where, "model_id"),
        reviewed=bool(app.get("reviewed", False)),
        order_changed=bool(app.get("order_changed", False)),
        extra=extra,
    )
    return image_id, inst


def project_from_coco(
    data: Any,
    *,
    name: str = "project.json",
    root: Any = None,
    label_map: Mapping[str, str] | None = None,
) -> Project:
    """Build a Project from a parsed COCO dict. Any problem -> FormatError naming the record.

    Annotations without an "id" (some exporters) are numbered after the largest id.
    """
    where = Where(name)
    data = migrate(dict(need_dict(data, where)), where)
    cats, labels, label_set = _categories(data, where, label_map)
    project = Project(root, label_set=label_set, categories=cats)
    images: dict[int, ImageRecord] = {}
    for i, rec in enumerate(need_list(data.get("images", []), where.sub("images"))):
        w = where.sub("images", i, id=rec.get("id") if isinstance(rec, dict) else None)
        img = _image(rec, w)
        if img.id in images:
            raise w.error(f"duplicate image id {img.id}")
        images[img.id] = img
    _read_annotations(data, where, images, labels)
    for img in images.values():
        project.add_image(img)
    app = data.get("vertapp") or {}
    project.app_extra = {k: v for k, v in app.items() if k not in ("schema_version", "label_set")}
    project.extra = {k: v for k, v in data.items() if k not in TOP_KEYS}
    project.revision = 0
    return project


def _read_annotations(
    data: dict[str, Any], where: Where, images: dict[int, ImageRecord], labels: dict[int, str]
) -> None:
    budget = VertexBudget(where.file)
    anns = need_list(data.get("annotations", []), where.sub("annotations"))
    seen: set[int] = set()
    next_id = 1 + max(
        (a["id"] for a in anns if isinstance(a, dict) and type(a.get("id")) is int), default=0
    )
    for i, rec in enumerate(anns):
        if isinstance(rec, dict) and "id" not in rec:
            rec = dict(rec, id=next_id)
            next_id += 1
        w = where.sub("annotations", i, id=rec.get("id") if isinstance(rec, dict) else None)
        image_id, inst = _instance(rec, w, images, labels, budget)
        if inst.id in seen:
            raise w.error(f"duplicate annotation id {inst.id}")
        seen.add(inst.id)
        images[image_id].instances.append(inst)


def load_coco(
    path: Any, *, root: Any = None, label_map: Mapping[str, str] | None = None
) -> Project:
    """Read a COCO file (ours or foreign) into a Project. root defaults to its folder."""
    from pathlib import Path

    from vertapp.annotations.validate import read_json

    p = Path(path)
    data = read_json(p)
    try:
        return project_from_coco(
            data, name=str(p), root=root if root is not None else p.parent, label_map=label_map
        )
    except UnsafePathError:
        raise
    except FormatError:
        raise
    except (RecursionError, MemoryError) as err:
        raise FormatError(
            f"{p}: file is too deeply nested or too large ({type(err).__name__})"
        ) from None
