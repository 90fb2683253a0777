"""Fixtures for the import tests: one phantom with its own projected labels, written once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from vertapp.annotations.geometry import polygons_to_mask
from vertapp.annotations.model import ImageRecord
from vertapp.io import write_volume
from vertapp.preprocess import MipResult, preprocess
from vertapp.preprocess.label_projection import project_labels
from vertapp.synth import CTPhantom, make_ct_phantom

DATA = Path(__file__).parents[2] / "data"


@dataclass
class PhantomFiles:
    phantom: CTPhantom
    result: MipResult
    reference: np.ndarray  # the generator's own labels projected onto the MIP (ids 1..17)
    ct: Path  # the phantom CT as NIfTI (LPS)
    folder: Path


@pytest.fixture(scope="session")
def phantom_files(tmp_path_factory: pytest.TempPathFactory) -> PhantomFiles:
    ph = make_ct_phantom(seed=7, first="T10", last="L2")
    result = preprocess(ph.volume)
    folder = tmp_path_factory.mktemp("phantom")
    ct = folder / "spine_ct.nii.gz"
    write_volume(ph.volume, ct)
    reference = project_labels(ph.vertebra_labels, ph.volume, result)
    return PhantomFiles(ph, result, reference, ct, folder)


def verse_ids(ph: CTPhantom) -> np.ndarray:
    """The phantom's labels (1..17 = T1..L5) in VerSe numbering (8..24)."""
    labels = ph.vertebra_labels
    return np.where(labels > 0, labels + 7, 0).astype(np.uint8)


def label_image(ph: CTPhantom, values: np.ndarray | None = None) -> sitk.Image:
    """The phantom's labels in VerSe ids (or `values` on its grid) as an LPS SimpleITK image."""
    image = sitk.GetImageFromArray(verse_ids(ph) if values is None else values)
    image.SetSpacing(ph.volume.spacing)
    image.SetOrigin(ph.volume.origin)
    return image


def instance_masks(record: ImageRecord) -> dict[str, np.ndarray]:
    """label -> mask of the traced polygons of an imported image."""
    return {
        inst.label: polygons_to_mask(inst.polygons, record.height, record.width, inst.holes)
        for inst in record.instances
    }


def dice(a: np.ndarray, b: np.ndarray) -> float:
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else float(2 * np.logical_and(a, b).sum() / total)
