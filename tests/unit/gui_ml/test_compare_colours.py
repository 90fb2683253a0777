"""The Compare overlay's colours read on a grey CT MIP, for colour-blind eyes too.

"Overlap, same level" was white: over the bone it covers (light grey to white on the
MIP) it could not be told from the bone. Each class colour, blended at the overlay's
alpha, must stand out from every grey and from the other classes, also as a
deuteranope, a protanope and a tritanope sees it (Machado et al. 2009, severity 1).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vertapp.gui.model.compare_panel import COLOURS, overlay_rgba
from vertapp.review import compare as comparison

# linear-RGB matrices of Machado, Oliveira & Fernandes (2009), full severity
SEEN_AS = {
    "normal": np.eye(3),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.01182, 0.04294, 0.968881],
        ]
    ),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.3039],
        ]
    ),
}
GREYS = (0, 40, 80, 120, 160, 200, 240, 255)  # the MIP: black around, bone up to white
# CIELAB distance: ~2 is just noticeable side by side; 10+ reads at a glance
FROM_GREY, FROM_EACH_OTHER = 12.0, 12.0


def _linear(rgb: np.ndarray) -> np.ndarray:
    c = np.asarray(rgb, float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(rgb: np.ndarray, eye: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour as `eye` sees it."""
    lin = np.clip(_linear(rgb) @ eye.T, 0, 1)
    srgb_to_xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    )
    xyz = lin @ srgb_to_xyz.T / np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _on_grey(rgb: tuple[int, int, int], grey: int, alpha: float) -> np.ndarray:
    return alpha * np.asarray(rgb, float) + (1 - alpha) * grey


def _overlay_alpha() -> float:
    one = np.ones((1, 1), bool)
    return float(overlay_rgba({"T1": one}, {}, (1, 1))[0, 0, 3]) / 255


def test_every_overlay_class_has_a_colour() -> None:
    classes = {comparison.TRUTH, comparison.PREDICTION, comparison.SAME_LEVEL}
    assert set(COLOURS) == classes | {comparison.WRONG_LEVEL}


@pytest.mark.parametrize("eye", sorted(SEEN_AS))
def test_each_class_stands_out_from_the_grey_under_it(eye: str) -> None:
    alpha = _overlay_alpha()
    for cls, rgb in COLOURS.items():
        for grey in GREYS:
            shown = _lab(_on_grey(rgb, grey, alpha), SEEN_AS[eye])
            under = _lab(np.full(3, float(grey)), SEEN_AS[eye])
            distance = float(np.linalg.norm(shown - under))
            assert distance >= FROM_GREY, (cls, rgb, grey, round(distance, 1))


@pytest.mark.parametrize("eye", sorted(SEEN_AS))
def test_the_classes_stay_apart(eye: str) -> None:
    alpha = _overlay_alpha()
    for (a, rgb_a), (b, rgb_b) in itertools.combinations(COLOURS.items(), 2):
        for grey in GREYS:
            lab_a = _lab(_on_grey(rgb_a, grey, alpha), SEEN_AS[eye])
            lab_b = _lab(_on_grey(rgb_b, grey, alpha), SEEN_AS[eye])
            distance = float(np.linalg.norm(lab_a - lab_b))
            assert distance >= FROM_EACH_OTHER, (a, b, grey, round(distance, 1))
