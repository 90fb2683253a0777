"""Issue #13 item 3: a radiograph in the window, shown on its own 16-bit values with
window/level (presets from its percentiles, F5-F7, right-drag, the W/L numbers), fitted on
open, zoomed at the cursor, and its values kept when the project is saved and reopened."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QMouseEvent

from tests.e2e.mouse_driver import _send, drag, view_point
from tests.e2e.test_conventions import _wheel
from tests.e2e.window_driver import open_and_wait as _open
from vertapp.xray.display import window_presets

RIGHT = Qt.MouseButton.RightButton


def tall_film(h: int = 2500, w: int = 1000) -> np.ndarray:
    """A 16-bit whole-spine-shaped film: soft tissue, a bright column of vertebrae, a black
    collimator border (a plateau at the minimum), values far above 255."""
    rng = np.random.default_rng(0)
    rows, cols = np.mgrid[0:h, 0:w]
    img = 12000 + 8000 * np.exp(-(((cols - w / 2) / (w / 4)) ** 2))
    bodies = (np.abs(cols - w / 2) < w / 10) & ((rows // 120) % 2 == 0)
    img = img + 20000 * bodies + rng.normal(0, 300, (h, w))
    img[:, :60] = 0  # collimator shutter
    return np.clip(img, 0, 65535).astype(np.uint16)


@pytest.fixture
def film_png(tmp_path: Path) -> Path:
    path = tmp_path / "film.png"
    assert cv2.imwrite(str(path), tall_film())
    return path


def _shows(window, film: np.ndarray, wl: tuple[float, float]) -> bool:  # type: ignore[no-untyped-def]
    """The view shows `film`'s own values through the window `wl` (8-bit picture)."""
    width, level = wl
    want = np.clip(np.round((film.astype(float) - (level - width / 2)) * 255 / width), 0, 255)
    shown = np.asarray(window.annot.canvas.image_item.image, dtype=float)
    return shown.shape == film.shape and float(np.abs(shown - want).max()) <= 1.0


def _right_drag(qtbot, canvas, start, end) -> None:  # type: ignore[no-untyped-def]
    vp = canvas.view.viewport()
    a, b = view_point(canvas, *start), view_point(canvas, *end)
    _send(vp, QMouseEvent.Type.MouseButtonPress, a, RIGHT, RIGHT)
    for t in (0.25, 0.5, 0.75, 1.0):
        p = QPoint(round(a.x() + (b.x() - a.x()) * t), round(a.y() + (b.y() - a.y()) * t))
        _send(vp, QMouseEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, RIGHT)
        qtbot.wait(5)
    _send(vp, QMouseEvent.Type.MouseButtonRelease, b, RIGHT, Qt.MouseButton.NoButton)


def test_sixteen_bit_film_opens_fitted_with_its_own_window(qtbot, window, film_png) -> None:  # type: ignore[no-untyped-def]
    film = tall_film()
    _open(qtbot, window, film_png)
    view, levels = window.annot, window.annot.levels
    assert levels.isVisible() and levels.preset.currentText() == "Automatic"
    auto = window_presets(film)["Automatic"]
    assert levels.wl == pytest.approx(auto)
    assert _shows(window, film, auto)  # the 16-bit values through the window, not 8 bits
    assert levels.width_box.value() == pytest.approx(auto[0], abs=1)  # the numbers shown
    assert auto[1] - auto[0] / 2 > 5000  # the black shutter does not pull the window to 0
    window.images._report_mip_cursor(500.4, 1300.7)  # what a mouse move reports
    assert window.cursor_label.text().endswith(f"value {film[1300, 500]}")
    (x0, x1), (y0, y1) = view.canvas.viewbox.viewRange()  # the tall film fits on open
    assert x0 <= 0 and x1 >= film.shape[1] and y0 <= 0 and y1 >= film.shape[0]
    assert y1 - y0 < 1.1 * film.shape[0]  # ... and fills the view's height


def test_presets_keys_and_right_drag_change_the_window(qtbot, window, film_png) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, film_png)
    levels, canvas = window.annot.levels, window.annot.canvas
    presets = window_presets(tall_film())
    film = tall_film()
    window.preset_actions[0].trigger()  # F5: bone, the bright half
    assert levels.wl == pytest.approx(presets["Bone"]) and levels.preset.currentText() == "Bone"
    assert _shows(window, film, presets["Bone"])
    window.preset_actions[1].trigger()  # F6
    assert levels.preset.currentText() == "Soft tissue"
    levels.preset.setCurrentText("Full range")
    assert _shows(window, film, (float(film.max()), film.max() / 2))
    start = levels.wl
    _right_drag(qtbot, canvas, (500, 1250), (700, 1000))  # right: wider; up: brighter level
    assert levels.wl[0] > start[0] and levels.wl[1] > start[1]
    assert levels.preset.currentText() == "Custom"
    assert levels.width_box.value() == pytest.approx(levels.wl[0], abs=1)
    assert _shows(window, film, levels.wl)
    levels.width_box.setValue(5000)  # typed numbers apply too
    assert levels.wl[0] == 5000 and _shows(window, film, levels.wl)
    assert window.doc.current.instances == []  # a right-drag drew nothing


