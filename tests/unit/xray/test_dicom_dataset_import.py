"""A landmark dataset holding DICOM films (`vertapp xray import`, the window's import).

The import read every image with OpenCV and copied it whole: a DX film was "missing or
not readable". A DICOM film now goes into the project as the window keeps one it opens:
an 8-bit PNG (what training reads), its own values as a 16-bit PNG in volumes/ (the
record's source_path), its pixel spacing; the DICOM file, and the patient's name and ID
in its header, stay out of the project."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pydicom
import pytest

from tests.unit.io.iotest_helpers import rewrite, write_dx
from tests.unit.xray.test_landmarks import NAMES, H, W, _dataset
from vertapp.annotations import store
from vertapp.cli import main
from vertapp.errors import InputError
from vertapp.jobs import run_job
from vertapp.xray.landmark_import import add_landmarks, prepare_landmarks_job
from vertapp.xray.landmarks import import_landmarks_job
from vertapp.xray.training import grey_u8, radiograph_samples

DCM = "DOE_JANE 12 B AP.dcm"  # a file name carrying the patient's, as hospital exports do


def _film() -> np.ndarray:
    """12-bit stored values, a bright column where the bodies are."""
    rng = np.random.default_rng(3)
    film = rng.integers(300, 900, size=(H, W)).astype(np.uint16)
    film[:, 20:65] += 2500
    return film


def _with_dicom(root: Path, frames: int = 1, modality: str = "DX") -> Path:
    """The PNG dataset with its second image replaced by a DICOM film (same size)."""
    src = _dataset(root)
    (src / "images" / NAMES[1]).unlink()
    path = write_dx(src / "images" / DCM, _film(), modality=modality, pixel_spacing=(0.2, 0.25))
    if frames > 1:

        def edit(ds: pydicom.Dataset) -> None:
            ds.NumberOfFrames = frames
            ds.PixelData = np.concatenate([_film()] * frames).astype(np.uint16).tobytes()

        rewrite(path, edit)
    (src / "filenames.csv").write_text("\n".join([NAMES[0], DCM, NAMES[2]]) + "\n")
    return src


def _no_patient_anywhere(project: Path) -> None:
    for path in project.rglob("*"):
        assert path.suffix != ".dcm", path
        if path.is_file():
            data = path.read_bytes()
            assert b"Doe" not in data and b"ID12345" not in data and b"DOE" not in data, path
        assert "DOE" not in path.name and "JANE" not in path.name


def test_cli_import_keeps_a_dicom_film_as_pngs_with_its_spacing(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    src, out = _with_dicom(tmp_path / "src"), tmp_path / "proj"
    assert main(["xray", "import", str(src), "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert "3 radiographs, 51 vertebral bodies" in said.out, said.err
    project = store.load_project(out)
    rec = project.images[sorted(project.images)[1]]
    assert rec.file_name == "images/0002.png" and rec.source_path == "volumes/0002.png"
    assert rec.extra["vertapp"]["pixel_spacing_mm"] == [0.2, 0.25]
    assert len(rec.instances) == 17
    copy = cv2.imread(str(out / rec.file_name), cv2.IMREAD_UNCHANGED)
    own = cv2.imread(str(out / rec.source_path), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(copy, grey_u8(_film().astype(np.float32)))
    assert own.dtype == np.uint16
    np.testing.assert_array_equal(own, _film())  # lossless: the film's values, bone bright
    _no_patient_anywhere(out)
    # training reads the project's films (the 8-bit copy) as it reads any
    samples = radiograph_samples(out, ["body"], long_side=H)
    assert len(samples) == 3 and samples[1].image.shape == (H, W)


def test_the_dicom_films_doubts_are_said_by_row(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = _with_dicom(tmp_path / "src", frames=3)
    assert main(["xray", "import", str(src), "--out", str(tmp_path / "proj")]) == 0
    said = capsys.readouterr()
    assert "warning: image 2: file holds 3 frames; the first one was read" in said.err
    assert "warning:" not in said.out and DCM not in said.err


def test_a_ct_slice_in_a_dataset_is_refused_in_words(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = _with_dicom(tmp_path / "src", modality="CT")
    with pytest.raises(InputError, match=r"is a CT slice, not a film \(row 2\)"):
        run_job(import_landmarks_job(src, tmp_path / "proj"))
    assert not (tmp_path / "proj").exists()


def test_the_window_import_keeps_a_dicom_film_likewise(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = _with_dicom(tmp_path / "src")
    project = store.new_project(tmp_path / "proj", label_set="parts")
    assert project.root is not None
    (project.root / "volumes").mkdir()
    (project.root / "volumes" / "landmarks_0002.png").write_bytes(b"another image's values")
    prepared = run_job(prepare_landmarks_job(src, project.root, set(), "parts"))
    report = add_landmarks(project, prepared)
    rec = project.images[report.image_ids[1]]
    # its volumes/ name was taken: both names move on
    assert rec.file_name == "images/landmarks_0002_2.png"
    assert rec.source_path == "volumes/landmarks_0002_2.png"
    assert rec.extra["vertapp"]["pixel_spacing_mm"] == [0.2, 0.25]
    own = cv2.imread(str(project.root / rec.source_path), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(own, _film())
    _no_patient_anywhere(project.root)


def test_a_failed_window_import_leaves_no_dicom_copy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = _with_dicom(tmp_path / "src")
    (src / "images" / NAMES[2]).unlink()  # row 3 fails after the DICOM film was put in
    project = store.new_project(tmp_path / "proj", label_set="parts")
    assert project.root is not None
    with pytest.raises(InputError, match=r"missing or not readable \(row 3\)"):
        run_job(prepare_landmarks_job(src, project.root, set(), "parts"))
    assert [p.relative_to(project.root) for p in project.root.rglob("*.png")] == []
