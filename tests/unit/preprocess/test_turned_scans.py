"""Patients who do not lie straight and centred: phantoms and the real TotalSegmentator CT
turned by SimpleITK (sideways, about the front-to-back axis; front to back, about the
left-right axis) and shifted 100 mm off-centre with one side cut off by the field of view.
The crop must hold every labelled vertebra (the labels, turned the same way, are the
truth). Before: the crop sat on a hip bone (sideways, shifted: 0 of 7 vertebrae of the
real CT), or the track collapsed onto the sacrum (front to back)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from tests.unit.preprocess.conftest import read_labels_lps
from vertapp.io import read_volume
from vertapp.io.volume import Volume
from vertapp.preprocess import MipResult, preprocess
from vertapp.preprocess.crop import Crop
from vertapp.preprocess.label_reference import labels_on_grid, slab_share
from vertapp.preprocess.resample import Grid

DATA = Path(__file__).resolve().parents[2] / "data" / "totalseg-example"


def _image(array: np.ndarray, v: Volume) -> sitk.Image:
    im = sitk.GetImageFromArray(array)
    im.SetSpacing(v.spacing)
    im.SetOrigin(v.origin)
    im.SetDirection(tuple(np.asarray(v.direction, float).ravel()))
    return im


def turned(v: Volume, labels: np.ndarray, deg: float, axis: int) -> tuple[Volume, np.ndarray]:
    """The patient turned by `deg` about LPS axis `axis` (0: left-right, 1: front-to-back)
    around the volume's centre, on the same voxel grid (corners leave the field of view)."""
    t = sitk.Euler3DTransform()
    t.SetCenter(
        _image(v.array, v).TransformContinuousIndexToPhysicalPoint(
            [(n - 1) / 2 for n in v.array.shape[::-1]]
        )
    )
    angles = [0.0, 0.0, 0.0]
    angles[axis] = float(np.deg2rad(deg))
    t.SetRotation(*angles)
    ct = sitk.Resample(_image(v.array, v), t, sitk.sitkLinear, -1024.0, sitk.sitkInt16)
    lab = sitk.Resample(
        _image(labels.astype(np.uint8), v), t, sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8
    )
    out = Volume(sitk.GetArrayFromImage(ct), v.spacing, v.origin, v.direction)
    return out, sitk.GetArrayFromImage(lab)


def shifted(v: Volume, labels: np.ndarray, mm: float) -> tuple[Volume, np.ndarray]:
    """The patient moved `mm` towards the left (index x) in the same field of view: what
    was on that side is cut off, air comes in on the other."""
    n = int(round(mm / v.spacing[0]))
    ct = np.full_like(v.array, -1024)
    ct[:, :, n:] = v.array[:, :, :-n]
    lab = np.zeros_like(labels)
    lab[:, :, n:] = labels[:, :, :-n]
    return Volume(ct, v.spacing, v.origin, v.direction), lab


def box_share(labels: np.ndarray, crop: Crop) -> dict[int, float]:
    """Share of each label's voxels (resampled grid) inside the crop's cuboid."""
    (k0, k1), (j0, j1), (i0, i1) = crop.k, crop.j, crop.i
    inside = labels[k0:k1, j0:j1, i0:i1]
    return {
        int(v): float((inside == v).sum() / (labels == v).sum()) for v in np.unique(labels) if v
    }


def check_every_vertebra(vol: Volume, labels: np.ndarray, res: MipResult, name: str) -> None:
    grid: Grid = res.grid
    lab = labels_on_grid(labels, vol, grid)
    box = box_share(lab, res.crop)
    slab = slab_share(lab, res.crop, grid)
    assert len(box) >= 2
    low_box = {v: round(s, 2) for v, s in box.items() if s < 0.9}
    low_slab = {v: round(s, 2) for v, s in slab.items() if s < 0.6}
    assert not low_box, f"{name}: vertebrae partly outside the crop box: {low_box}"
    assert not low_slab, f"{name}: vertebrae mostly outside the projected slab: {low_slab}"


@cache
def _phantom() -> tuple[Volume, np.ndarray]:
    from vertapp.synth import make_ct_phantom

    ph = make_ct_phantom(seed=0, first="T10", last="L5")  # with hip bones, 1.5 x 1.5 x 3 mm
    return ph.volume, np.asarray(ph.vertebra_labels)


PHANTOM_TURNS = {
    "sideways15": lambda v, lab: turned(v, lab, 15.0, 1),
    "front_to_back15": lambda v, lab: turned(v, lab, 15.0, 0),
    "shift100_cut": lambda v, lab: shifted(v, lab, 100.0),
}


@pytest.mark.parametrize("name", sorted(PHANTOM_TURNS))
def test_turned_phantom_crop_holds_every_vertebra(name: str) -> None:
    vol, lab = PHANTOM_TURNS[name](*_phantom())
    check_every_vertebra(vol, lab, preprocess(vol), name)


@cache
def _real() -> tuple[Volume, np.ndarray]:
    vol = read_volume(DATA / "ct.nii.gz")
    return vol, read_labels_lps(DATA / "seg_vertebrae_T11-L5_verse_ids.nii.gz")


REAL_TURNS = {
    "sideways10": lambda v, lab: turned(v, lab, 10.0, 1),
    "shift100_cut": lambda v, lab: shifted(v, lab, 100.0),
}


@pytest.mark.parametrize("name", sorted(REAL_TURNS))
def test_turned_real_ct_crop_holds_every_vertebra(name: str) -> None:
    """The real TotalSegmentator CT (T11-L5 and the pelvis): turned 10 degrees sideways,
    or shifted 100 mm with one side cut off, every vertebra stays in the crop."""
    vol, lab = REAL_TURNS[name](*_real())
    res = preprocess(vol)
    check_every_vertebra(vol, lab, res, name)
    assert res.track_detected.sum() >= 30, "the canal track follows the spine"
