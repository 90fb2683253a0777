"""`vertapp preprocess INPUT --out DIR` (DESIGN command-line contract)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from vertapp.cli import main


def test_cli_writes_mip_json_and_overview(
    real_ct_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "preprocess",
            str(real_ct_path),
            "--out",
            str(out),
            "--overview",
            "--quiet",
            "--rmin",
            "4",
            "--rmax",
            "15",
            "--hu-min",
            "100",
            "--hu-max",
            "1500",
            "--spacing",
            "1.0",
        ]
    )
    assert code == 0
    # in words: the k-means id of the spine's circles ("spine cluster 1") is the JSON's
    line = capsys.readouterr().out
    assert "spinal canal found on " in line and " slices (1 mm)" in line
    assert "cluster" not in line
    data = json.loads((out / "preprocess.json").read_text())
    assert data["spine_cluster"] == 1 and data["params"]["rmax_mm"] == 15.0
    mip = np.load(out / "mip.npy")
    png = cv2.imread(str(out / "mip.png"), cv2.IMREAD_UNCHANGED)
    assert mip.dtype == np.float32 and png.shape == mip.shape == tuple(data["mip"]["shape"])
    assert mip.max() <= 1500 and png.max() > 100
    _assert_overview_shows(cv2.imread(str(out / "overview.png")), png)


def _assert_overview_shows(overview: np.ndarray, mip_png: np.ndarray) -> None:
    """The overview holds the sagittal MIP (right panel), the green canal track, the red crop."""
    from vertapp.preprocess.overview import CROP_BGR, HEIGHT, TRACK_BGR

    h, w = mip_png.shape
    f = min(HEIGHT / h, HEIGHT / w)
    sagittal = cv2.resize(cv2.cvtColor(mip_png, cv2.COLOR_GRAY2BGR), None, fx=f, fy=f)
    sh, sw = sagittal.shape[:2]
    x0 = overview.shape[1] - max(sw, 340)  # the title bar pads narrow panels on the right
    shown = overview[26 : 26 + sh, x0 : x0 + sw].astype(int)
    assert np.abs(shown - sagittal).mean() < 1.0  # the MIP itself, not a blank image
    assert sagittal.std() > 10
    track = np.all(overview == TRACK_BGR, axis=2).sum()
    crop = np.all(overview == CROP_BGR, axis=2).sum()
    assert track > 100 and crop > 100  # the canal track and the crop box are drawn


def test_cli_reads_a_dicom_folder(real_dicom_dir: Path, tmp_path: Path) -> None:
    assert main(["preprocess", str(real_dicom_dir), "--out", str(tmp_path), "--quiet"]) == 0
    data = json.loads((tmp_path / "preprocess.json").read_text())
    assert sum(s["detected"] for s in data["slices"]) >= 10


def test_out_naming_an_existing_file_is_refused_before_work(
    real_ct_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "taken.txt"
    out.write_text("mine")
    assert main(["preprocess", str(real_ct_path), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "taken.txt: --out names an existing file" in err and "Traceback" not in err
    assert out.read_text() == "mine"


def test_absurd_spacing_is_refused_before_allocating(tmp_path: Path) -> None:
    from vertapp.errors import InputError
    from vertapp.io.volume import Volume
    from vertapp.preprocess.resample import isotropic_grid

    volume = Volume(np.zeros((40, 512, 512), np.int16), spacing=(1000.0, 1000.0, 1000.0))
    with pytest.raises(InputError, match=r"the 1 mm grid .* (GiB of memory|supported)"):
        isotropic_grid(volume, 1.0)
    assert isotropic_grid(volume, 1000.0).shape == (40, 512, 512)  # its own spacing: fine


def test_cli_reports_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.nii.gz"
    assert main(["preprocess", str(missing), "--out", str(tmp_path / "o")]) == 1
    assert "nope.nii.gz" in capsys.readouterr().err
    assert (
        main(["preprocess", str(missing), "--out", str(tmp_path), "--rmin", "9", "--rmax", "3"])
        == 1
    )


def test_cli_says_the_volumes_notes_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`Volume.notes` (float values rounded to whole HU) were said nowhere; they are notes,
    not warnings, on stderr, after the warnings; stdout keeps the result line."""
    import SimpleITK as sitk

    from vertapp.synth import make_ct_phantom

    ph = make_ct_phantom(seed=2, first="L1", last="L5", spacing=(1.5, 1.5, 3.0), pelvis=False)
    image = sitk.GetImageFromArray(ph.volume.array.astype(np.float32) + 0.25)
    image.SetSpacing(ph.volume.spacing)
    sitk.WriteImage(image, str(tmp_path / "ct.nii.gz"))
    assert (
        main(["preprocess", str(tmp_path / "ct.nii.gz"), "--out", str(tmp_path / "o"), "--quiet"])
        == 0
    )
    said = capsys.readouterr()
    assert said.err.splitlines()[-1] == "note: float voxel values were rounded to whole HU (int16)"
    assert "note:" not in said.out and "spinal canal found on" in said.out


def test_the_result_line_says_so_when_no_canal_was_found() -> None:
    from types import SimpleNamespace

    from vertapp.commands.preprocess import _canal

    assert _canal(SimpleNamespace(spine_cluster=-1)) == "no spinal canal found"
