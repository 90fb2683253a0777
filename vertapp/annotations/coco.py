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

project.json is written one record per line (`snapshot_chunks`), still plain
JSON; `parse_project_json` reads that layout record by record and anything
else whole, with the same result as json.loads.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

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
    parse_json,
    points_array,
)
from vertapp.errors import FormatError, UnsafePathError

try:  # several times faster than json on floats; json is the fallback
    import orjson
except ImportError:  # pragma: no cover (a declared dependency)
    orjson = None  # type: ignore[assignment]

IMAGE_KEYS = {"id", "file_name", "width", "height", "vertapp"}
ANN_KEYS = {"id", "image_id", "category_id", "segmentation", "area", "bbox", "iscrowd", "score"}
ANN_KEYS |= {"vertapp"}
TOP_KEYS = {"images", "annotations", "categories", "vertapp"}


# =================================================================== writing
#
# Saving a big project must not stall the window, so writing has two halves:
# `take_snapshot` (GUI thread, cheap: the scalar fields of every instance and
# references to its polygon arrays) and `snapshot_chunks` (any thread: records,
# area/bbox, JSON). The arrays are shared, not copied: until the writer is done
# (`Project.share_arrays`), `Project.apply` gives an instance fresh copies before
# an edit, so what is being written never changes. Area and bbox are pycocotools' own values; they are
# cached by the exact content of the instance's geometry (a BLAKE2 digest of its
# coordinates with the image size and ring lengths), so an edit made by any path
# (an operation, undo, code that mutates the arrays) can never leave a stale value.


def instance_rle(inst: Instance, height: int, width: int) -> geo.Rle:
    return geo.polygons_to_rle(inst.polygons, height, width, inst.holes)


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


#: Records serialised per orjson call: short calls let the GUI thread take the GIL.
CHUNK_RECORDS = 256
_AREA_CACHE_MAX = 250_000  # entries (about 300 bytes each)
# Values hold only atoms and tuples, so the garbage collector stops tracking them.
_area_cache: dict[tuple[Any, ...], tuple[float, tuple[float, ...], str | None]] = {}
_NO_EXTRA: dict[str, Any] = {}  # shared by every instance without extra keys; never mutated


class _AnnSnap(NamedTuple):
    """What one instance contributes to the file (built off the GUI thread)."""

    id: int
    image_id: int
    height: int
    width: int
    category_id: int
    source: str
    reviewed: bool
    score: float | None
    model_id: str | None
    order_changed: bool
    extra: dict[str, Any] | None  # None: no extra keys (most instances)
    ring_lens: tuple[int, ...]  # vertex counts: polygons, then holes
    n_polys: int
    start: int  # index of its first ring in ProjectSnapshot.rings


class ProjectSnapshot(NamedTuple):
    """A consistent copy of everything project.json holds, independent of later edits."""

    head: dict[str, Any]  # top-level keys other than images / annotations
    images: list[dict[str, Any]]
    insts: list[tuple[Any, ...]]  # per instance, as `take_snapshot` captures it
    rings: list[np.ndarray]  # every ring of every instance, in order (shared arrays)
    cat_ids: dict[str, int]


def take_snapshot(project: Project) -> ProjectSnapshot:
    """The project's saved state; for the GUI thread, so as little as possible: one
    tuple of scalars per instance and references to the arrays (see above)."""
    images: list[dict[str, Any]] = []
    insts: list[tuple[Any, ...]] = []
    rings: list[np.ndarray] = []
    for img in project.images.values():
        images.append(_image_record(img))
        image = (img.id, img.height, img.width)
        for inst in img.instances:
            insts.append(
                (
                    image,
                    inst.id,
                    inst.label,
                    inst.source,
                    inst.reviewed,
                    inst.score,
                    inst.model_id,
                    inst.order_changed,
                    # nested values are replaced by edits, never mutated: a shallow copy
                    dict(inst.extra) if inst.extra else None,
                    len(inst.polygons),
                    len(inst.holes),
                )
            )
            rings += inst.polygons
            if inst.holes:
                rings += inst.holes
    app = dict(project.app_extra)
    app.update(schema_version=SCHEMA_VERSION, label_set=project.label_set)
    head = copy.deepcopy(project.extra)
    head.update(categories=copy.deepcopy(project.categories), vertapp=copy.deepcopy(app))
    cat_ids = {str(c["name"]): int(c["id"]) for c in project.categories}
    return ProjectSnapshot(head, images, insts, rings, cat_ids)


