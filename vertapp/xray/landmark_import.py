"""Landmark radiographs added to the open project (the window's File > Import landmark
radiographs…).

`vertapp xray import` (landmarks.py) writes a new project folder; the window adds the
images to the project that is open, which may already hold CT MIPs. The work is split as
the labelled-CT import does it: `prepare_landmarks_job` (read the tables, check every
image, copy it into the project's images/ under a neutral name (a DICOM film: as PNGs,
`dataset_films`), repair and clip each
body's outline) runs in a worker and touches no `Project`; `add_landmarks` then adds each
image whole, with one body polygon per vertebra naming its level, on the thread that owns
the project (240 AASCE films: well under a second there). A failed or cancelled
preparation removes the images it copied; `try_prepare_landmarks_job` gives a failure in
words as its result (the window then takes away a project it made for the import). The
films' read warnings (frames dropped, colour converted) come back in the report for the
window to show, by row, never by file name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations.geometry import clean_polygons
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.errors import CancelledError, FormatError, InputError, VertAppError
from vertapp.jobs import Job, Progress
from vertapp.xray.dataset_films import put_film, read_dataset_film, source_path_of
from vertapp.xray.landmark_checks import plausible_bodies
from vertapp.xray.landmarks import LAYOUTS, CornerLayout, corners_px, patient_of, read_rows
from vertapp.xray.parts import BODY

PREFIX = "images/landmarks_"
MAX_ROWS = 10  # rows listed in one warning line; the rest are counted


@dataclass(frozen=True)
class PreparedImage:
    file_name: str  # inside the project: images/landmarks_0001.jpg
    width: int
    height: int
    patient_key: str  # pseudonymous (a digest of the case number)
    row: int  # its row in landmarks.csv, from 1
    outlines: dict[str, list[np.ndarray]]  # level -> body rings (TL, TR, BR, BL), clean
    source_path: str | None = None  # a DICOM film's own values (dataset_films)
    spacing: dict[str, Any] = field(default_factory=dict)  # {"pixel_spacing_mm": [r, c]}


@dataclass
class PreparedLandmarks:
    vocabulary: str  # the project's: "parts" (category body) or "vertebrae" (T1..L5)
    images: list[PreparedImage] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "image 3 T7: why", in words
    film_warnings: dict[str, list[int]] = field(default_factory=dict)  # doubt -> its rows


@dataclass
class LandmarkReport:
    image_ids: list[int]
    n_vertebrae: int
    skipped: list[str]  # "image 3 T7: why", in words
    warnings: list[str] = field(default_factory=list)  # "images 2, 5: <the reader's doubt>"


def vocabulary_of(project: Project) -> str:
    """Bodies are named as the project names things: `body` + level, or the level itself."""
    if project.label_set not in ("parts", "vertebrae"):
        raise InputError(
            f"this project labels {project.label_set!r} classes; landmark radiographs need a "
            "project of vertebrae or vertebra parts"
        )
    return project.label_set


@dataclass(frozen=True)
class FailedLandmarks:
    """A landmark folder that could not be imported: nothing of it was kept."""

    reason: str  # the refusal in words


def try_prepare_landmarks_job(
    dataset_dir: str | Path, project_root: str | Path, taken: set[str], vocabulary: str
) -> Job[PreparedLandmarks | FailedLandmarks]:
    """`prepare_landmarks_job` whose refusal in words (a `VertAppError`) is its result;
    a cancel (or a bug) still raises."""
    try:
        return (yield from prepare_landmarks_job(dataset_dir, project_root, taken, vocabulary))
    except CancelledError:
        raise
    except VertAppError as err:
        return FailedLandmarks(str(err))


def prepare_landmarks_job(
    dataset_dir: str | Path,
    project_root: str | Path,
    taken: set[str],
    vocabulary: str,
    layout: CornerLayout | str = "aasce",
) -> Job[PreparedLandmarks]:
    """Read a landmark folder (landmarks.csv, filenames.csv, images/) and copy its images
    into `project_root`/images/ under names not in `taken` (the project's file names)."""
    lay = layout if isinstance(layout, CornerLayout) else _layout(layout)
    src, root = Path(dataset_dir), Path(project_root)
    for name in ("landmarks.csv", "filenames.csv", "images"):
        if not (src / name).exists():
            raise InputError(
                f"{src.name}: no {name} here; a landmark folder holds landmarks.csv, "
                "filenames.csv and images/ (the AASCE layout)"
            )
    if root.resolve() == src.resolve():
        raise InputError(
            f"{src.name}: is this project's own folder; its radiographs would be copied among "
            "the dataset's originals: keep the landmark folder outside the project"
        )
    table = read_rows(src / "landmarks.csv", src / "filenames.csv")
    if not table:
        raise InputError(f"{src.name}: landmarks.csv lists no image")
    out = PreparedLandmarks(vocabulary)
    copied: list[Path] = []
    try:
        for i, (name, values) in enumerate(table):
            yield Progress("import", i / len(table), f"image {i + 1}/{len(table)}")
            image = _prepare(src / "images" / name, i, values, lay, root, taken, out)
            copied += [root / name for name in (image.file_name, image.source_path) if name]
            taken.add(image.file_name)
            out.images.append(image)
        yield Progress("import", 1.0, "adding the images")
    except BaseException:  # failed or cancelled: no copied image is left behind
        for path in copied:
            path.unlink(missing_ok=True)
        raise
    return out


def _layout(name: str) -> CornerLayout:
    if name not in LAYOUTS:
        raise InputError(f"unknown landmark layout {name!r}; known: {', '.join(LAYOUTS)}")
    return LAYOUTS[name]


def _prepare(
    source: Path,
    index: int,
    values: np.ndarray,
    lay: CornerLayout,
    root: Path,
    taken: set[str],
    out: PreparedLandmarks,
) -> PreparedImage:
    film = read_dataset_film(source, index + 1)
    for warning in film.warnings:  # by row: a file name may be the patient's
        out.film_warnings.setdefault(warning, []).append(index + 1)
    width, height = film.width, film.height
    try:
        corners = corners_px(values, lay, width, height)
    except FormatError as err:
        raise FormatError(f"landmarks row {index + 1}: {err}") from None
    outlines = {}
    for level, quad in plausible_bodies(corners, lay.levels, index + 1, out.skipped):
        try:  # repaired and clipped here, in the worker: shapely is the slow part
            outlines[level] = clean_polygons([quad], height, width)
        except VertAppError as err:  # degenerate or outside the image
            out.skipped.append(f"image {index + 1} {level}: {err}")
    file_name = _free_name(root, taken, index + 1, film.suffix)
    source_path, spacing = put_film(film, root, file_name)
    return PreparedImage(
        file_name,
        int(width),
        int(height),
        patient_of(source.name, lay),
        index + 1,
        outlines,
        source_path,
        spacing,
    )


def warning_lines(film_warnings: dict[str, list[int]]) -> list[str]:
    """One line per doubt, naming its films by row ("images 2, 5: colour image converted
    to grey"): 240 films of one dataset often share one, and a line each buried the rest."""
    lines = []
    for warning, rows in film_warnings.items():
        shown = ", ".join(str(r) for r in rows[:MAX_ROWS])
        more = f", ... ({len(rows)} in all)" if len(rows) > MAX_ROWS else ""
        lines.append(f"image{'s' if len(rows) > 1 else ''} {shown}{more}: {warning}")
    return lines


def _free_name(root: Path, taken: set[str], number: int, suffix: str) -> str:
    """images/landmarks_0003.jpg, or _0003_2 ... when a project already has that name, or
    its volumes/ name is taken (a DICOM film's own values go there); source names are not
    kept: they can hold dates or names."""
    name, extra = f"{PREFIX}{number:04d}{suffix}", 1
    while name in taken or (root / name).exists() or (root / source_path_of(name)).exists():
        extra += 1
        name = f"{PREFIX}{number:04d}_{extra}{suffix}"
    return name


@contextlib.contextmanager
def _one_journal_restart(project: Project) -> Iterator[None]:
    """A saved project's journal snapshots the whole project at every image added (images
    are no operations): 240 AASCE films took 56 s of snapshots. Detached while they are
    added, it snapshots once when attached again."""
    journal = project.journal
    if journal is None:
        yield
        return
    journal.detach()
    try:
        yield
    finally:
        journal.attach()


def add_landmarks(project: Project, prepared: PreparedLandmarks) -> LandmarkReport:
    """Add the prepared images to `project`: a radiograph record each (status completed:
    the landmarks are expert labels) and a body polygon per vertebra naming its level."""
    with _one_journal_restart(project):
        return _add(project, prepared)


def _add(project: Project, prepared: PreparedLandmarks) -> LandmarkReport:
    """Each image is added whole (one change, not one per polygon): images added are
    project set-up, not undoable edits."""
    report = LandmarkReport([], 0, list(prepared.skipped), warning_lines(prepared.film_warnings))
    for image in prepared.images:
        bodies = [
            Instance(
                id=project.new_instance_id(),
                label=BODY if prepared.vocabulary == "parts" else level,
                polygons=[ring.copy() for ring in rings],
                extra={"vertapp": {"vertebra": level}},
            )
            for level, rings in image.outlines.items()
        ]
        image_id = project.new_image_id()
        project.add_image(
            ImageRecord(
                id=image_id,
                file_name=image.file_name,
                width=image.width,
                height=image.height,
                kind="radiograph",
                patient_key=image.patient_key,
                status="completed",
                instances=bodies,
                source_path=image.source_path,
                extra={"vertapp": {"landmark_row": image.row, **image.spacing}},
            )
        )
        report.image_ids.append(image_id)
        report.n_vertebrae += len(bodies)
    return report
