"""Shared test set-up: headless Qt, isolated settings, paths to the real test data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")

DATA = Path(__file__).parent / "data"
TOTALSEG = DATA / "totalseg-example"


@pytest.fixture(scope="session")
def totalseg_dir() -> Path:
    return TOTALSEG


@pytest.fixture(scope="session")
def real_ct_path() -> Path:
    return TOTALSEG / "ct.nii.gz"


@pytest.fixture(scope="session")
def real_seg_path() -> Path:
    return TOTALSEG / "seg_vertebrae_T11-L5_verse_ids.nii.gz"


@pytest.fixture(scope="session")
def real_dicom_dir() -> Path:
    return TOTALSEG / "dicom_series_20slices" / "dicom"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Keep QSettings, autosave and recovery files of tests out of the user's home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("VERTAPP_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    monkeypatch.setenv("VERTAPP_LOG_DIR", str(home / "logs"))  # `vertapp gui` runs log
    # Tests do not depend on the shipped 12 MB starter model: off unless a test sets one
    # (tests/unit/ml/tiny_starter.py); the real one has its own test.
    monkeypatch.setenv("VERTAPP_STARTER_MODEL", "none")
    # names scrubbed from the log (a scan opened with names hidden) are one session's:
    # a test's would redact words in the next test's log lines
    from vertapp import logs

    monkeypatch.setattr(logs, "_registered", set())
    yield
