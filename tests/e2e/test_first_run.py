"""Issue #19: browsing a saved project fast, opening from the menu, what a new user meets."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.window_driver import open_and_wait as _open


def test_stepping_fast_ends_on_the_current_images_ct(qtbot, window, ct_project) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+Down three times fast: the last image's CT is read and shown (was: never)."""
    _open(qtbot, window, ct_project)
    first = window.doc.current_id
    qtbot.waitUntil(lambda: first in window.doc.ct, timeout=60_000)
    for _ in range(3):
        window.act_next_image.trigger()
        qtbot.wait(5)  # faster than a CT read
    last = window.doc.image_ids[-1]
    assert window.doc.current_id == last
    qtbot.waitUntil(lambda: window.axial.volume is not None, timeout=60_000)
    assert window.axial.volume is window.doc.ct[last].volume
    assert "not loaded" not in window.axial.info.text()
    qtbot.waitUntil(lambda: not window.busy(), timeout=60_000)


def test_no_stale_canal_circle_while_the_next_ct_is_read(qtbot, window, ct_project) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, ct_project)
    qtbot.waitUntil(lambda: window.axial.volume is not None, timeout=60_000)
    window.axial.set_slice(next(iter(window.axial.circles)))
    assert window.axial.visible_circles()
    window.act_next_image.trigger()
    assert window.axial.volume is None
    assert window.axial.visible_circles() == []
    assert window.axial.info.text() == "Reading the source CT…"
    qtbot.waitUntil(lambda: window.axial.volume is not None, timeout=60_000)


def test_a_missing_source_ct_says_what_to_do(qtbot, window, tmp_path, ct_project) -> None:  # type: ignore[no-untyped-def]
    import shutil

    copy = tmp_path / "moved"
    shutil.copytree(ct_project, copy)
    for f in (copy / "volumes").iterdir():
        f.unlink()
    _open(qtbot, window, copy)
    text = window.axial.info.text()
    assert "not found" in text and "Ctrl+L" in text


