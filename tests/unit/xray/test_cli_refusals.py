"""`vertapp xray ...` refuses in words, before writing anything: an --out that is an existing
file, an import into a folder that holds anything or into the dataset itself, and a DICOM
slice of a 3-D scan (CT, MR, PET, NM, or any file recording its slice position) given as
a radiograph."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pydicom
import pytest
from pydicom.uid import SecondaryCaptureImageStorage

from tests.unit.io.iotest_helpers import rewrite, write_dx
from tests.unit.xray.test_landmarks import _dataset
from vertapp.annotations import store
from vertapp.cli import main
from vertapp.errors import InputError
from vertapp.jobs import run_job
from vertapp.xray.landmark_import import prepare_landmarks_job

H, W = 40, 32


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _coco(path: Path, file_name: str) -> Path:
    ring = [6, 8, 20, 8, 20, 24, 6, 24]
    coco = {
        "images": [{"id": 1, "file_name": file_name, "height": H, "width": W}],
        "categories": [{"id": 1, "name": "L1"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [ring]}],
    }
    path.write_text(json.dumps(coco))
    return path


def _said(capsys, words: str) -> None:  # type: ignore[no-untyped-def]
    err = capsys.readouterr().err
    assert words in err, err
    assert "unexpected error" not in err and "Traceback" not in err


@pytest.fixture
def film(tmp_path: Path) -> dict[str, Path]:
    image = np.random.default_rng(0).integers(100, 4000, size=(H, W)).astype(np.uint16)
    png = tmp_path / "high.png"
    cv2.imwrite(str(png), image)
    return {"png": png, "coco": _coco(tmp_path / "high.json", "high.png"), "dir": tmp_path}


# --out naming an existing file ------------------------------------------------------------


def test_zoi_out_naming_an_existing_file_is_refused_in_words(film, capsys) -> None:  # type: ignore[no-untyped-def]
    before = _tree(film["dir"])
    args = ["xray", "zoi", str(film["png"]), "--zois", str(film["coco"])]
    assert main([*args, "--out", str(film["png"])]) == 1
    _said(capsys, "is an existing file, not a folder")
    assert main([*args, "--out", str(film["png"] / "sub")]) == 1
    _said(capsys, "is a file, not a folder")
    assert _tree(film["dir"]) == before


def test_align_out_naming_an_existing_file_is_refused_in_words(film, capsys) -> None:  # type: ignore[no-untyped-def]
    before = _tree(film["dir"])
    args = ["xray", "align", str(film["png"]), str(film["png"])]
    args += ["--zois-low", str(film["coco"]), "--zois-high", str(film["coco"])]
    assert main([*args, "--out", str(film["coco"])]) == 1
    _said(capsys, "is an existing file, not a folder")
    assert _tree(film["dir"]) == before


def test_import_out_naming_an_existing_file_is_refused_in_words(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = _dataset(tmp_path / "src")
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    assert main(["xray", "import", str(src), "--out", str(target)]) == 1
    _said(capsys, "is an existing file, not a folder")
    assert target.read_text() == "mine"


# import: the target folder ---------------------------------------------------------------


def test_import_into_a_folder_holding_files_is_refused(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = _dataset(tmp_path / "src")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["xray", "import", str(src), "--out", str(out)]) == 1
    _said(capsys, "already holds files; choose a new or empty folder")
    assert _tree(out) == {"notes.txt": b"keep me"}


@pytest.mark.parametrize("where", [".", "proj", "images/proj"])
def test_import_into_the_dataset_folder_is_refused(tmp_path, capsys, where) -> None:  # type: ignore[no-untyped-def]
    src = _dataset(tmp_path / "src")
    before = _tree(src)
    assert main(["xray", "import", str(src), "--out", str(src / where)]) == 1
    _said(capsys, "the dataset folder")
    assert _tree(src) == before and not (src / "proj").exists()


def test_import_into_a_new_or_empty_folder_still_works(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = _dataset(tmp_path / "src")
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "empty", tmp_path / "new"):
        assert main(["xray", "import", str(src), "--out", str(out)]) == 0
        assert (out / "project.json").is_file()


def test_window_import_into_the_dataset_folder_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = _dataset(tmp_path / "src")
    before = _tree(src)
    store.new_project(src, label_set="parts")
    with pytest.raises(InputError, match="its radiographs would be copied among"):
        run_job(prepare_landmarks_job(src, src, set(), "parts"))
    assert _tree(src) == before


# DICOM slices of 3-D scans are not radiographs -------------------------------------------


def _dicom(path: Path, modality: str, geometry: bool = False) -> Path:
    """A file of `modality`; a film's SOP class (DX) only for a film's modality: a DX SOP
    class says "film" whatever the modality (`vertapp.io.dicom_film`)."""
    pixels = np.random.default_rng(1).integers(0, 4000, size=(H, W)).astype(np.uint16)
    write_dx(path, pixels, modality=modality, pixel_spacing=(0.5, 0.5))

    def edit(ds: pydicom.Dataset) -> None:
        if modality not in ("DX", "CR", "RF", "XA", "MG"):
            ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
        if geometry:
            ds.ImagePositionPatient = [0.0, 0.0, 0.0]
            ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]

    rewrite(path, edit)
    return path


@pytest.mark.parametrize(
    ("modality", "geometry", "words"),
    [
        ("CT", True, "is a CT slice, not a radiograph"),
        ("CT", False, "is a CT slice, not a radiograph"),
        ("MR", True, "is an MR slice, not a radiograph"),
        ("PT", False, "is a PET slice, not a radiograph"),
        ("NM", False, "is a nuclear medicine (NM) image, not a radiograph"),
        ("OT", True, "is a slice of a 3-D scan"),
    ],
)
def test_3d_scan_slices_are_refused(tmp_path, capsys, modality, geometry, words) -> None:  # type: ignore[no-untyped-def]
    path = _dicom(tmp_path / "slice.dcm", modality, geometry)
    coco = _coco(tmp_path / "z.json", "slice.dcm")
    out = tmp_path / "zois"
    assert main(["xray", "zoi", str(path), "--zois", str(coco), "--out", str(out)]) == 1
    _said(capsys, f"slice.dcm {words}")
    assert not out.exists()
    args = ["xray", "align", str(path), str(path), "--zois-low", str(coco)]
    assert main([*args, "--zois-high", str(coco), "--out", str(tmp_path / "al")]) == 1
    _said(capsys, words)
    assert not (tmp_path / "al").exists()


@pytest.mark.parametrize("modality", ["DX", "CR", "RF", "XA", "MG", "OT", ""])
def test_radiograph_modalities_stay_accepted(tmp_path, modality) -> None:  # type: ignore[no-untyped-def]
    path = _dicom(tmp_path / "film.dcm", modality, geometry=modality in ("XA", "RF"))
    coco = _coco(tmp_path / "z.json", "film.dcm")
    out = tmp_path / "zois"
    assert main(["xray", "zoi", str(path), "--zois", str(coco), "--out", str(out)]) == 0
    assert (out / "zoi_L1.png").is_file()


def test_the_io_rule_decides_what_a_film_is(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """One rule with `vertapp predict` and `info` (`vertapp.io.dicom_film`): a CR film a
    PACS exported as modality OT, keeping a position, is a film (it was refused as "a
    slice of a 3-D scan"); a multi-frame secondary capture is a stack, refused."""
    from pydicom.uid import (
        ComputedRadiographyImageStorage,
        MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
    )

    def sop(uid: str, frames: int = 1):  # type: ignore[no-untyped-def]
        def edit(ds: pydicom.Dataset) -> None:
            ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = uid
            if frames > 1:
                ds.NumberOfFrames = frames
                ds.PixelData = ds.PixelData * frames

        return edit

    film = _dicom(tmp_path / "film.dcm", "OT", geometry=True)
    rewrite(film, sop(ComputedRadiographyImageStorage))
    coco = _coco(tmp_path / "z.json", "film.dcm")
    out = tmp_path / "zois"
    assert main(["xray", "zoi", str(film), "--zois", str(coco), "--out", str(out)]) == 0
    stack = _dicom(tmp_path / "stack.dcm", "OT")
    rewrite(stack, sop(MultiFrameGrayscaleWordSecondaryCaptureImageStorage, 3))
    args = ["xray", "zoi", str(stack), "--zois", str(coco), "--out", str(tmp_path / "z2")]
    assert main(args) == 1
    _said(capsys, "stack.dcm is a secondary capture of 3 frames, not one film")


def test_a_tiff_of_several_pages_is_said_on_stderr(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """OpenCV reads a TIFF's first page: the others were lost without a word."""
    from PIL import Image

    pixels = np.random.default_rng(1).integers(0, 4000, size=(H, W)).astype(np.uint16)
    pages = [Image.fromarray(pixels), Image.fromarray(pixels // 2)]
    pages[0].save(tmp_path / "film.tif", save_all=True, append_images=pages[1:])
    coco = _coco(tmp_path / "z.json", "film.tif")
    out = tmp_path / "zois"
    assert (
        main(["xray", "zoi", str(tmp_path / "film.tif"), "--zois", str(coco), "--out", str(out)])
        == 0
    )
    said = capsys.readouterr()
    assert "warning: film.tif: TIFF file holds 2 pages; the first one was read" in said.err
    assert "warning:" not in said.out
