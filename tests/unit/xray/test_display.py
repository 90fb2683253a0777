"""Radiograph window/level on the image's own values (percentile presets, drag, storage)."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.xray.display import (
    drag_window,
    levels,
    stored_pixels,
    value_range,
    window_presets,
)


def _film() -> np.ndarray:
    """16-bit values 10000..50000 (a ramp), a third of it a black shutter at 0."""
    ramp = np.linspace(10000, 50000, 300 * 200).reshape(300, 200)
    ramp[:, :70] = 0
    return ramp.astype(np.uint16)


def test_presets_are_percentiles_of_the_image_without_the_shutter() -> None:
    film = _film()
    inside = film[:, 70:].astype(float)
    presets = window_presets(film)
    lo, hi = levels(*presets["Automatic"])
    assert lo == pytest.approx(np.percentile(inside, 1), rel=0.01)
    assert hi == pytest.approx(np.percentile(inside, 99), rel=0.01)
    bone_lo, bone_hi = levels(*presets["Bone"])
    soft_lo, soft_hi = levels(*presets["Soft tissue"])
    assert bone_lo > soft_lo and bone_hi > soft_hi  # bone is the bright end
    assert levels(*presets["Full range"]) == pytest.approx((0, film.max()))


def test_eight_bit_and_constant_images_get_usable_windows() -> None:
    img = np.tile(np.arange(256, dtype=np.uint8), (10, 1))
    w, lv = window_presets(img)["Automatic"]
    assert 200 < w < 256 and lv == pytest.approx(127.5, abs=2)
    flat = np.full((5, 5), 7.0, np.float32)
    for width, _level in window_presets(flat).values():
        assert width > 0
    assert value_range(np.array([[np.nan, 1.0], [3.0, np.inf]])) == (1.0, 3.0)


def test_drag_follows_the_axial_convention_scaled_to_the_range() -> None:
    start = (1000.0, 30000.0)
    wider, _ = drag_window(start, 100, 0, 0, 65535)
    assert wider == pytest.approx(1000 + 100 * 65535 / 1000)  # right: wider
    _, brighter = drag_window(start, 0, -100, 0, 65535)
    assert brighter > start[1]  # up: the level rises
    narrow, _ = drag_window(start, -10_000, 0, 0, 65535)
    assert narrow > 0


def test_stored_pixels_keep_whole_values_and_map_the_rest_to_16_bits() -> None:
    film = _film()
    assert stored_pixels(film.astype(np.float32)).dtype == np.uint16
    assert np.array_equal(stored_pixels(film.astype(np.float32)), film)
    small = np.array([[0, 255]], np.float32)
    assert stored_pixels(small).dtype == np.uint8
    dicom = np.array([[-1024.5, 0.0, 3071.5]], np.float32)  # rescaled values
    out = stored_pixels(dicom)
    assert out.dtype == np.uint16 and out.min() == 0 and out.max() == 65535
    assert np.all(np.diff(out[0].astype(int)) > 0)  # order kept


def test_render_maps_the_window_onto_0_255() -> None:
    from vertapp.xray.display import as_film, render

    film = as_film(_film())
    out = render(film, 2000.0, 20000.0)  # 19000 -> 0, 21000 -> 255
    want = np.clip(np.round((film.astype(float) - 19000) * 255 / 2000), 0, 255)
    assert out.dtype == np.uint8 and np.abs(out - want).max() <= 1
    assert out[:, :70].max() == 0 and out[-1, 70:].min() == 255  # below black, above white
    nan = as_film(np.array([[np.nan, 5.0, 10.0]], np.float32))
    assert render(nan, 10.0, 7.5).tolist() == [[64, 64, 191]]  # NaN as the lowest value