def test_a_scan_opened_after_a_bigger_one_is_fitted(qtbot, window, phantom_nifti, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """File > Open after another image: the new MIP fills the view (was: the old range)."""
    from vertapp.io import write_volume
    from vertapp.synth import make_ct_phantom

    big = tmp_path / "big.nii.gz"
    write_volume(make_ct_phantom(seed=1, first="T4", last="L5").volume, big)
    _open(qtbot, window, big)
    _open(qtbot, window, phantom_nifti)
    h, w = window.annot.image_shape
    (x0, x1), (y0, y1) = window.annot.canvas.viewbox.viewRange()
    # locked aspect: one axis fits the image (2 % padding), the other is at least as wide
    fits_x = abs((x1 - x0) - w) < 0.1 * w
    fits_y = abs((y1 - y0) - h) < 0.1 * h
    assert fits_x or fits_y, ((x0, x1, y0, y1), (w, h))
    assert x0 < 1 and x1 > w - 1 and y0 < 1 and y1 > h - 1


def test_linked_cursor_between_mip_and_axial(qtbot, window, phantom_nifti) -> None:  # type: ignore[no-untyped-def]
    """Click the MIP: that axial slice, and a marker on the voxel the MIP pixel shows."""
    import numpy as np

    from tests.e2e.mouse_driver import click

    _open(qtbot, window, phantom_nifti)
    opened = window.doc.ct[window.doc.current_id]
    mip, vol = opened.mip, opened.volume
    r = mip.mip.shape[0] // 2
    c = int(np.argmax(mip.mip[r]))  # bone: the brightest pixel of the middle row
    click(qtbot, window.annot.canvas, c + 0.5, r + 0.5)
    lps = mip.mip_to_lps(r, c, depth="max")
    k, j, i = (int(round(v)) for v in vol.lps_to_index(tuple(lps)))
    assert window.axial.index == k
    mx, my = window.axial.marker_xy()
    sx, sy, _ = vol.spacing
    assert abs(mx - i * sx) < sx and abs(my - j * sy) < sy
    patch = vol.array[k, j - 1 : j + 2, i - 1 : i + 2].astype(float)
    assert patch.max() >= 0.8 * mip.mip[r, c]  # the marker sits on what the MIP showed
    # ...and back: a click on the axial slice marks its point on the MIP
    ax, ay = window.axial.marker_xy()
    click(qtbot, window.axial.canvas, ax, ay)
    (px,), (py,) = window.annot.marker.getData()
    assert abs(py - (r + 0.5)) <= 1.0 and abs(px - (c + 0.5)) <= 1.0


REAL_CT = Path(__file__).resolve().parents[1] / "data" / "totalseg-example" / "ct.nii.gz"


def test_real_ct_shows_the_bridged_track_on_every_slice_of_the_spine(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Item 4: between measured circles the track shows dashed, and the view says which."""
    from PySide6.QtCore import Qt

    _open(qtbot, window, REAL_CT)
    ax = window.axial
    measured = [k for k, cs in ax.circles.items() if any(c.on_track and not c.bridged for c in cs)]
    bridged = [k for k, cs in ax.circles.items() if cs and all(c.bridged for c in cs)]
    assert measured and bridged
    lo, hi = min(measured), max(measured)
    assert all(ax.circles.get(k) for k in range(lo, hi + 1))  # no slice of the spine empty
    ax.set_slice(bridged[len(bridged) // 2])
    (item,) = [i for i in ax.visible_circles() if i.pen().style() == Qt.PenStyle.DashLine]
    assert ax.warning.text() == "canal bridged (no circle found here)"
    ax.set_slice(measured[len(measured) // 2])
    assert ax.warning.text() == "canal measured"
    assert "slices" in ax.coverage.text() and "%" in ax.coverage.text()


def test_a_superseded_read_does_not_hide_the_next_reads_progress(
    qtbot, window, ct_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import time

    from vertapp.gui.window import image_controller
    from vertapp.jobs import Progress

    real = image_controller.reload_ct_job

    def slow_read(path, prep):  # type: ignore[no-untyped-def]
        for k in range(40):  # a big CT on a slow disk: seconds, with progress
            time.sleep(0.05)
            yield Progress("read", k / 40, "reading")
        return (yield from real(path, prep))

    monkeypatch.setattr(image_controller, "reload_ct_job", slow_read)
    _open(qtbot, window, ct_project)
    qtbot.waitUntil(lambda: not window.busy(), timeout=60_000)
    window.act_next_image.trigger()  # starts a read
    window.act_next_image.trigger()  # cancels it for the next image's read
    qtbot.waitUntil(lambda: window.images._ct_reading == window.doc.current_id, timeout=30_000)
    qtbot.wait(300)  # the cancelled thread's end has been delivered
    assert window.busy() and window.progress.isVisible()
    qtbot.waitUntil(lambda: window.axial.volume is not None, timeout=60_000)


def test_the_mip_keeps_the_hip_landmark_that_numbers_predictions(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """The real CT reaches the pelvis: its MIP's record keeps the top of the hip bones
    (near L5, in the lower part of the image), and Predict's snapshot passes it on."""
    from vertapp.annotations.landmarks import HIP_TOP, record_hip_top_row
    from vertapp.preprocess.landmarks import landmarks
    from vertapp.review.snapshot import snapshot

    _open(qtbot, window, REAL_CT)
    rec = window.doc.current
    row = record_hip_top_row(rec.extra.get("vertapp"))
    assert row is not None and row == landmarks(window.doc.ct[rec.id].mip)[HIP_TOP]
    assert 0.6 * rec.height < row < rec.height
    [snap] = snapshot(window.doc.project, [rec.id], window.doc.pending_images)
    assert snap.hip_top_row == row
