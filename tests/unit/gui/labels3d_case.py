"""What the 3D-labels process tests share besides their fixtures (tests/unit/gui/conftest.py)."""

from __future__ import annotations

import numpy as np

from vertapp.backproject import footprint_from_masks
from vertapp.labels import VERTEBRA_ID


def footprint(truth: np.ndarray, names: list[str]) -> np.ndarray:
    return footprint_from_masks([(n, truth == VERTEBRA_ID[n]) for n in names], truth.shape)
