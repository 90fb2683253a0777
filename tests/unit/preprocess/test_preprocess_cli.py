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
    assert "spine cluster 1" in capsys.readouterr().out
    data = json.loads((out / "preprocess.json").read_text())
    assert data["spine_cluster"] == 1 and data["params"]["rmax_mm"] == 15.0
    mip = np.load(out / "mip.npy")
    png = cv2.imread(str(out / "mip.png"), cv2.IMREAD_UNCHANGED)
    assert mip.dtype == np.float32 and png.shape == mip.shape == tuple(data["mip"]["shape"])
    assert mip.max() <= 1500 and png.max() > 100
    assert cv2.imread(str(out / "overview.png")).shape[2] == 3


def test_cli_reads_a_dicom_folder(real_dicom_dir: Path, tmp_path: Path) -> None:
    assert main(["preprocess", str(real_dicom_dir), "--out", str(tmp_path), "--quiet"]) == 0
    data = json.loads((tmp_path / "preprocess.json").read_text())
    assert sum(s["detected"] for s in data["slices"]) >= 10


def test_cli_reports_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.nii.gz"
    assert main(["preprocess", str(missing), "--out", str(tmp_path / "o")]) == 1
    assert "nope.nii.gz" in capsys.readouterr().err
    assert (
        main(["preprocess", str(missing), "--out", str(tmp_path), "--rmin", "9", "--rmax", "3"])
        == 1
    )
