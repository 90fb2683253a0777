"""Training data: images + instance masks read from a project folder or COCO file.

A project folder holds `project.json` (COCO with "vertapp" keys) and its images.
Samples keep the patient key so the train/validation split is by patient.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vertapp.annotations.coco import project_from_coco
from vertapp.annotations.paths import safe_join
from vertapp.annotations.validate import (
    MAX_FILE_BYTES,
    Where,
    image_size,
    need_int,
    parse_json,
    regular_file_size,
)
from vertapp.errors import FormatError, InputError
from vertapp.labels import VERTEBRAE
from vertapp.ml.masks import segmentation_to_mask

PROJECT_FILE = "project.json"


@dataclass
class Sample:
    """One image with its instances. `image` is 2D uint8 (a MIP or radiograph)."""

    image: np.ndarray
    masks: np.ndarray  # (N, H, W) bool
    labels: np.ndarray  # (N,) int64 class index, 1-based (0 = background)
    patient: str = ""
    image_id: int = 0
    file_name: str = ""
    spacing_mm: tuple[float, float] = (1.0, 1.0)
    record: dict[str, Any] = field(default_factory=dict)
    # category -> label annotations left out because their outline covers no pixel:
    # counted where the mask is made, so the run can say it without rasterising again
    empty_outlines: dict[str, int] = field(default_factory=dict)


def resolve_dataset_path(path: str | Path) -> tuple[Path, Path]:
    """(COCO json, image root) for a project folder or a COCO file."""
    p = Path(path)
    if p.is_dir():
        coco = p / PROJECT_FILE
        if not coco.is_file():
            raise InputError(f"{p}: no {PROJECT_FILE} in this folder")
        return coco, p
    if p.is_file():
        return p, p.parent
    raise InputError(f"{p}: no such dataset (expected a project folder or COCO .json)")


# The last COCO file read and checked, by path and content digest. `vertapp train` asks
# for its dataset five times before the first step (kind, starter, classes, samples,
# reviews); each parsed and checked it anew, 3 s a time for a 70 MB project.
_LAST_READ: dict[tuple[str, bytes], dict[str, Any]] = {}


def read_coco(path: Path) -> dict[str, Any]:
    """A COCO file, checked (`checked_coco`). Parsed once while its bytes stay the same:
    the records are shared with earlier reads, so a caller must not change them."""
    raw = _coco_bytes(path)
    key = (str(path.resolve()), hashlib.sha256(raw).digest())  # not stat: mtime ticks are ms
    if key not in _LAST_READ:
        _LAST_READ.clear()  # one file kept: the earlier one freed before this one is parsed
        _LAST_READ[key] = checked_coco(parse_json(raw, str(path)), str(path))
    return dict(_LAST_READ[key])


def forget_reads() -> None:
    """Free the kept read: a training run's start reads its dataset several times, then
    never again, and on a 73 MB project the parsed copy held ~236 MiB all run long."""
    _LAST_READ.clear()


def _coco_bytes(path: Path) -> bytes:
    """The file's bytes, refused as `read_json` refuses them (not a file, too large)."""
    try:
        size = regular_file_size(path)
        if size > MAX_FILE_BYTES:
            raise FormatError(
                f"{path}: file is {size} bytes, more than the {MAX_FILE_BYTES} allowed"
            )
        return path.read_bytes()
    except OSError as err:
        raise FormatError(f"{path}: cannot read ({err.strerror or err})") from None


def checked_coco(data: Any, name: str) -> dict[str, Any]:
    """`data` if convert and review would take it (FormatError naming the file `name` and
    the record): read unchecked, duplicate image ids trained one image on another's
    polygons and a missing category_id said "this is a bug"."""
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise FormatError(f"{name}: not a COCO file (no 'images' list)")
    project_from_coco(data, name=name)  # only for its checks: the dict is used as read
    return {"annotations": [], "categories": [], **data}  # the caller's dict unchanged


def class_names_from_coco(coco: dict[str, Any]) -> list[str]:
    """The vertebra vocabulary if every category is a vertebra, else the file's own."""
    cats = sorted(coco.get("categories", []), key=lambda c: int(c["id"]))
    names = [str(c["name"]) for c in cats]
    if not names or all(n in VERTEBRAE for n in names):
        return list(VERTEBRAE)
    return names


def _spacing_pair(value: Any, where: str) -> tuple[float, float]:
    """A stated spacing as (row, col) mm; FormatError unless one or two numbers above 0
    (a text or a NaN fell back to 1 mm unsaid, and every distance was scored in pixels)."""
    pair = [value, value] if isinstance(value, int | float) else value
    if isinstance(pair, list | tuple) and len(pair) >= 2:
        nums = pair[:2]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in nums):
            row, col = float(nums[0]), float(nums[1])
            if np.isfinite([row, col]).all() and row > 0 and col > 0:
                return row, col
    raise FormatError(f"{where} must be a pixel spacing in mm (numbers above 0), got {value!r}")