def _ann_snaps(snap: ProjectSnapshot) -> list[_AnnSnap]:
    lens = [len(r) for r in snap.rings]
    out, ring = [], 0
    for image, iid, label, source, reviewed, score, model_id, order, extra, np_, nh in snap.insts:
        ring_lens = tuple(lens[ring : ring + np_ + nh])
        image_id, height, width = image
        out.append(
            _AnnSnap(
                iid,
                image_id,
                height,
                width,
                snap.cat_ids[label],
                source,
                reviewed,
                score,
                model_id,
                order,
                extra,
                ring_lens,
                np_,
                ring,
            )
        )
        ring += np_ + nh
    return out


def _rings_of(snap: ProjectSnapshot, a: _AnnSnap) -> list[np.ndarray]:
    """The instance's rings as C-contiguous float64 (a copy only if they are not)."""
    own = snap.rings[a.start : a.start + len(a.ring_lens)]
    return [np.ascontiguousarray(r, dtype=np.float64).reshape(-1, 2) for r in own]


def _area_bbox(a: _AnnSnap, rings: list[np.ndarray]) -> tuple[float, tuple[float, ...], str | None]:
    """(area, bbox, RLE counts when the instance has holes), pycocotools' values, cached."""
    digest = hashlib.blake2b(digest_size=16)
    for r in rings:
        digest.update(r.data)
    key = (a.height, a.width, a.n_polys, a.ring_lens, digest.digest())
    hit = _area_cache.get(key)
    if hit is not None:
        return hit
    polys, holes = rings[: a.n_polys], rings[a.n_polys :]
    rle = geo.polygons_to_rle(polys, a.height, a.width, holes)
    counts = geo.rle_to_json(rle)["counts"] if holes else None
    value = (geo.rle_area(rle), tuple(geo.rle_bbox(rle)), counts)
    if len(_area_cache) >= _AREA_CACHE_MAX:
        _area_cache.clear()  # rare; the next save recomputes what it needs
    _area_cache[key] = value
    return value


def _ann_record(snap: ProjectSnapshot, a: _AnnSnap, as_lists: bool) -> dict[str, Any]:
    rings = _rings_of(snap, a)
    area, bbox, counts = _area_bbox(a, rings)
    flat_rings = [r.ravel().tolist() if as_lists else r.ravel() for r in rings]
    extra = a.extra or _NO_EXTRA
    app = dict(extra.get("vertapp", {}))
    app.update(source=a.source, reviewed=a.reviewed)
    if a.model_id is not None:
        app["model_id"] = a.model_id
    if a.order_changed:
        app["order_changed"] = True
    if counts is not None:
        app["polygons"] = flat_rings[: a.n_polys]
        app["holes"] = flat_rings[a.n_polys :]
    rec = {k: v for k, v in extra.items() if k != "vertapp"}
    rec.update(
        id=a.id,
        image_id=a.image_id,
        category_id=a.category_id,
        segmentation=flat_rings
        if counts is None
        else {"size": [a.height, a.width], "counts": counts},
        area=area,
        bbox=list(bbox),
        iscrowd=int(extra.get("iscrowd", 0)),
    )
    if a.score is not None:
        rec["score"] = a.score
    rec["vertapp"] = app
    return rec


def snapshot_to_coco(snap: ProjectSnapshot) -> dict[str, Any]:
    """The snapshot as one COCO dict of plain Python values."""
    data = dict(snap.head)
    data["images"] = snap.images
    data["annotations"] = [_ann_record(snap, a, True) for a in _ann_snaps(snap)]
    # The historical key order (COCO keys first), for readers of the dict.
    order = [*(k for k in data if k not in TOP_KEYS), "images", "annotations", "categories"]
    return {k: data[k] for k in [*order, "vertapp"]}


def project_to_coco(project: Project) -> dict[str, Any]:
    """The whole project as one COCO dict (what project.json holds)."""
    return snapshot_to_coco(take_snapshot(project))


