"""Radiograph pixels as stored ("unprocessed"): what ZOIs are cut from and aligned on.

Image files keep their own integer type (8 or 16 bit); DICOM goes through the project's
reader (rescale applied, bone bright) and stays float. Colour files become grey.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from vertapp.errors import InputError

IMAGE_EXT = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def read_pixels(path: Path) -> np.ndarray:
    """2-D pixel array of a radiograph file; our error for anything unreadable."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() in IMAGE_EXT:
        img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise InputError(f"{path}: cannot be read as an image")
        if img.ndim == 3:
            img = cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2GRAY)
        return np.asarray(img)
    from vertapp.io.readers import read_radiograph

    return np.asarray(read_radiograph(path).array)
