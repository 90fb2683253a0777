"""Format detection and conversion between COCO, VIA 2 and labelme JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations import app_fields, coco, labelme, store, via
from vertapp.annotations.model import Project
from vertapp.annotations.validate import read_json
from vertapp.errors import FormatError

FORMATS = ("coco", "via", "labelme")


def detect_format(path: Path) -> str:
    """ "project" (folder with project.json), "labelme" (folder of labelme files) or by content."""
    if path.is_dir():
        if (path / store.PROJECT_FILE).is_file():
            return "project"
        return "labelme"
    return detect_data_format(read_json(path), str(path))


def detect_data_format(data: Any, name: str) -> str:
    if isinstance(data, dict):
        if "_via_img_metadata" in data:
            return "via"
        if "shapes" in data and ("imagePath" in data or "imageHeight" in data):
            return "labelme"
        if "images" in data or "annotations" in data:
            return "coco"
        if data and all(
            isinstance(v, dict) and "filename" in v and "regions" in v for v in data.values()
        ):
            return "via"
    raise FormatError(f"{name}: not a COCO, VIA 2 or labelme JSON file")


def read_annotations(
    path: Path | str,
    *,
    images_dir: Path | str | None = None,
    label_map: Mapping[str, str] | None = None,
    notes: list[str] | None = None,
) -> tuple[Project, str]:
    """Read any supported input; returns (project, detected format). `notes`: where to
    add what the user must hear (a VIA or labelme file without VertApp fields)."""
    p = Path(path)
    fmt = detect_format(p)
    if fmt == "project":
        return store.load_project(p), "coco"
    if fmt == "labelme":
        return labelme.load_labelme(p, label_map=label_map, notes=notes), fmt
    if fmt == "via":
        return via.load_via(p, images_dir=images_dir, label_map=label_map, notes=notes), fmt
    return coco.load_coco(p, root=images_dir, label_map=label_map), fmt


def output_format(out: Path, requested: str | None, input_format: str) -> str:
    if requested:
        return requested
    name = out.name.lower()
    if "via" in name:
        return "via"
    if out.suffix == "" or "labelme" in name:
        return "labelme"
    return "coco"


def export_notes(project: Project, fmt: str) -> list[str]:
    """What writing `project` as `fmt` cannot keep (holes in VIA and labelme), or keeps
    for VertApp only (review status), in words with counts; none for COCO."""
    return app_fields.export_notes(project, fmt)


def write_annotations(project: Project, out: Path | str, fmt: str) -> list[Path]:
    """Write `project` as `fmt`; labelme writes one file per image into folder `out`.

    VIA and labelme carry VertApp's fields (`app_fields`), so reading the file back gives
    the same review status, scores and image records; holes are written filled
    (`export_notes` says how many)."""
    out = Path(out)
    if fmt == "coco":  # the project file's own fast, streamed writer: same COCO content
        return export_snapshot(coco.take_snapshot(project), out, fmt)
    if fmt == "via":
        out.parent.mkdir(parents=True, exist_ok=True)
        store.atomic_write_bytes(out, coco.dumps_compact(via.project_to_via(project)))
        return [out]
    if fmt == "labelme":
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for img in project.images.values():
            target = out / (Path(img.file_name).stem + ".json")
            payload = json.dumps(labelme.image_to_labelme(img), indent=1).encode()
            store.atomic_write_bytes(target, payload)
            written.append(target)
        return written
    raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")


def export_snapshot(
    snap: coco.ProjectSnapshot, out: Path | str, fmt: str, *, root: Path | None = None
) -> list[Path]:
    """Write a project snapshot (`coco.take_snapshot`, cheap on the GUI thread) as `fmt`.

    Meant for a worker thread: it reads only the snapshot, never the live project (whose
    arrays the caller keeps from in-place edits with `Project.share_arrays` meanwhile).
    VIA and labelme are written from a project rebuilt from the snapshot; `root` is the
    project folder (VIA records each image's file size).
    """
    out = Path(out)
    if fmt == "coco":
        out.parent.mkdir(parents=True, exist_ok=True)
        store.atomic_write_chunks(out, coco.snapshot_chunks(snap))
        return [out]
    if fmt == "via":
        out.parent.mkdir(parents=True, exist_ok=True)
        store.atomic_write_chunks(out, _via_chunks(snap, root))
        return [out]
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    project = coco.project_from_coco(coco.snapshot_to_coco(snap), root=root)
    return write_annotations(project, out, fmt)


def _via_chunks(snap: coco.ProjectSnapshot, root: Path | None) -> Iterator[bytes]:
    """VIA 2 JSON of a snapshot, streamed a few images per orjson call.

    The polygon arrays go to orjson as numpy: no Python float per vertex (10^7 of them
    in a big project kept the garbage collector busy, holding the GIL), and short calls
    let the GUI thread run in between.
    """
    regions: dict[int, list[dict[str, Any]]] = {img["id"]: [] for img in snap.images}
    ring = 0
    for image, iid, label, *scalars, n_polygons, n_holes in snap.insts:
        joint = iid if n_polygons > 1 else None  # one vertebra, several regions
        # source, reviewed, score, model_id, order_changed, extra (`coco.take_snapshot`)
        fields = app_fields.instance_fields(iid, *scalars)
        for poly in snap.rings[ring : ring + n_polygons]:
            xs, ys = np.ascontiguousarray(poly[:, 0]), np.ascontiguousarray(poly[:, 1])
            regions[image[0]].append(
                via.polygon_region(xs, ys, label, instance=joint, fields=fields)
            )
        ring += n_polygons + n_holes
    head = coco.dumps_compact(via.via_document({}, list(snap.cat_ids)))
    marker = b'"_via_img_metadata":{}'
    before, after = head.split(marker)
    yield before + marker[:-1]
    for i in range(0, len(snap.images), coco.CHUNK_RECORDS):
        entries = []
        for img in snap.images[i : i + coco.CHUNK_RECORDS]:
            size = via.file_size(root, img["file_name"])
            key, value = via.image_entry(
                img["file_name"], size, regions[img["id"]], app_fields.image_fields(img)
            )
            entries.append(coco.dumps_compact({key: value})[1:-1])
        yield (b"," if i else b"") + b",".join(entries)
    yield b"}" + after
