"""Saving runs in the background: the window keeps painting through a big save, edits
made meanwhile stay unsaved, a failed save says so and leaves the old file."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from tests.e2e.window_driver import open_and_wait as _open
from vertapp.annotations import coco, ops, store

pytestmark = pytest.mark.gui


def _big_project(folder, n_images: int, n_polys: int = 17, n_vertices: int = 200):  # type: ignore[no-untyped-def]
    """n_images x n_polys polygons of n_vertices, all different (a cold area/bbox cache)."""
    from PIL import Image

    from vertapp.annotations.model import ImageRecord, Instance
    from vertapp.labels import VERTEBRAE

    project = store.new_project(folder)
    h, w = 400, 160
    Image.fromarray(np.zeros((h, w), np.uint8)).save(folder / "images" / "m.png")
    t = np.linspace(0, 2 * np.pi, n_vertices, endpoint=False)
    ring = np.column_stack([80 + 30 * np.cos(t), 12 + 9 * np.sin(t)])
    for i in range(n_images):
        rec = ImageRecord(id=i + 1, file_name="images/m.png", width=w, height=h)
        for j in range(n_polys):
            poly = ring + (0.001 * i, 22 * j)
            rec.instances.append(
                Instance(id=project.new_instance_id(), label=VERTEBRAE[j], polygons=[poly])
            )
        project.add_image(rec)
    return project


def _wait_saved(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window._save_worker is None, timeout=300_000)


@pytest.mark.slow
def test_window_keeps_painting_while_a_big_project_saves(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "big"
    store.save_project(_big_project(folder, 1500), folder)  # 25 500 polygons x 200 vertices
    _open(qtbot, window, folder)
    first, second = window.doc.current.instances[:2]
    window.doc.edit(ops.Relabel(first.id, "L5"), "Relabel")
    coco._area_cache.clear()  # as after opening: every area/bbox computed again
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    t0 = time.perf_counter()
    assert window.save()  # returns at once: the file is written in the background
    started = time.perf_counter() - t0
    assert window._save_worker is not None
    window.doc.edit(ops.Relabel(second.id, "L4"), "Relabel")  # an edit while it saves
    _wait_saved(qtbot, window)
    took = time.perf_counter() - t0
    timer.stop()
    gaps = np.diff(ticks)
    assert took > 1.0, f"the save took {took:.2f} s: too small to show a stall"
    assert len(ticks) > 20
    assert started < 0.2, f"starting the save blocked the window for {started * 1000:.0f} ms"
    assert gaps.max() < 0.2, f"longest event-loop stall {gaps.max() * 1000:.0f} ms"
    assert window._last_error == ""
    assert window.isWindowModified()  # the edit made during the save is not in the file
    raw = (folder / "project.json").read_bytes()
    assert f'{{"id":{first.id},"image_id":1,"category_id":17,'.encode() in raw  # L5 saved
    assert f'{{"id":{second.id},"image_id":1,"category_id":2,'.encode() in raw  # T2, not L4
    assert store.has_recovery(folder)  # ... but journalled on top of the new file


def test_background_save_marks_the_window_clean(qtbot, window, small_project) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    inst = window.doc.current.instances[0]
    window.doc.edit(ops.Relabel(inst.id, "T9"), "Relabel")
    assert window.isWindowModified()
    assert window.save()
    _wait_saved(qtbot, window)
    assert not window.isWindowModified()
    assert store.load_project(small_project).instance(inst.id).label == "T9"
    assert not store.has_recovery(small_project)
    window.doc.edit(ops.Relabel(inst.id, "T8"), "Relabel")
    window.act_undo.trigger()  # back to what was saved: clean again
    assert not window.isWindowModified()


def test_failed_background_save_tells_the_user_and_keeps_the_file(  # type: ignore[no-untyped-def]
    qtbot, window, small_project, monkeypatch
) -> None:
    _open(qtbot, window, small_project)
    old = (small_project / "project.json").read_bytes()
    inst = window.doc.current.instances[0]
    window.doc.edit(ops.Relabel(inst.id, "T9"), "Relabel")

    def full_disk(*_a, **_k):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.os, "fsync", full_disk)
    assert window.save()
    _wait_saved(qtbot, window)
    monkeypatch.undo()
    assert "No space left on device" in window._last_error
    assert "unchanged" in window._last_error
    assert window.isWindowModified()
    assert (small_project / "project.json").read_bytes() == old
    assert window.save(wait=True)  # the disk has room again
    assert not window.isWindowModified()


def test_closing_waits_for_a_background_save(qtbot, window, small_project) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    inst = window.doc.current.instances[0]
    window.doc.edit(ops.Relabel(inst.id, "T9"), "Relabel")
    assert window.save()
    assert window.close()  # no prompt: the save in flight held every edit
    assert window._save_worker is None
    assert store.load_project(small_project).instance(inst.id).label == "T9"
