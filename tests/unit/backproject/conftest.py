"""Phantom cases for the back-projection, in the orientations a scanner may store.

One small lumbar phantom (L1..L5, no pelvis, 1.5 x 1.5 x 3 mm), written to NIfTI in PIR
and RAS (the same anatomy stored with permuted/flipped axes) and resampled onto an oblique
grid (rotated 10 deg about z and 6 deg about x, as a tilted acquisition), then read back
through the app's reader, preprocessed, and its ground-truth 3D labels projected onto
the MIP (`project_labels`): the masks a perfect 2D segmentation would give.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from vertapp.io import read_volume
from vertapp.io.volume import Volume
from vertapp.preprocess import MipResult, preprocess
from vertapp.preprocess.label_projection import project_labels

ORIENTATIONS = ("PIR", "RAS", "oblique")


@dataclass
class Case:
    name: str
    path: Path  # the CT file as stored (source geometry)
    volume: Volume  # read back, LPS
    labels: np.ndarray  # ground truth (our ids) on `volume`'s grid
    result: MipResult
    footprint: np.ndarray  # ground-truth masks on the MIP


_PHANTOM: list = []
_CASES: dict[str, Case] = {}
_BACKPROJECTED: dict[str, object] = {}


def backprojected(case: Case):  # type: ignore[no-untyped-def]
    """The case's ground-truth masks back-projected with the defaults (computed once)."""
    from vertapp.backproject import backproject

    if case.name not in _BACKPROJECTED:
        _BACKPROJECTED[case.name] = backproject(case.volume, case.result, case.footprint)
    return _BACKPROJECTED[case.name]


def phantom():  # type: ignore[no-untyped-def]
    if not _PHANTOM:
        from vertapp.synth import make_ct_phantom

        _PHANTOM.append(
            make_ct_phantom(seed=2, first="L1", last="L5", spacing=(1.5, 1.5, 3.0), pelvis=False)
        )
    return _PHANTOM[0]


def _image(array: np.ndarray, volume: Volume) -> sitk.Image:
    img = sitk.GetImageFromArray(array)
    img.SetSpacing(volume.spacing)
    img.SetOrigin(volume.origin)
    img.SetDirection([float(v) for v in volume.direction.ravel()])
    return img


def _oblique(ct: sitk.Image, lab: sitk.Image) -> tuple[sitk.Image, sitk.Image]:
    """Both images resampled onto a grid rotated 10 deg about z and 6 deg about x."""
    a, b = np.radians(10.0), np.radians(6.0)
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    direction = rz @ rx
    size = np.array(ct.GetSize())
    centre = np.array(ct.TransformContinuousIndexToPhysicalPoint((size - 1) / 2.0))
    spacing = np.array(ct.GetSpacing())
    origin = centre - direction @ (spacing * (size - 1) / 2.0)

    def resample(img: sitk.Image, interp: int, default: float) -> sitk.Image:
        return sitk.Resample(
            img,
            [int(s) for s in size],
            sitk.Transform(),
            interp,
            [float(v) for v in origin],
            [float(v) for v in spacing],
            [float(v) for v in direction.ravel()],
            default,
            img.GetPixelID(),
        )

    return resample(ct, sitk.sitkLinear, -1024.0), resample(lab, sitk.sitkNearestNeighbor, 0.0)


def make_case(name: str, folder: Path) -> Case:
    ph = phantom()
    ct = _image(ph.volume.array, ph.volume)
    lab = _image(ph.vertebra_labels.astype(np.uint8), ph.volume)
    if name == "oblique":
        ct, lab = _oblique(ct, lab)
    else:
        ct, lab = sitk.DICOMOrient(ct, name), sitk.DICOMOrient(lab, name)
    path = folder / f"ct_{name}.nii.gz"
    sitk.WriteImage(ct, str(path))
    volume = read_volume(path)
    labels = sitk.GetArrayFromImage(sitk.DICOMOrient(lab, "LPS"))
    assert labels.shape == volume.shape
    result = preprocess(volume)
    return Case(name, path, volume, labels, result, project_labels(labels, volume, result))


@pytest.fixture(scope="session", params=ORIENTATIONS)
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Case:
    if request.param not in _CASES:
        _CASES[request.param] = make_case(request.param, tmp_path_factory.mktemp("bp"))
    return _CASES[request.param]


@pytest.fixture(scope="session")
def pir_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    if "PIR" not in _CASES:
        _CASES["PIR"] = make_case("PIR", tmp_path_factory.mktemp("bp"))
    return _CASES["PIR"]


@pytest.fixture(scope="session")
def dicom_case_for_export(pir_case, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The PIR phantom written as a DICOM series, read back and back-projected."""
    from vertapp.backproject import backproject
    from vertapp.synth import write_dicom_series

    folder = tmp_path_factory.mktemp("series")
    write_dicom_series(pir_case.volume, folder, seed=2)
    volume = read_volume(folder)
    assert volume.shape == pir_case.volume.shape
    return folder, volume, backproject(volume, pir_case.result, pir_case.footprint)
