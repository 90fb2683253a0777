"""What a path is, and the background jobs that open it (no widgets here).

The jobs only chain the io and preprocess layers' own jobs so one worker
reports one progress bar: reading is the first 30 %, preprocessing the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.errors import InputError
from vertapp.jobs import Job, Progress, sub_job

VOLUME_SUFFIXES = (".nii", ".nii.gz", ".mha", ".mhd", ".nrrd", ".nhdr")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
PROJECT_FILE = "project.json"
BACKUP_FILE = "project.json.bak"


def classify(path: str | Path) -> str:
    """'project', 'backup_only' (a project folder left with only project.json.bak),
    'dicom_folder', 'volume', 'radiograph' or 'dicom_file' (decided by content)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p.name}: no such file or folder")
    if p.is_dir():
        if (p / PROJECT_FILE).is_file():
            return "project"
        return "backup_only" if (p / BACKUP_FILE).is_file() else "dicom_folder"
    name = p.name.lower()
    if p.name == PROJECT_FILE:
        return "project"
    if name.endswith(VOLUME_SUFFIXES):
        return "volume"
    if name.endswith(IMAGE_SUFFIXES):
        return "radiograph"
    return "dicom_file"


@dataclass
class OpenedCT:
    path: str
    volume: Any  # vertapp.io.Volume
    mip: Any  # vertapp.preprocess.MipResult


@dataclass
class OpenedRadiograph:
    path: str
    radiograph: Any  # vertapp.io.Radiograph
    # the 8-bit copy training and Predict read, as the X-ray engine reads the file
    # (`vertapp.xray.training.engine_copy`); None: made from the values (tests, tools)
    engine_u8: np.ndarray | None = None


def open_ct_job(path: str) -> Job[OpenedCT]:
    from vertapp.io import read_volume_job
    from vertapp.preprocess import preprocess_job

    volume = yield from sub_job(read_volume_job(path), 0.0, 0.3)
    yield Progress("preprocess", 0.3, "finding the spinal canal")
    mip = yield from sub_job(preprocess_job(volume), 0.3, 1.0)
    return OpenedCT(path, volume, mip)


# Progress texts never name the file or folder: its name may be the patient's, and the
# window shows them while names are hidden (they read "reading DOE_JOHN.png").


def open_radiograph_job(path: str) -> Job[OpenedRadiograph]:
    from vertapp.io import read_radiograph

    yield Progress("read", None, "reading the radiograph")
    return _opened_film(path, read_radiograph(path))


def _opened_film(path: str, radiograph: Any) -> OpenedRadiograph:
    """The film with its engine copy, made here in the worker (a second read of the file)."""
    from vertapp.xray.training import engine_copy

    return OpenedRadiograph(path, radiograph, engine_copy(Path(path), radiograph.array))


def open_any_job(path: str) -> Job[OpenedCT | OpenedRadiograph]:
    """A single DICOM file: the reader decides whether it is a volume or a radiograph."""
    from vertapp.io import Radiograph, read_any

    yield Progress("read", None, "reading the DICOM file")
    image = read_any(path)
    if isinstance(image, Radiograph):
        return _opened_film(path, image)
    return (yield from sub_job(_preprocess_only(path, image), 0.1, 1.0))


def _preprocess_only(path: str, volume: Any) -> Job[OpenedCT]:
    from vertapp.preprocess import preprocess_job

    mip = yield from preprocess_job(volume)
    return OpenedCT(path, volume, mip)


def reload_ct_job(path: str, preprocess_dir: str) -> Job[OpenedCT]:
    """A saved project's CT: read the volume again, load (not redo) its preprocessing."""
    from vertapp.io import read_volume_job
    from vertapp.preprocess import MipResult

    volume = yield from sub_job(read_volume_job(path), 0.0, 0.9)
    yield Progress("preprocess", 0.9, "loading the saved canal circles")
    return OpenedCT(path, volume, MipResult.load(preprocess_dir))


def open_project_job(folder: str) -> Job[Any]:
    """Load a project folder (a big one takes seconds: off the GUI thread)."""
    from vertapp.annotations import store

    yield Progress("read", None, "reading the project")
    return store.load_project(folder)