def image_spacing(record: dict[str, Any]) -> tuple[float, float]:
    """(row, col) mm per pixel from the image's "vertapp" record; 1 mm (the MIP grid) if none."""
    meta = record.get("vertapp") or {}
    for key in ("spacing_mm", "pixel_spacing", "spacing"):
        if key in meta:
            return _spacing_pair(meta[key], f"image {record.get('id')}: vertapp.{key}")
    affine = meta.get("mip_affine")  # (row, col, 1) -> LPS mm: its columns are the pixel steps
    if isinstance(affine, list) and len(affine) == 3:
        try:
            steps = np.linalg.norm(np.asarray(affine, dtype=float)[:, :2], axis=0)
        except (TypeError, ValueError):
            steps = np.zeros(2)
        if np.all(np.isfinite(steps)) and np.all(steps > 0):
            return float(steps[0]), float(steps[1])
    return 1.0, 1.0


def patient_key(record: dict[str, Any]) -> str:
    """Patient of an image: the "vertapp" patient key, else its source volume, else itself."""
    meta = record.get("vertapp") or {}
    for key in ("patient", "patient_key", "patient_id", "source_volume", "source", "volume"):
        if meta.get(key):
            return str(meta[key])
    return f"image:{record.get('file_name', record.get('id'))}"


def read_image(path: Path) -> np.ndarray:
    """A grey image as uint8 (16-bit PNGs are rescaled to their range)."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise InputError(f"{path}: cannot read image")
    if img.ndim == 3:
        img = cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2GRAY)
    if img.dtype != np.uint8:
        from vertapp.io.radiograph_files import finite_pixels

        # one NaN pixel made the whole image 0 (predict found nothing, unsaid)
        f = finite_pixels(img, path).astype(np.float32)
        lo, hi = float(f.min()), float(f.max())
        img = ((f - lo) / max(hi - lo, 1e-6) * 255).round().astype(np.uint8)
    return img


def load_samples(
    path: str | Path, class_names: list[str] | None = None, *, with_images: bool = True
) -> list[Sample]:
    """Every image of a project folder / COCO file with its masks."""
    coco_path, root = resolve_dataset_path(path)
    coco = read_coco(coco_path)
    names = class_names or class_names_from_coco(coco)
    return samples_from_coco(coco, root, names, source=str(coco_path), with_images=with_images)


def is_label_annotation(ann: dict[str, Any]) -> bool:
    """A truth to train and score on: drawn or corrected by hand, or a prediction someone
    accepted. An undecided prediction (VertApp marks them: `vertapp.source` "predicted",
    not `reviewed`; `vertapp predict` writes that too) is the model's own word: training
    on it taught the model its own errors. COCO from other tools counts as labels."""
    meta = ann.get("vertapp")
    app: dict[str, Any] = meta if isinstance(meta, dict) else {}
    return app.get("source") != "predicted" or bool(app.get("reviewed"))


def images_to_review(coco: dict[str, Any]) -> set[int]:
    """Ids of the images still holding undecided predictions: not fully labelled, so not
    training material (their unreviewed vertebrae would be learnt as background)."""
    return {int(a["image_id"]) for a in coco["annotations"] if not is_label_annotation(a)}


def samples_from_coco(
    coco: dict[str, Any],
    root: Path,
    class_names: list[str],
    *,
    source: str = "COCO",
    with_images: bool = True,
) -> list[Sample]:
    cat_to_class = _category_map(coco, class_names)
    by_image: dict[int, list[dict[str, Any]]] = {}
    for ann in coco["annotations"]:
        by_image.setdefault(int(ann["image_id"]), []).append(ann)
    samples = []
    for i, rec in enumerate(coco["images"]):
        where = Where(source).sub("images", i, id=rec.get("id"))
        w, h = image_size(rec.get("width"), rec.get("height"), where)
        image_id = need_int(rec.get("id"), where, "id")
        image = (
            read_image(safe_join(root, rec["file_name"], f"image {rec.get('id')}"))
            if with_images
            else np.zeros((h, w), np.uint8)
        )
        if image.shape != (h, w):
            raise FormatError(
                f"{source}: image {rec['file_name']} is {image.shape[1]}x{image.shape[0]}, "
                f"record says {w}x{h}"
            )
        masks, labels, empty = _image_masks(by_image.get(image_id, []), cat_to_class, h, w)
        samples.append(
            Sample(
                image=image,
                masks=np.array(masks, bool).reshape(len(masks), h, w),
                labels=np.array(labels, np.int64),
                patient=patient_key(rec),
                image_id=image_id,
                file_name=str(rec.get("file_name", "")),
                spacing_mm=image_spacing(rec),
                record=rec,
                # by name: a class is its category's name (`_category_map`)
                empty_outlines={class_names[c - 1]: n for c, n in empty.items()},
            )
        )
    return samples


def _image_masks(
    anns: list[dict[str, Any]], cat_to_class: dict[int, int], h: int, w: int
) -> tuple[list[np.ndarray], list[int], dict[int, int]]:
    """An image's masks and classes from its label annotations of the model's classes, and
    per class how many outlines cover no pixel (drawn off the image, or degenerate): those
    have no mask to learn from, so they are left out, and counted for the run to say."""
    masks, labels = [], []
    empty: dict[int, int] = {}
    for ann in anns:
        cls = cat_to_class.get(int(ann["category_id"]))
        if cls is None or not is_label_annotation(ann):
            continue
        m = segmentation_to_mask(ann.get("segmentation"), h, w)
        if m.any():
            masks.append(m)
            labels.append(cls)
        else:
            empty[cls] = empty.get(cls, 0) + 1
    return masks, labels, empty


def _category_map(coco: dict[str, Any], class_names: list[str]) -> dict[int, int]:
    """COCO category id -> model class; a category that is no class is left out (what
    that leaves out, `foreign_categories` counts for the run to say)."""
    index = {n: i + 1 for i, n in enumerate(class_names)}
    out: dict[int, int] = {}
    for cat in coco.get("categories", []):
        name = str(cat.get("name"))
        if name in index:
            out[int(cat["id"])] = index[name]
    return out


def foreign_categories(coco: dict[str, Any], class_names: list[str]) -> dict[str, int]:
    """Category name -> how many of its label annotations are skipped because it is no
    class of the model (a C7 in a T1..L5 model). Categories with no annotation are not
    listed: leaving them out loses nothing."""
    known = _category_map(coco, class_names)
    names = {int(c["id"]): str(c.get("name")) for c in coco.get("categories", [])}
    counts: dict[str, int] = {}
    for ann in coco["annotations"]:
        cat = int(ann["category_id"])
        if cat not in known and is_label_annotation(ann):
            name = names.get(cat, f"id {cat}")
            counts[name] = counts.get(name, 0) + 1
    return counts


def validation_patients(patients: Iterable[str], val_fraction: float, seed: int = 0) -> set[str]:
    """The patient keys held out for validation (at least one kept for training)."""
    keys = sorted(set(patients))
    if val_fraction <= 0 or len(keys) < 2:
        return set()
    rng = np.random.default_rng(seed)
    order = [keys[i] for i in rng.permutation(len(keys))]
    n_val = min(len(keys) - 1, max(1, round(val_fraction * len(keys))))
    return set(order[:n_val])


def split_by_patient(
    samples: list[Sample], val_fraction: float, seed: int = 0
) -> tuple[list[Sample], list[Sample]]:
    """Train/validation split with every patient's images on one side only."""
    val_patients = validation_patients((s.patient for s in samples), val_fraction, seed)
    train = [s for s in samples if s.patient not in val_patients]
    val = [s for s in samples if s.patient in val_patients]
    return train, val


