"""A float TIFF film with one NaN or infinite pixel is refused as `vertapp info` refuses it.

OpenCV read such films past the io layer's check: `xray zoi` wrote all-zero cut-outs and a
NaN rescale into zois.json (not JSON), `xray align` went on, both with exit 0.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vertapp.errors import InputError
from vertapp.xray.images import read_film, read_pixels


def _float_film(folder: Path, corner: float) -> Path:
    pixels = np.linspace(0.0, 1.0, 48 * 64, dtype=np.float32).reshape(48, 64)
    pixels[0, 0] = corner
    path = folder / "film.tiff"
    assert cv2.imwrite(str(path), pixels)
    return path


@pytest.mark.parametrize("corner", [np.nan, np.inf, -np.inf])
def test_a_nonfinite_pixel_is_refused_naming_the_file(tmp_path: Path, corner: float) -> None:
    film = read_film(_float_film(tmp_path, 0.5))  # a finite float film still reads
    assert film.pixels.shape == (48, 64) and np.isfinite(film.pixels).all()
    path = _float_film(tmp_path, corner)
    words = r"film\.tiff: image contains 1 NaN or infinite pixel values"
    with pytest.raises(InputError, match=words):
        read_film(path)  # what `xray zoi` reads
    with pytest.raises(InputError, match=words):
        read_pixels(path)  # what `xray align` reads
