"""A reader's information-only notes go to the log and the status bar, never to the
amber "Check this scan" bar: three of four real VerSe CTs (float voxels rounded to whole
HU) and every PNG/JPEG radiograph (no pixel size) opened under it, teaching users to
ignore the bar that real doubts use."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.e2e.window_driver import open_and_wait

pytestmark = pytest.mark.gui

VERSE006 = Path(__file__).resolve().parents[1] / "data" / "verse" / "sub-verse006_ct.nii.gz"


def test_a_float_ct_opens_without_the_warning_bar_and_its_note_is_said(
    qtbot, window, caplog
) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.INFO):
        open_and_wait(qtbot, window, VERSE006)
    assert not window.warning_bar.isVisible(), window.warning_bar.lines
    assert "rounded to whole HU" in window.statusBar().currentMessage()
    assert "float voxel values were rounded to whole HU (int16)" in caplog.text
    assert window._last_error == ""


def test_a_png_radiograph_opens_without_the_warning_bar(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    film = tmp_path / "film.png"
    cv2.imwrite(str(film), np.tile(np.arange(40, 200, dtype=np.uint8), (120, 1)))
    open_and_wait(qtbot, window, film)
    assert not window.warning_bar.isVisible(), window.warning_bar.lines
    assert "pixel spacing unknown" in window.statusBar().currentMessage()
