"""The files an imported CT leaves in the project folder, and its image record.

Written on the worker's thread (nothing here touches a `Project`):
  volumes/<name>.nii.gz          the CT (LPS, int16 HU): the image's source volume
  volumes/<name>_labels.nii.gz   the labels on the CT's grid as class ids 1..17
  images/<name>_mip.png          the MIP the polygons are drawn on
  preprocess/<name>_mip/         MipResult.save(): MIP <-> patient mapping for later steps
The PNG is written atomically: the project file may point at it at any time. A case
that fails once some of its files are written takes them away again (`removed_if_failed`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from vertapp.annotations.store import IMAGES_DIR, PREPROCESS_DIR, SOURCES_DIR, atomic_write_bytes
from vertapp.errors import InputError
from vertapp.io import write_volume
from vertapp.io.volume import Volume
from vertapp.preprocess import MipResult


def file_names(name: str) -> dict[str, str]:
    """Project-relative paths of a case's files."""
    stem = f"{name}_mip"
    return {
        "ct": f"{SOURCES_DIR}/{name}.nii.gz",
        "labels": f"{SOURCES_DIR}/{name}_labels.nii.gz",
        "image": f"{IMAGES_DIR}/{stem}.png",
        "preprocess": f"{PREPROCESS_DIR}/{stem}",
    }


CASE_FOLDERS = (SOURCES_DIR, IMAGES_DIR, PREPROCESS_DIR)


@contextlib.contextmanager
def removed_if_failed(root: Path, name: str) -> Iterator[None]:
    """Around writing the case `name`: on any failure, remove those of its files that
    were not there before, then the case folders it made once they are empty. A case
    that failed after its CT was written (a disk filling up) left it in the project,
    named by nothing. Only this case's own paths are looked at: a save of the window
    may be writing other images into the same folders meanwhile."""
    paths = [root / rel for rel in file_names(name).values()]
    there = {p for p in paths if os.path.lexists(p)}
    folders = [root / f for f in CASE_FOLDERS if not os.path.lexists(root / f)]
    try:
        yield
    except BaseException:
        for path in paths:
            if path not in there:
                _remove(path)
        for folder in folders:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only an empty one
        raise


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)  # the case's preprocessing folder
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def write_case_files(
    root: Path, name: str, volume: Volume, classes: np.ndarray, result: MipResult
) -> dict[str, str]:
    """Write the CT, its class labels, the MIP and its preprocessing; returns file_names."""
    names = file_names(name)
    write_volume(volume, root / names["ct"])
    labels = Volume(classes.astype(np.int16), volume.spacing, volume.origin, volume.direction)
    labels.modality = "SEG"
    write_volume(labels, root / names["labels"])
    ok, png = cv2.imencode(".png", result.mip_u8)
    if not ok:
        raise InputError(f"{root / names['image']}: cannot encode the MIP as PNG")
    (root / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(root / names["image"], png.tobytes())
    result.save(root / names["preprocess"])
    return names
