"""Progress and cancel, responsiveness while preprocessing, recent files, exports, title."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from vertapp.gui.window.names import recent_entries

pytestmark = pytest.mark.gui


def test_cancel_opening_a_ct_keeps_the_window_empty(qtbot, window, phantom_nifti) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.loaded, timeout=60_000) as blocker:
        window.open_path(phantom_nifti)
        assert window.progress.isVisible()
        window.progress.cancel_button.click()
    assert blocker.args == [False]
    assert window.doc.image_ids == []
    qtbot.waitUntil(lambda: not window.progress.isVisible())


@pytest.mark.slow
def test_window_stays_responsive_while_preprocessing(qtbot, window, phantom_nifti) -> None:  # type: ignore[no-untyped-def]
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    start = time.perf_counter()
    with qtbot.waitSignal(window.loaded, timeout=120_000) as blocker:
        window.open_path(phantom_nifti)
    elapsed = time.perf_counter() - start
    timer.stop()
    assert blocker.args == [True]
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    # The event loop ran all along: on average a tick every 50 ms at least, however long
    # (or short, on a quiet machine) reading and preprocessing took.
    assert len(ticks) >= max(3, elapsed / 0.05), f"{len(ticks)} ticks in {elapsed:.2f} s"
    # loose bound: CI machines are shared; a frozen loop would show seconds
    assert max(gaps) < 0.5, f"longest event-loop stall {max(gaps) * 1000:.0f} ms"
    assert window.windowTitle().startswith("untitled CT[*]")  # no file name by default


def test_recent_files_are_remembered(qtbot, window, small_project) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.loaded, timeout=30_000):
        window.open_path(small_project)
    assert window.recent_files()[0] == str(small_project)
    window._fill_recent()
    names = [a.text() for a in recent_entries(window.menu_recent)]
    assert names[0].startswith("&1  project folder · 1 image · CT MIP · saved ")
    assert " · open now · #" in names[0]  # the project open in the window: marked
    assert small_project.name not in names[0]  # no folder name by default


def test_export_coco_and_via(qtbot, window, small_project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pycocotools.coco import COCO

    from vertapp.annotations.ops import MoveVertex
    from vertapp.annotations.via import load_via

    with qtbot.waitSignal(window.loaded, timeout=30_000):
        window.open_path(small_project)
    (inst,) = window.doc.current.instances
    before = inst.polygons[0].copy()
    # Exports run in a worker. The file holds the project as it was at the click: a vertex
    # dragged right after (an in-place edit of the polygon array) neither reaches the
    # file nor is disturbed.
    assert window.export(tmp_path / "out_coco.json", "coco")
    window.doc.edit(MoveVertex(inst.id, 0, 0, (1.0, 2.0)), "Move vertex")
    window.wait_for_export()
    assert window.export(tmp_path / "out_via.json", "via")
    window.wait_for_export()
    assert "Exported out_via.json" in window.statusBar().currentMessage()
    assert tuple(window.doc.current.instances[0].polygons[0][0]) == (1.0, 2.0)
    coco = COCO(str(tmp_path / "out_coco.json"))
    (ann,) = coco.loadAnns(coco.getAnnIds())
    assert coco.loadCats(ann["category_id"])[0]["name"] == "L1"
    assert ann["area"] == pytest.approx(40 * 30)
    np.testing.assert_allclose(np.reshape(ann["segmentation"][0], (-1, 2)), before)
    via = json.loads((tmp_path / "out_via.json").read_text())
    assert via  # VIA JSON written
    back = load_via(tmp_path / "out_via.json", images_dir=small_project)
    (img,) = back.images.values()
    assert [i.label for i in img.instances] == ["L1"]
    assert tuple(img.instances[0].polygons[0][0]) == (1.0, 2.0)  # exported after the move


def test_export_error_is_shown_in_words(qtbot, window, small_project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.loaded, timeout=30_000):
        window.open_path(small_project)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert window.export(blocker / "out.json", "coco")  # its folder is a file
    window.wait_for_export()
    assert window._last_error.startswith(f"Could not write {blocker / 'out.json'}: ")
    assert not (blocker / "out.json").exists()


def test_bad_input_shows_one_line_and_no_crash(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "broken.nii.gz"
    bad.write_bytes(b"not a nifti")
    with qtbot.waitSignal(window.loaded, timeout=30_000) as blocker:
        window.open_path(bad)
    assert blocker.args == [False]
    assert "broken.nii.gz" in window._last_error
    assert "\n" not in window._last_error


@pytest.mark.slow
def test_open_real_dicom_folder(qtbot, window, real_dicom_dir) -> None:  # type: ignore[no-untyped-def]
    """The 20-slice real CT series: read + preprocessed in the worker, shown, titled by folder."""
    with qtbot.waitSignal(window.loaded, timeout=120_000) as blocker:
        window.open_path(real_dicom_dir)
    assert blocker.args == [True], window._last_error
    assert window.axial.volume is not None
    assert window.axial.volume.shape[0] == 20
    assert window.doc.current.kind == "mip"
    assert window.windowTitle().startswith("untitled CT[*]")
