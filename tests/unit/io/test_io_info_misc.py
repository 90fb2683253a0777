"""`vertapp info` on synthetic inputs (radiographs, several series) and the no-Qt rule."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from iotest_helpers import make_volume, write_dx

from vertapp.cli import main
from vertapp.io import write_dicom_series


def test_info_on_a_radiograph(tmp_path, capsys):
    path = write_dx(
        tmp_path / "dx.dcm", np.full((40, 30), 300, np.uint16), pixel_spacing=(0.2, 0.25)
    )
    assert main(["info", str(path), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["kind"] == "radiograph" and facts["modality"] == "DX"
    assert facts["shape_rows_cols"] == [40, 30] and facts["pixel_spacing_mm"] == [0.2, 0.25]
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "40 rows x 30 columns, 12 bits" in out and "0.2 x 0.25 mm (row, col)" in out
    assert "Doe" not in out and "ID12345" not in out


def test_info_counts_series_and_lists_others(tmp_path, capsys):
    write_dicom_series(make_volume(nz=8), tmp_path, seed=1, series_description="axial")
    write_dicom_series(
        make_volume(nz=5), tmp_path, seed=2, series_number=2, series_description="bone"
    )
    assert main(["info", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "series found: 2" in out and "other:      CT 'bone' (5 images)" in out
    assert "16 x 20 x 8 voxels" in out and "Phantom" not in out


def test_io_imports_no_qt():
    code = "import sys, vertapp.io, vertapp.commands.info; print(any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
