"""Progress and cancel, responsiveness while preprocessing, recent files, exports, title."""

from __future__ import annotations

import json
import time

import pytest
from PySide6.QtCore import QTimer

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
    assert window.windowTitle().startswith("phantom.nii.gz")  # file name only


def test_recent_files_are_remembered(qtbot, window, small_project) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.loaded, timeout=30_000):
        window.open_path(small_project)
    assert window.recent_files()[0] == str(small_project)
    window._fill_recent()
    names = [a.text() for a in window.menu_recent.actions()]
    assert names == [small_project.name]


def test_export_coco_and_via(qtbot, window, small_project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pycocotools.coco import COCO

    from vertapp.annotations.via import load_via

    with qtbot.waitSignal(window.loaded, timeout=30_000):
        window.open_path(small_project)
    window.doc.export_coco(tmp_path / "out_coco.json")
    window.doc.export_via(tmp_path / "out_via.json")
    coco = COCO(str(tmp_path / "out_coco.json"))
    (ann,) = coco.loadAnns(coco.getAnnIds())
    assert coco.loadCats(ann["category_id"])[0]["name"] == "L1"
    assert ann["area"] == pytest.approx(40 * 30)
    via = json.loads((tmp_path / "out_via.json").read_text())
    assert via  # VIA JSON written
    back = load_via(tmp_path / "out_via.json", images_dir=small_project)
    (img,) = back.images.values()
    assert [i.label for i in img.instances] == ["L1"]


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
    assert window.windowTitle().startswith(real_dicom_dir.name + "[*]")
