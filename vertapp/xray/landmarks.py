"""Import of radiograph landmark datasets: 4 corners per vertebra -> one body polygon each.

Public spine radiograph sets (AASCE 2019 / SpineWeb dataset 16 and its relatives)
label each vertebral body by its 4 corners in a CSV, one row per image. Those sets
differ only in a few choices, which `CornerLayout` names:

- `levels`: the vertebrae a row holds, top to bottom (AASCE: T1..L5, 17 of them);
- `corner_order`: the order of the 4 corners of one vertebra in the row, as names
  among top_left, top_right, bottom_left, bottom_right (AASCE: TL, TR, BL, BR);
- `coordinates`: "normalised" (x / width, y / height, AASCE) or "pixels";
- `axes`: "x_then_y" (all x, then all y, AASCE) or "interleaved" (x0, y0, x1, y1, ...).

A new layout is a new `CornerLayout(...)`, added to `LAYOUTS` to be named on the
command line. The import writes a project folder (docs/annotations.md): images are
copied into `images/` under neutral names (the source names can hold dates), each
body is one polygon TL -> TR -> BR -> BL with its level in `vertapp.vertebra`, and
each image gets a pseudonymous patient key (a digest of the case number) so the
train/validation split keeps a patient's images together.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vertapp.annotations import ops, store
from vertapp.annotations.model import ImageRecord, Project
from vertapp.errors import FormatError, InputError, VertAppError
from vertapp.jobs import Job, Progress
from vertapp.labels import VERTEBRAE
from vertapp.xray.dataset_films import put_film, read_dataset_film
from vertapp.xray.landmark_checks import plausible_bodies
from vertapp.xray.parts import BODY, normalise_level

CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")
OUTLINE = ("top_left", "top_right", "bottom_right", "bottom_left")  # polygon order
VOCABULARIES = ("parts", "vertebrae")


@dataclass(frozen=True)
class CornerLayout:
    """How one CSV row lists the corners of every vertebra of an image (module docstring)."""

    levels: tuple[str, ...] = VERTEBRAE
    corner_order: tuple[str, ...] = ("top_left", "top_right", "bottom_left", "bottom_right")
    coordinates: str = "normalised"  # or "pixels"
    axes: str = "x_then_y"  # or "interleaved"
    # The patient (case) of an image: the last number followed by a lone letter in its
    # file name ("...-162 A AP.jpg" -> "162"); the whole name if there is none.
    patient_pattern: str = r"(\d+)\s*[A-Za-z]\b"

    def __post_init__(self) -> None:
        if sorted(self.corner_order) != sorted(CORNERS):
            raise InputError(f"corner order must name each of {', '.join(CORNERS)} once")
        if self.coordinates not in ("normalised", "pixels"):
            raise InputError("coordinates must be 'normalised' or 'pixels'")
        if self.axes not in ("x_then_y", "interleaved"):
            raise InputError("axes must be 'x_then_y' or 'interleaved'")
        bad = [lv for lv in self.levels if normalise_level(lv) != lv]
        if bad or not self.levels:
            raise InputError(f"layout levels must be T1..L5 names, got {bad or 'none'}")

    @property
    def n_values(self) -> int:
        return len(self.levels) * 4 * 2


LAYOUTS: dict[str, CornerLayout] = {"aasce": CornerLayout()}


def corners_px(values: np.ndarray, layout: CornerLayout, width: int, height: int) -> np.ndarray:
    """One row of numbers -> (levels, 4, 2) pixel (x, y) corners in OUTLINE order."""
    v = np.asarray(values, np.float64)
    if v.shape != (layout.n_values,):
        raise FormatError(f"expected {layout.n_values} numbers, got {v.size}")
    if not np.all(np.isfinite(v)):
        raise FormatError("row holds a value that is not a finite number")
    n = layout.n_values // 2
    if layout.axes == "x_then_y":
        xy = np.stack([v[:n], v[n:]], axis=1)
    else:
        xy = v.reshape(n, 2)
    if layout.coordinates == "normalised":
        xy = xy * (width, height)
    per_level = xy.reshape(len(layout.levels), 4, 2)
    take = [layout.corner_order.index(name) for name in OUTLINE]
    return per_level[:, take]


def patient_of(file_name: str, layout: CornerLayout) -> str:
    """Pseudonymous patient key: a short digest of the case number in the file name."""
    found = re.findall(layout.patient_pattern, Path(file_name).stem)
    case = found[-1] if found else Path(file_name).stem
    return "case-" + hashlib.blake2b(case.encode("utf-8"), digest_size=6).hexdigest()


def read_rows(landmarks_csv: Path, filenames_csv: Path) -> list[tuple[str, np.ndarray]]:
    """(image file name, numbers) per row; FormatError naming the file and row."""
    names = [r[0].strip() for r in _csv_rows(filenames_csv) if r and r[0].strip()]
    rows = [r for r in _csv_rows(landmarks_csv) if any(c.strip() for c in r)]
    if len(names) != len(rows):
        raise FormatError(
            f"{landmarks_csv}: {len(rows)} rows, but {filenames_csv} names {len(names)} images"
        )
    out = []
    for i, (name, row) in enumerate(zip(names, rows, strict=True)):
        try:
            out.append((name, np.array([float(c) for c in row if c.strip()], np.float64)))
        except ValueError as err:
            raise FormatError(f"{landmarks_csv}: row {i + 1}: not a number ({err})") from None
    return out


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read ({err})") from err


@dataclass
class ImportResult:
    project_dir: Path
    n_images: int
    n_vertebrae: int
    skipped: list[str] = field(default_factory=list)  # "image 3 T7: why", in words
    warnings: list[str] = field(default_factory=list)  # "image 3: <the reader's doubt>"


def import_landmarks_job(
    dataset_dir: str | Path,
    out_dir: str | Path,
    *,
    layout: CornerLayout | str = "aasce",
    vocabulary: str = "parts",
    landmarks_csv: str | Path | None = None,
    filenames_csv: str | Path | None = None,
    images_dir: str | Path | None = None,
) -> Job[ImportResult]:
    """Import a landmark dataset folder (landmarks.csv, filenames.csv, images/) as a project.

    `vocabulary` "parts": category `body` with the level in `vertapp.vertebra`;
    "vertebrae": category T1..L5 (and the same `vertapp.vertebra`).
    """
    lay = _layout(layout)
    if vocabulary not in VOCABULARIES:
        raise InputError(f"vocabulary must be one of {', '.join(VOCABULARIES)}")
    src = Path(dataset_dir)
    table = read_rows(
        Path(landmarks_csv or src / "landmarks.csv"), Path(filenames_csv or src / "filenames.csv")
    )
    images = Path(images_dir or src / "images")
    out = Path(out_dir)
    if (out / store.PROJECT_FILE).exists():
        raise InputError(f"{out}: already holds a project; choose an empty folder")
    fresh = not out.exists()
    project = store.new_project(out, label_set=vocabulary)
    result = ImportResult(out, 0, 0)
    try:
        for i, (name, values) in enumerate(table):
            yield Progress("import", i / max(len(table), 1), f"image {i + 1}/{len(table)}")
            _add_image(project, images / name, i, values, lay, vocabulary, result)
        yield Progress("import", 1.0, "saving project.json")
        store.save_project(project)
    except BaseException:  # failed or cancelled: no half project (copied images) left behind
        if fresh:
            shutil.rmtree(out, ignore_errors=True)
        raise
    return result


def _layout(layout: CornerLayout | str) -> CornerLayout:
    if isinstance(layout, CornerLayout):
        return layout
    if layout not in LAYOUTS:
        raise InputError(f"unknown landmark layout {layout!r}; known: {', '.join(LAYOUTS)}")
    return LAYOUTS[layout]


def _add_image(
    project: Project,
    source: Path,
    index: int,
    values: np.ndarray,
    layout: CornerLayout,
    vocabulary: str,
    result: ImportResult,
) -> None:
    film = read_dataset_film(source, index + 1)
    width, height = film.width, film.height
    result.warnings += [f"image {index + 1}: {w}" for w in film.warnings]
    try:
        corners = corners_px(values, layout, width, height)
    except FormatError as err:
        raise FormatError(f"landmarks row {index + 1}: {err}") from None
    file_name = f"images/{index + 1:04d}{film.suffix}"
    assert project.root is not None  # a new project's folder (store.new_project)
    source_path, spacing = put_film(film, project.root, file_name)
    image_id = project.new_image_id()
    project.add_image(
        ImageRecord(
            id=image_id,
            file_name=file_name,
            width=width,
            height=height,
            kind="radiograph",
            source_path=source_path,
            patient_key=patient_of(source.name, layout),
            status="completed",
            extra={"vertapp": {"landmark_row": index + 1, **spacing}},
        )
    )
    result.n_images += 1
    for level, quad in plausible_bodies(corners, layout.levels, index + 1, result.skipped):
        label = BODY if vocabulary == "parts" else level
        try:
            op = ops.add_instance(project, image_id, label, [quad])
        except VertAppError as err:  # degenerate or outside the image
            result.skipped.append(f"image {index + 1} {level}: {err}")
            continue
        op.instance.extra = {"vertapp": {"vertebra": level}}
        project.apply(op)
        result.n_vertebrae += 1
