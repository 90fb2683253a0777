"""Progress texts never name the file: the window shows them while names are hidden, and
a scan's or film's file name is often the patient's (an audit saw "reading DOE_JOHN.png"
in the status bar of a window whose title said "no project")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import SimpleITK as sitk

from vertapp.errors import VertAppError
from vertapp.gui.document.open_jobs import open_any_job, open_project_job, open_radiograph_job
from vertapp.io import load_any_job, read_volume_job
from vertapp.jobs import Progress

PATIENT = "DOE_JOHN"


def _texts(job: Any) -> list[str]:
    texts: list[str] = []
    try:
        while True:
            step = next(job)
            if isinstance(step, Progress):
                texts.append(f"{step.stage} {step.message}")
    except (StopIteration, VertAppError):  # a failed read: what it said before counts
        pass
    return texts


def test_reading_a_film_or_a_volume_says_what_not_whose(tmp_path: Path) -> None:
    film = tmp_path / PATIENT / f"{PATIENT}.png"
    film.parent.mkdir()
    cv2.imwrite(str(film), np.full((40, 30), 90, np.uint8))
    volume = tmp_path / f"{PATIENT}.nii.gz"
    sitk.WriteImage(sitk.GetImageFromArray(np.full((6, 8, 8), -1000, np.int16)), str(volume))
    texts = _texts(open_radiograph_job(str(film))) + _texts(load_any_job(film, require_ct=False))
    texts += _texts(read_volume_job(volume, require_ct=False))
    assert texts and any("image file" in t for t in texts)
    assert not [t for t in texts if PATIENT in t]


def test_opening_a_project_or_dicom_file_says_no_name(tmp_path: Path) -> None:
    folder = tmp_path / PATIENT
    folder.mkdir()
    texts = _texts(open_project_job(str(folder)))  # no project.json: the text came first
    assert texts == ["read reading the project"]
    dicom = folder / f"{PATIENT}.dcm"
    dicom.write_bytes(b"not a dicom")
    texts = _texts(open_any_job(str(dicom)))
    assert texts and not [t for t in texts if PATIENT in t]
