"""Fixtures for the io tests (helpers live in iotest_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from iotest_helpers import make_volume

from vertapp.io import Volume, write_dicom_series


@pytest.fixture
def volume() -> Volume:
    return make_volume()


@pytest.fixture
def series_dir(tmp_path: Path, volume: Volume) -> Path:
    folder = tmp_path / "series"
    write_dicom_series(volume, folder, shuffle=True, seed=3, series_description="test axial")
    return folder