def samples_to_coco(samples: list[Sample], class_names: list[str]) -> dict[str, Any]:
    """A COCO dataset (polygon masks) describing `samples`; file names as stored in them."""
    from vertapp.labels import supercategory
    from vertapp.ml.masks import mask_to_coco_polygons, mask_to_rle

    images: list[dict[str, Any]] = []
    anns: list[dict[str, Any]] = []
    for s in samples:
        h, w = s.image.shape
        rec = {
            "id": s.image_id,
            "file_name": s.file_name,
            "width": w,
            "height": h,
            "vertapp": {"patient": s.patient, "spacing_mm": list(s.spacing_mm)},
        }
        images.append(rec)
        for m, lab in zip(s.masks, s.labels, strict=True):
            polys = mask_to_coco_polygons(m, tolerance=0.0)
            rows, cols = np.nonzero(m)
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": s.image_id,
                    "category_id": int(lab),
                    "segmentation": polys or mask_to_rle(m),
                    "iscrowd": 0,
                    "area": float(m.sum()),
                    "bbox": [
                        float(cols.min()),
                        float(rows.min()),
                        float(np.ptp(cols) + 1),
                        float(np.ptp(rows) + 1),
                    ],
                }
            )
    cats = [
        {"id": i + 1, "name": n, "supercategory": supercategory(n)}
        for i, n in enumerate(class_names)
    ]
    return {"images": images, "annotations": anns, "categories": cats}


def write_samples(folder: str | Path, samples: list[Sample], class_names: list[str]) -> Path:
    """Write PNGs + project.json (COCO) for `samples`; returns the JSON path."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for s in samples:
        if not cv2.imwrite(str(out / s.file_name), s.image):
            raise InputError(f"{out / s.file_name}: cannot write image")
    path = out / PROJECT_FILE
    path.write_text(json.dumps(samples_to_coco(samples, class_names)), encoding="utf-8")
    return path
