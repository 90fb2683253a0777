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


def test_a_dicom_film_after_a_png_says_its_spacing_not_the_pngs_note(
    qtbot, window, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The PNG's "pixel spacing unknown" stayed in the status bar over the DICOM film
    opened next, whose spacing was read but said nowhere."""
    from tests.unit.io.iotest_helpers import write_dx

    png = tmp_path / "film.png"
    cv2.imwrite(str(png), np.tile(np.arange(40, 200, dtype=np.uint8), (120, 1)))
    open_and_wait(qtbot, window, png)
    assert "pixel spacing unknown" in window.statusBar().currentMessage()
    pixels = np.tile(np.arange(100, 3000, 20, dtype=np.uint16), (160, 1))
    dx = write_dx(tmp_path / "film.dcm", pixels, pixel_spacing=(0.5, 0.5))
    monkeypatch.setattr(window.files, "confirm_discard", lambda: True)
    open_and_wait(qtbot, window, dx)
    message = window.statusBar().currentMessage()
    assert "unknown" not in message and "pixel spacing 0.5 mm" in message