def snapshot_chunks(snap: ProjectSnapshot) -> Iterator[bytes]:
    """project.json as UTF-8 chunks, one record per line (see `parse_project_json`).

    Layout: `{<other keys>,"images":[` / one image per line / `],"annotations":[` /
    one annotation per line / `]}`. Standard JSON that any reader takes; our own
    reader parses it line by line, in short calls.
    """
    head = dumps_compact(snap.head)
    yield head[:-1] + (b"," if len(head) > 2 else b"") + IMAGES_LINE
    yield from _record_lines(snap.images, lambda r: r)
    yield ANNOTATIONS_LINE
    yield from _record_lines(_ann_snaps(snap), lambda a: _ann_record(snap, a, False))
    yield END_LINE


def _record_lines(items: Sequence[Any], build: Callable[[Any], Any]) -> Iterator[bytes]:
    for i in range(0, len(items), CHUNK_RECORDS):
        lines = [dumps_compact(build(x)) for x in items[i : i + CHUNK_RECORDS]]
        last = i + CHUNK_RECORDS >= len(items)
        yield b",\n".join(lines) + (b"\n" if last else b",\n")


IMAGES_LINE = b'"images":[\n'
ANNOTATIONS_LINE = b'],"annotations":[\n'
END_LINE = b"]}\n"


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


# =================================================================== JSON


def _plain(obj: Any) -> Any:
    """json.dumps fallback for numpy values (orjson missing or refusing a value)."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def dumps_compact(obj: Any) -> bytes:
    """Compact JSON. orjson when installed (NaN written as null); json for what it refuses
    (integers beyond 64 bits, non-string keys in unknown fields)."""
    if orjson is not None:
        try:
            return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)
        except TypeError:
            pass
    return json.dumps(obj, separators=(",", ":"), default=_plain).encode("utf-8")


def _loads(raw: bytes) -> Any:
    return orjson.loads(raw) if orjson is not None else json.loads(raw)


def parse_project_json(raw: bytes, name: str) -> Any:
    """Parse project.json; FormatError naming `name` when it is not JSON.

    A file in the layout `snapshot_chunks` writes is parsed one record per call, so
    a worker thread reading a big project never holds the GIL for long (the window
    keeps painting). Anything else (older or foreign files, a hand edit) is parsed
    whole; whatever orjson refuses goes to json, which gives the error message.
    Note: orjson reads integers beyond 64 bits as floats.
    """
    try:
        data = _parse_lines(raw) if orjson is not None else None
    except (ValueError, TypeError):
        data = None
    if data is not None:
        return data
    try:
        return _loads(raw)
    except (ValueError, RecursionError):
        return parse_json(raw, name)


def _parse_lines(raw: bytes) -> dict[str, Any] | None:
    """The dict `json.loads(raw)` gives, if `raw` has our line layout; else None."""
    f = io.BytesIO(raw)
    first = f.readline()
    if not (first.startswith(b"{") and first.endswith(IMAGES_LINE)):
        return None
    head_json = first[: -len(IMAGES_LINE)]
    if head_json != b"{" and not head_json.endswith(b","):
        return None
    head = _loads((head_json[:-1] if head_json != b"{" else head_json) + b"}")
    if not isinstance(head, dict) or "images" in head or "annotations" in head:
        return None  # duplicate keys: leave "last one wins" to the whole-file parser
    images = _parse_records(f, ANNOTATIONS_LINE)
    anns = _parse_records(f, END_LINE) if images is not None else None
    if anns is None or f.read().strip():
        return None
    head["images"], head["annotations"] = images, anns
    return head


def _parse_records(f: io.BytesIO, end: bytes) -> list[Any] | None:
    """Records one per line up to the line `end`; None if the lines are not that."""
    out: list[Any] = []
    comma = False  # the previous record ended with a comma: another one must follow
    for line in f:
        if line == end:
            return None if comma else out
        if out and not comma:
            return None
        comma = line.endswith(b",\n")
        out.append(_loads(line[:-2] if comma else line))
    return None


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
        source_path=_source_path(app.get("source_path"), where),
        mip_affine=_affine(app.get("mip_affine"), where),
        patient_key=opt_str(app.get("patient_key"), where, "patient_key"),
        status=status,
        extra=extra,
    )


def _source_path(obj: Any, where: Where) -> str | None:
    """The CT behind a MIP: a path inside the project, like every path read from a file."""
    name = opt_str(obj, where, "source_path")
    return None if name is None else safe_relpath(name, f"{where}: source_path")


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
