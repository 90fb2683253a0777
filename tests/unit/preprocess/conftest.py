"""Fixtures for the preprocessing tests: phantom cases and the real CT, each run once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from vertapp.io.volume import Volume
from vertapp.labels import verse_to_vertebra_id
from vertapp.preprocess import MipResult, preprocess

# name -> make_ct_phantom arguments: full spine with pelvis, thoracic-only without pelvis,
# lumbar with pelvis and strong scoliosis; several seeds; anisotropic spacings
PHANTOM_CASES: dict[str, dict] = {
    "full_pelvis_s0": dict(seed=0, first="T1", last="L5"),
    "full_pelvis_s3": dict(seed=3, first="T1", last="L5", spacing=(0.9, 0.9, 2.5)),
    "thoracic_s1": dict(seed=1, first="T1", last="T12"),
    "thoracic_s5": dict(seed=5, first="T4", last="T11", spacing=(1.2, 1.2, 2.0)),
    "lumbar_scoliosis_s2": dict(seed=2, first="T10", last="L5", scoliosis_mm=35.0),
    "lumbar_scoliosis_s4": dict(seed=4, first="T11", last="L5", scoliosis_mm=-45.0),
    "lumbar_scoliosis_s12": dict(
        seed=12, first="L2", last="L5", scoliosis_mm=40.0, spacing=(0.6, 0.6, 3.0)
    ),
}


@dataclass
class PhantomCase:
    name: str
    phantom: object  # vertapp.synth.CTPhantom
    result: MipResult


_CACHE: dict[str, PhantomCase] = {}


def phantom_case(name: str) -> PhantomCase:
    if name not in _CACHE:
        from vertapp.synth import make_ct_phantom

        ph = make_ct_phantom(**PHANTOM_CASES[name])
        _CACHE[name] = PhantomCase(name, ph, preprocess(ph.volume))
    return _CACHE[name]


@pytest.fixture(scope="session", params=sorted(PHANTOM_CASES))
def case(request: pytest.FixtureRequest) -> PhantomCase:
    return phantom_case(request.param)


def hip_mask(ph) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Voxels of both iliac wings (the hip bones), on the phantom's grid."""
    return np.asarray(ph.hip_mask, bool)


def read_labels_lps(path: Path) -> np.ndarray:
    """The VerSe label file reoriented to LPS, mapped to our ids (1..17 = T1..L5)."""
    arr = sitk.GetArrayFromImage(sitk.DICOMOrient(sitk.ReadImage(str(path)), "LPS"))
    out = np.zeros(arr.shape, np.uint8)
    for vid in np.unique(arr[arr > 0]):
        ours = verse_to_vertebra_id(int(vid))
        if ours is not None:
            out[arr == vid] = ours
    return out


@dataclass
class RealCase:
    volume: Volume
    labels: np.ndarray
    result: MipResult


_REAL: list[RealCase] = []


@pytest.fixture(scope="session")
def real_case(real_ct_path: Path, real_seg_path: Path) -> RealCase:
    if not _REAL:
        from vertapp.io import read_volume

        vol = read_volume(real_ct_path)
        labels = read_labels_lps(real_seg_path)
        assert labels.shape == vol.shape
        _REAL.append(RealCase(vol, labels, preprocess(vol)))
    return _REAL[0]


@pytest.fixture(scope="session")
def hips_of():  # type: ignore[no-untyped-def]
    return hip_mask
