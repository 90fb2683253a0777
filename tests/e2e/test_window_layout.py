"""What the window shows around the image: the axial dock in a mixed CT + X-ray project,
the zoom in the status bar of an empty window (round 10 UX audit)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from tests.e2e.window_driver import open_and_wait as _open
from vertapp.annotations import store
from vertapp.annotations.model import ImageRecord

pytestmark = pytest.mark.gui


@pytest.fixture
def mixed_project(small_project):  # type: ignore[no-untyped-def]
    """The small CT MIP project with a radiograph added: image 1 a MIP, image 2 an X-ray."""
    project = store.load_project(small_project)
    cv2.imwrite(str(small_project / "images" / "x.png"), np.zeros((50, 20), np.uint8))
    project.add_image(
        ImageRecord(id=2, file_name="images/x.png", width=20, height=50, kind="radiograph")
    )
    store.save_project(project)
    return small_project


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def test_the_axial_dock_leaves_a_radiograph_its_room_and_comes_back_for_a_ct(
    qtbot, window, mixed_project
) -> None:  # type: ignore[no-untyped-def]
    dock = window.dock_axial
    _open(qtbot, window, mixed_project)
    _settle()
    assert dock.isVisible()  # a MIP: its slices, or why they are missing
    width = dock.width()
    film_width = window.annot.width()
    window.step_image(1)
    _settle()
    assert not dock.isVisible()  # no "No CT behind this image" beside the film
    assert window.annot.width() > film_width  # the film has the room
    window.step_image(-1)
    _settle()
    assert dock.isVisible() and abs(dock.width() - width) <= 8  # back where it was


def test_a_dock_the_user_closed_stays_closed(qtbot, window, mixed_project) -> None:  # type: ignore[no-untyped-def]
    dock = window.dock_axial
    _open(qtbot, window, mixed_project)
    dock.close()  # its ✕ button
    window.step_image(1)
    window.step_image(-1)
    _settle()
    assert not dock.isVisible()  # a CT image does not reopen it
    dock.toggleViewAction().trigger()  # View > Axial CT: the user wants it again
    assert dock.isVisible()
    window.step_image(1)
    window.step_image(-1)
    _settle()
    assert dock.isVisible()


def test_an_empty_window_shows_no_zoom(qtbot, window, small_project) -> None:  # type: ignore[no-untyped-def]
    _settle()
    window.resize(1000, 700)  # a resize re-ranges the empty view box: still no number
    _settle()
    assert window.zoom_label.text() == ""
    _open(qtbot, window, small_project)
    _settle()
    assert window.zoom_label.text().startswith("Zoom ") and window.zoom_label.text().endswith("%")
    window.annot.set_image(None)  # no image again: no stale zoom either
    assert window.zoom_label.text() == ""
