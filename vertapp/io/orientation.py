"""Orientation codes and reorientation to LPS (SimpleITK's DICOMOrient).

ITK, DICOM and this project all use LPS patient coordinates, so a NIfTI in
RAS is only a different direction matrix: DICOMOrient permutes and flips the
axes (no interpolation) until index x runs to the left, y to posterior and z
to superior. An oblique acquisition keeps its small residual rotation.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

Vec3 = tuple[float, float, float]


def orientation_code(direction: np.ndarray) -> str:
    """Three letters naming where index x, y, z point ('LPS', 'RAS', ...)."""
    flat = [float(v) for v in np.asarray(direction, dtype=float).reshape(9)]
    return str(sitk.DICOMOrientImageFilter.GetOrientationFromDirectionCosines(flat))


def image_direction(image: sitk.Image) -> np.ndarray:
    return np.array(image.GetDirection(), dtype=float).reshape(3, 3)


def reorient_to_lps(image: sitk.Image) -> sitk.Image:
    """The same image with its axes permuted/flipped to LPS (a no-op when already LPS)."""
    if orientation_code(image_direction(image)) == "LPS":
        return image
    return sitk.DICOMOrient(image, "LPS")


def array_to_lps(
    array: np.ndarray, spacing: Vec3, origin: Vec3, direction: np.ndarray
) -> tuple[np.ndarray, Vec3, Vec3, np.ndarray]:
    """Reorient a (z, y, x) array with its geometry; returns the array untouched when LPS."""
    if orientation_code(direction) == "LPS":
        return array, spacing, origin, np.asarray(direction, dtype=float)
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    image.SetDirection([float(v) for v in np.asarray(direction).reshape(9)])
    image = sitk.DICOMOrient(image, "LPS")
    return (
        sitk.GetArrayFromImage(image),
        _vec3(image.GetSpacing()),
        _vec3(image.GetOrigin()),
        image_direction(image),
    )


def _vec3(values: tuple[float, ...]) -> Vec3:
    return (float(values[0]), float(values[1]), float(values[2]))
