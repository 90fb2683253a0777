"""A DICOM folder holding several series opens the largest CT one, and says so.

The reader knew the others (`Volume.other_series`) but the window said nothing: a user
who meant another series, or whose export mixed two scans, annotated the wrong one
unaware.
"""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import numpy as np
import pydicom
import pytest

pytestmark = pytest.mark.gui


def test_scan_warnings_name_the_series_not_opened() -> None:
    from vertapp.gui.window.files_controller import scan_warnings
    from vertapp.io import Volume

    volume = Volume(np.zeros((13, 4, 4), dtype=np.int16), spacing=(1.0, 1.0, 1.0))
    volume.series_description = "abdomen"
    volume.other_series = ["CT 'other scan' (7 images)", "CT localizer 'scout' (2 images)"]
    opened = SimpleNamespace(volume=volume, mip=SimpleNamespace(warnings=[]))
    lines = scan_warnings(opened)  # type: ignore[arg-type]
    assert len(lines) == 1
    assert "3 series" in lines[0] and "CT 'abdomen' (13 slices)" in lines[0]
    assert "CT 'other scan' (7 images)" in lines[0] and "'scout'" in lines[0]

    volume.other_series = []
    assert scan_warnings(opened) == []  # type: ignore[arg-type]


def test_a_folder_of_two_series_opens_one_and_names_the_other(
    qtbot, window, real_dicom_dir, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "two_series"
    shutil.copytree(real_dicom_dir, folder)
    for path in sorted(folder.iterdir())[:7]:  # 7 of its 20 slices: another series
        ds = pydicom.dcmread(path)
        ds.SeriesInstanceUID = "1.2.3.4.5"
        ds.SeriesDescription = "other scan"
        ds.save_as(path, enforce_file_format=True)
    with qtbot.waitSignal(window.loaded, timeout=90_000) as blocker:
        window.open_path(folder)
    assert blocker.args == [True], window._last_error
    assert window.warning_bar.isVisible()
    line = next((x for x in window.warning_bar.lines if "series" in x), "")
    assert "2 series" in line and "CT 'other scan' (7 images)" in line, window.warning_bar.lines
    assert "not opened" in window.warning_bar.label.text()
