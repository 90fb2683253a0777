"""The document's files, without Qt: the save and export jobs and the images it writes.

`Document` (document.py) decides what to save and when; this module writes it: the
project's images (PNG, atomically), preprocessing and source volumes of CT-derived images,
and the slow halves of saving and exporting, which run in a worker thread.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations import coco, store
from vertapp.annotations.convert import export_snapshot
from vertapp.annotations.model import ImageRecord, Project
from vertapp.annotations.paths import safe_join
from vertapp.annotations.store import PREPROCESS_DIR, SOURCES_DIR
from vertapp.errors import VertAppError
from vertapp.gui.document.open_jobs import OpenedCT
from vertapp.io import write_volume
from vertapp.jobs import Job, Progress
from vertapp.xray.display import stored_pixels
from vertapp.xray.film_names import neutral_stem


@dataclass(frozen=True)
class PendingSave:
    """A save begun by `Document.begin_save`."""

    project: Project
    file: store.PendingSave  # what goes to project.json
    moving: bool
    before: FolderBefore | None = None  # a "save as" target as it was (for abort_save)
    note: str = ""  # what the user must hear once it is saved (image files left out)
    # A "save as": the folder the project leaves and its journals' ids there, whose kept
    # copies are then noted as saved elsewhere (store.note_saved_elsewhere)
    left: Path | None = None
    journal_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class FolderBefore:
    """A "save as" target as it was before the save, so that a failed one takes away what
    it made: a half-made folder (images/ and no project.json) was left behind, and the
    next "save as" into it copied nothing (its images "were there already")."""

    folder: Path
    created: Path | None  # the outermost folder the save creates; None: `folder` existed
    entries: frozenset[str] | None  # what the existing folder held; None: unreadable

    @classmethod
    def of(cls, folder: Path) -> FolderBefore:
        created = None
        for path in (folder, *folder.parents):
            if os.path.lexists(path):
                break
            created = path
        if created is not None:
            return cls(folder, created, frozenset())
        try:
            return cls(folder, None, frozenset(os.listdir(folder)))
        except OSError:  # a file, or unreadable: the save fails before writing there
            return cls(folder, None, None)

    def remove_new(self) -> None:
        """After a failed save: remove what it made there, never what was there before."""
        if self.created is not None:
            shutil.rmtree(self.created, ignore_errors=True)
            return
        if self.entries is None:  # it could not be listed: nothing is known to be new
            return
        try:
            made = set(os.listdir(self.folder)) - self.entries
        except OSError:
            return
        for name in made:
            path = self.folder / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()


class CollectorPause:
    """Python's cyclic garbage collector held off while a background save's snapshot lives.

    The snapshot is hundreds of thousands of small objects alive for the seconds a save
    takes. Each collector pass that met them walked them all, on whichever thread
    allocated next and holding the interpreter lock, so the window froze: 40 ms inside
    `begin_save`, and a 198 ms generation-1 pass in the save worker when the save ran
    after other windows' work (measured with gc.callbacks). The snapshot holds no
    cycles, so reference counts free it; cycles made meanwhile wait for the first pass
    after `end`. Only one save runs at a time; a pause found already paused (another
    `store.bulk_objects`) leaves the collector to whoever paused it.
    """

    def __init__(self) -> None:
        self._resume = gc.isenabled()
        gc.disable()

    def end(self) -> None:
        """Once the snapshot is released; safe to call twice."""
        if self._resume:
            self._resume = False
            gc.enable()


def save_job(pending: PendingSave) -> Job[store.FileStamp]:
    """The slow half of a save (JSON, write, fsync) for a worker thread.

    The window keeps painting: the encoder works in short calls. A failure leaves the
    previous project.json as it was.
    """
    try:
        yield Progress("save", None, f"saving {pending.file.path.parent.name}")
    except GeneratorExit:  # cancelled before writing: the arrays are no longer read
        pending.project.share_arrays(False)
        raise
    return write_project(pending)


def write_project(pending: PendingSave) -> store.FileStamp:
    """Write project.json (any thread); a failure is said in words."""
    try:
        return store.write_save(pending.file)
    except OSError as err:
        raise save_error(err, pending.file.folder) from None


def save_error(err: OSError, folder: Path) -> VertAppError:
    """A save's OSError in words, the same from every save path: the folder and why.

    Python's own text names the file it failed on, often a hidden temp file
    ("[Errno 13] Permission denied: '.../.project.json.x1y2.tmp'"), which tells the
    user nothing they can act on."""
    reason = _reason(err, folder)
    failed = Path(err.filename) if isinstance(err.filename, str) else None
    if failed is not None and not _on_the_way_to(failed, folder):  # e.g. an image it copies
        return VertAppError(f"{failed}: cannot be read ({reason}); nothing was saved")
    file = folder / store.PROJECT_FILE
    with contextlib.suppress(OSError):
        if file.is_file():
            return VertAppError(f"{file}: cannot save ({reason}); the previous file is unchanged")
    return VertAppError(f"{folder}: cannot save the project there ({reason})")


def _reason(err: OSError, folder: Path) -> str:
    if isinstance(err, FileNotFoundError) and not folder.exists():
        return "the folder no longer exists"
    if isinstance(err, NotADirectoryError):
        return "a file of that name is in the way"
    return err.strerror or str(err)


def _on_the_way_to(path: Path, folder: Path) -> bool:
    """`path` is `folder`, inside it, or a folder above it (made on the way to it)."""
    return path == folder or folder in path.parents or path in folder.parents


def export_snapshot_job(
    snap: coco.ProjectSnapshot, project: Project, path: Path, fmt: str
) -> Job[list[Path]]:
    try:
        yield Progress("export", None, f"Exporting {path.name}")
        return export_snapshot(snap, path, fmt, root=project.root)
    except OSError as err:  # a full disk, a read-only or missing folder: say which
        raise VertAppError(f"Could not write {path}: {err.strerror or err}") from err
    finally:
        project.share_arrays(False)


def add_record(
    project: Project,
    path: str | Path,
    shape: tuple[int, ...],
    suffix: str,
    keep_name: bool = False,
    **fields: Any,
) -> ImageRecord:
    """A new image of `project` read from `path`: images/<stem><suffix>.png, patient = stem.

    The stem is anonymous ("xray-<digest>", "ct-<digest>" of the file's path) unless
    `keep_name` (the user turned View > Hide names and paths off): files are often named
    after the patient, and the name went into the project's image and volume files, its
    patient key and every COCO export."""
    kind = "xray" if fields.get("kind") == "radiograph" else "ct"
    stem = stem_of(path) if keep_name else neutral_stem(Path(path), kind)  # the CLI's name too
    rec = ImageRecord(
        id=project.new_image_id(),
        file_name=f"images/{stem}{suffix}.png",
        width=int(shape[1]),
        height=int(shape[0]),
        patient_key=stem,
        **fields,
    )
    project.add_image(rec)
    return rec


def add_radiograph(
    project: Project, path: str | Path, radiograph: Any, keep_name: bool = False
) -> ImageRecord:
    """A radiograph read from `path` (a `vertapp.io.Radiograph`); its pixel spacing, where
    the file records one, kept as vertapp.pixel_spacing_mm (row, col) for the pair view."""
    spacing = radiograph.pixel_spacing
    extra = {"vertapp": {"pixel_spacing_mm": [float(v) for v in spacing]}} if spacing else {}
    return add_record(
        project, path, radiograph.shape, "", keep_name, kind="radiograph", extra=extra
    )


def write_autosave(
    project: Project, pending: dict[int, np.ndarray], ct: dict[int, OpenedCT], folder: Path
) -> None:
    """An untitled project's autosave: its images and project.json, in the app's folder."""
    write_images(project, pending, ct, folder, None)
    store.atomic_write_bytes(folder / store.PROJECT_FILE, store.dumps_project(project))


def read_autosave(folder: Path, opened: Project) -> Project | None:
    """The autosaved edits of the image just `opened`, if `folder` holds some for it."""
    if not (folder / store.PROJECT_FILE).is_file():
        return None
    try:
        saved = store.load_project(folder)
    except VertAppError:
        return None

    def shapes(project: Project) -> list[tuple[str, int, int]]:
        return sorted((r.file_name, r.width, r.height) for r in project.images.values())

    if shapes(saved) != shapes(opened):  # the file changed since: not its edits
        return None
    return saved if any(r.instances for r in saved.images.values()) else None


def source_key(path: str | Path) -> str:
    """A stable, anonymous name for an opened file: digest of its absolute path."""
    return hashlib.sha256(os.path.realpath(path).encode("utf-8", "surrogatepass")).hexdigest()[:24]


def stem_of(path: str | Path) -> str:
    name = Path(path).name
    for suffix in (".nii.gz", ".nii", ".mha", ".mhd", ".nrrd", ".png", ".jpg", ".tif", ".dcm"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or "image"
    return name or "image"


def write_png(path: Path, pixels: np.ndarray) -> None:
    """Write a PNG atomically (temp file + rename), so a crash never leaves half an image.
    16-bit pixels stay 16-bit (a radiograph's own values); anything else is 8-bit."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    keep = pixels.dtype == np.uint16
    buf = io.BytesIO()
    Image.fromarray(np.asarray(pixels, dtype=np.uint16 if keep else np.uint8)).save(
        buf, format="PNG"
    )
    store.atomic_write_bytes(path, buf.getvalue())  # unique temp, fsync, cleaned on failure


def read_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


def write_images(
    project: Project,
    pending: dict[int, np.ndarray],
    ct: dict[int, OpenedCT],
    folder: Path,
    copy_from: Path | None,
    raw: dict[int, np.ndarray] | None = None,
    *,
    cached: Mapping[int, np.ndarray] | None = None,
    cached_raw: Mapping[int, np.ndarray] | None = None,
) -> list[str]:
    """Write what `folder` lacks: images only in memory, copies from the old folder on a
    "save as", for CT-derived images their preprocessing and source volume, and for
    radiographs opened from a file their own pixel values (`raw`, see raw_pixels.py).

    A file the old folder has lost (deleted or moved while open) is written from the
    pixels still in memory (`cached`, `cached_raw`); the files neither has are returned,
    and the rest is saved: one lost image must not keep the annotations unsaved."""
    missing: list[str] = []
    for image_id, rec in project.images.items():
        opened = ct.get(image_id)
        if raw and image_id in raw:
            _keep_raw_inside(folder, rec, raw[image_id])
        elif copy_from is not None and rec.kind == "radiograph" and rec.source_path:
            missing += _copy_source(copy_from, folder, rec, (cached_raw or {}).get(image_id))
        elif copy_from is not None and opened is None and rec.source_path:
            missing += _copy_ct(copy_from, folder, rec)
        if image_id not in pending and copy_from is None and opened is None:
            continue  # already in the folder (a big project: most images)
        dest = safe_join(folder, rec.file_name, f"image {image_id}")
        if image_id in pending:
            write_png(dest, pending[image_id])
        elif copy_from is not None and not dest.exists():
            missing += _copy_image(copy_from, dest, rec, (cached or {}).get(image_id))
        if opened is not None:  # the canal circles and mapping, to reopen the CT later
            prep = folder / PREPROCESS_DIR / Path(rec.file_name).stem
            if not (prep / "preprocess.json").is_file():  # never changes once written
                opened.mip.save(prep)
            _keep_source_inside(folder, rec, opened)
    return list(dict.fromkeys(missing))  # a radiograph's source may be its image file


def missing_note(missing: list[str], old: Path, new: Path) -> str:
    """What a "save as" that left out image files must tell: which, and why."""
    if not missing:
        return ""
    why = "that folder no longer exists" if not old.is_dir() else "they are missing there"
    names = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    files = "1 file" if len(missing) == 1 else f"{len(missing)} files"
    return (
        f"{new}: saved without {files} of {old} ({why}): {names}. All the annotations are "
        "saved; copy the missing files into the new folder to see those images again."
    )


def _keep_raw_inside(folder: Path, rec: ImageRecord, array: np.ndarray) -> None:
    """A radiograph's own values (8 or 16 bit) as volumes/<image>.png, its source_path."""
    inside = f"{SOURCES_DIR}/{Path(rec.file_name).stem}.png"
    write_png(folder / inside, stored_pixels(array))
    rec.source_path = inside


def _copy_image(old: Path, dest: Path, rec: ImageRecord, kept: np.ndarray | None) -> list[str]:
    """An image file copied from the old folder, else written from memory; [its name]
    if neither has it."""
    src = safe_join(old, rec.file_name, f"image {rec.id}")
    if src.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    elif kept is not None:
        write_png(dest, kept)
    else:
        return [rec.file_name]
    return []


def _copy_source(old: Path, folder: Path, rec: ImageRecord, kept: np.ndarray | None) -> list[str]:
    """A radiograph's own values (its source_path) likewise."""
    assert rec.source_path is not None
    if _copy_inside(old, folder, rec.source_path, rec.id):
        return []
    if kept is not None:
        _keep_raw_inside(folder, rec, kept)
        return []
    return [rec.source_path]


def _copy_ct(old: Path, folder: Path, rec: ImageRecord) -> list[str]:
    """A CT image not opened this session: its scan (volumes/) and preprocessing (canal
    circles, MIP mapping) from the old folder. Without them the new folder's MIP had no
    axial view, and the copy looked whole until the old folder was gone."""
    assert rec.source_path is not None
    prep = Path(PREPROCESS_DIR) / Path(rec.file_name).stem
    src, dest = old / prep, folder / prep
    if src.is_dir() and not dest.exists():
        shutil.copytree(src, dest)
    return [] if _copy_inside(old, folder, rec.source_path, rec.id) else [rec.source_path]


def _copy_inside(old: Path, folder: Path, name: str, image_id: int) -> bool:
    """Copy `name` from the old folder; False if neither folder has it."""
    src = safe_join(old, name, f"image {image_id} source")
    dest = safe_join(folder, name, f"image {image_id} source")
    if dest.exists():
        return True
    if not src.is_file():
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return True


def _keep_source_inside(folder: Path, rec: ImageRecord, opened: OpenedCT) -> None:
    """Copy a CT opened from outside into the project (volumes/<stem>.nii.gz).

    The project then travels whole, and the path stored in project.json stays
    relative to it: paths read back from a project may not escape its folder.
    """
    inside = f"{SOURCES_DIR}/{Path(rec.file_name).stem}.nii.gz"
    if rec.source_path == inside and (folder / inside).is_file():
        return
    write_volume(opened.volume, folder / inside)
    rec.source_path = inside
