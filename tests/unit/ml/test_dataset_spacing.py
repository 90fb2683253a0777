"""Pixel spacing of an image record, used by the identification rate's 20 mm rule."""

from __future__ import annotations

from vertapp.ml.dataset import image_spacing


def test_explicit_spacing_wins() -> None:
    assert image_spacing({"vertapp": {"spacing_mm": [0.5, 0.7]}}) == (0.5, 0.7)


def test_mip_spacing_comes_from_its_affine() -> None:
    # rows step 2 mm down in z, columns 1.5 mm posterior in y (a MIP resampled at 2 / 1.5 mm)
    affine = [[0.0, 0.0, 10.0], [0.0, 1.5, -40.0], [-2.0, 0.0, 300.0]]
    assert image_spacing({"vertapp": {"mip_affine": affine}}) == (2.0, 1.5)


def test_no_geometry_means_the_default_1_mm_grid() -> None:
    assert image_spacing({"vertapp": {"mip_affine": "garbage"}}) == (1.0, 1.0)
    assert image_spacing({}) == (1.0, 1.0)