def test_wheel_zooms_at_the_cursor_on_a_film(qtbot, window, film_png) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, film_png)
    canvas = window.annot.canvas
    target = (300.0, 1800.0)
    pos = view_point(canvas, *target)
    before = canvas.zoom()
    _wheel(canvas.view.viewport(), pos, 240)
    after = canvas.viewbox.mapSceneToView(canvas.view.mapToScene(pos))
    assert canvas.zoom() > before
    assert abs(after.x() - target[0]) < 3 and abs(after.y() - target[1]) < 3
    (x0, _), (y0, _) = canvas.viewbox.viewRange()
    drag(qtbot, canvas, (300, 1800), (350, 1700))  # left-drag on the film (no polygon): pans
    (x1, _), (y1, _) = canvas.viewbox.viewRange()
    assert x1 == pytest.approx(x0 - 50, abs=3) and y1 == pytest.approx(y0 + 100, abs=3)
    assert window.doc.current.instances == []


def test_ct_keeps_its_own_window_and_no_radiograph_bar(qtbot, window, phantom_nifti) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, phantom_nifti)
    assert not window.annot.levels.isVisible()
    window.preset_actions[0].trigger()  # F5 on a CT: the axial bone window, as before
    assert window.axial.wl == (1800.0, 400.0)


def test_saved_and_reopened_film_keeps_its_sixteen_bits(qtbot, window, film_png, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, film_png)
    folder = tmp_path / "project"
    assert window.save(folder, wait=True)
    rec = window.doc.current
    assert rec.source_path and (folder / rec.source_path).is_file()
    stored = cv2.imread(str(folder / rec.source_path), cv2.IMREAD_UNCHANGED)
    assert stored.dtype == np.uint16 and np.array_equal(stored, tall_film())
    _open(qtbot, window, folder)
    auto = window_presets(tall_film())["Automatic"]
    assert window.annot.levels.wl == pytest.approx(auto)
    assert _shows(window, tall_film(), auto)
    other = tmp_path / "copy"  # "save as" takes the film's own values along
    assert window.save(other, wait=True)
    _open(qtbot, window, other)
    assert (other / rec.source_path).is_file() and _shows(window, tall_film(), auto)


def test_dicom_dx_film_is_windowed_on_its_bone_bright_values(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.unit.io.iotest_helpers import write_dx

    stored = (tall_film(600, 240) >> 4).astype(np.uint16)  # 12-bit values
    path = write_dx(
        tmp_path / "film.dcm",
        stored,
        photometric="MONOCHROME1",
        bits_stored=12,
        pixel_spacing=(0.15, 0.15),
    )
    _open(qtbot, window, path)
    rec = window.doc.current
    assert rec is not None and rec.kind == "radiograph"
    assert rec.extra["vertapp"]["pixel_spacing_mm"] == [0.15, 0.15]  # mm in the pair view
    values = window.doc.raw_pixels(rec.id)
    assert values.max() > 255  # 12 bits, not an 8-bit copy
    assert np.corrcoef(values.ravel(), stored.ravel())[0, 1] < -0.99  # MONOCHROME1: inverted
    auto = window_presets(values)["Automatic"]
    assert window.annot.levels.wl == pytest.approx(auto)
    assert _shows(window, values, auto)
    window.preset_actions[0].trigger()  # F5: bone
    assert _shows(window, values, window_presets(values)["Bone"])


def test_training_copy_of_a_film_uses_the_engines_window(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The 8-bit copy that training and Predict read is the X-ray engine's own windowing
    of the film (what `vertapp xray zoi FILM` sees), not min..max: a burnt-in marker at
    full white must not squeeze the vertebrae into a few grey levels."""
    from vertapp.xray.training import grey_u8

    film = tall_film(600, 240)
    film[10:30, 200:210] = 65535  # an "R" marker burnt in at full white
    path = tmp_path / "marked.png"
    assert cv2.imwrite(str(path), film)
    _open(qtbot, window, path)
    copy = window.doc.pending_images[window.doc.current_id]
    assert copy.dtype == np.uint8 and np.array_equal(copy, grey_u8(film))
    body, gap = copy[20:100, 110:130].mean(), copy[140:220, 110:130].mean()
    assert body - gap > 100  # vertebra against the disc gap: 78 grey levels with min..max


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_an_8_bit_films_training_copy_is_the_file_as_the_engine_reads_it(  # type: ignore[no-untyped-def]
    qtbot, window, tmp_path, suffix
) -> None:
    """Audit r16: an 8-bit AASCE JPEG (brightest pixel 203) opened in the window reached
    the model stretched over 0..255, while the command line and training read such files
    as they are: a model that found 26 bodies on the file found none in the window. The
    copy Predict reads (and a save keeps as images/*.png) is now the engine's own read."""
    from vertapp.xray.training import read_radiograph

    film = (tall_film(600, 240) // 400).astype(np.uint8)  # an 8-bit film, 0 .. ~150
    assert 100 < film.max() < 200
    path = tmp_path / f"film{suffix}"
    assert cv2.imwrite(str(path), film)
    _open(qtbot, window, path)
    copy = window.doc.pending_images[window.doc.current_id]
    assert copy.dtype == np.uint8 and np.array_equal(copy, read_radiograph(path))
    assert copy.max() == pytest.approx(film.max(), abs=8)  # not stretched to 255
