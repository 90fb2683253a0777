"""Landmarks an image record keeps for numbering, read back safely (no preprocessing here).

`vertapp.landmarks.hip_top_row`: the MIP row of the top of the hip bones, found by
`vertapp.preprocess.landmarks` (null when the CT was looked at and shows no hip bone). It
lives here, with the record format, so that reading it at prediction time does not import
the preprocessing pipeline (SimpleITK and all) into training and review processes.
"""

from __future__ import annotations

import math
from typing import Any

KEY = "landmarks"
HIP_TOP = "hip_top_row"


def record_hip_top_row(vertapp_meta: Any) -> float | None:
    """The hip landmark stored in an image record's `vertapp` dict; None when absent or
    not a finite number (a hand-edited file must not break a prediction)."""
    if not isinstance(vertapp_meta, dict):
        return None
    marks = vertapp_meta.get(KEY)
    value = marks.get(HIP_TOP) if isinstance(marks, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
