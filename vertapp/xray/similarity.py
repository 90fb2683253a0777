"""2D similarity transforms (translation, rotation, uniform scale) as 2x3 matrices.

Convention (the same as `vertapp.synth.radiograph` and OpenCV's `getRotationMatrix2D`):
a matrix maps a high-dose pixel (col, row, 1) to its low-dose position (col, row);
`[[a, b, tx], [-b, a, ty]]` with a = s*cos(angle), b = s*sin(angle), so a positive angle
turns counter-clockwise as displayed (rows grow downwards).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Similarity:
    """A similarity about `center` (col, row): rotate by `angle_deg`, scale, then shift."""

    angle_deg: float
    scale: float
    shift: tuple[float, float]  # where `center` moves: (d col, d row) in pixels
    center: tuple[float, float]

    @property
    def matrix(self) -> np.ndarray:
        a = math.radians(self.angle_deg)
        alpha, beta = self.scale * math.cos(a), self.scale * math.sin(a)
        cx, cy = self.center
        return np.array(
            [
                [alpha, beta, (1 - alpha) * cx - beta * cy + self.shift[0]],
                [-beta, alpha, beta * cx + (1 - alpha) * cy + self.shift[1]],
            ]
        )

    @staticmethod
    def from_matrix(matrix: np.ndarray, center: tuple[float, float]) -> Similarity:
        """The nearest similarity to a 2x3 matrix, described about `center`."""
        m = np.asarray(matrix, dtype=float)
        # least-squares projection of the linear part onto [[a, b], [-b, a]]
        a = 0.5 * (m[0, 0] + m[1, 1])
        b = 0.5 * (m[0, 1] - m[1, 0])
        c = np.array(center, dtype=float)
        moved = m[:, :2] @ c + m[:, 2]
        return Similarity(
            math.degrees(math.atan2(b, a)),
            math.hypot(a, b),
            (float(moved[0] - c[0]), float(moved[1] - c[1])),
            (float(c[0]), float(c[1])),
        )

    def apply(self, points: np.ndarray) -> np.ndarray:
        return apply_matrix(self.matrix, points)


def apply_matrix(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map (N, 2) points (col, row) by a 2x3 matrix."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    return pts @ np.asarray(matrix, dtype=float)[:, :2].T + np.asarray(matrix, dtype=float)[:, 2]


def box_corners(bbox: Sequence[float]) -> np.ndarray:
    """The 4 corners (col, row) of an [x, y, w, h] box."""
    x, y, w, h = (float(v) for v in bbox)
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])


def corner_errors(estimated: np.ndarray, true: np.ndarray, bbox: Sequence[float]) -> np.ndarray:
    """Distance (px) between the box corners mapped by the estimated and the true matrix."""
    c = box_corners(bbox)
    return np.asarray(np.linalg.norm(apply_matrix(estimated, c) - apply_matrix(true, c), axis=1))
