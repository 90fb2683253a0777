"""T13 phantoms: a thirteenth thoracic vertebra between T12 and L1, unlabelled, and how an
import of its VerSe labels (T13 = 28) treats it (docs/import.md: left unlabelled, every
other level keeps its name)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from vertapp.annotations.geometry import polygons_to_mask
from vertapp.annotations.store import new_project
from vertapp.ctimport import CaseSpec, import_case_job
from vertapp.io import write_volume
from vertapp.jobs import run_job
from vertapp.labels import VERTEBRA_ID
from vertapp.synth import make_ct_phantom

KW = dict(seed=4, first="T11", last="L2", spacing=(1.2, 1.2, 2.0), noise_hu=0.0)


@pytest.fixture(scope="module")
def pair():  # type: ignore[no-untyped-def]
    return make_ct_phantom(**KW), make_ct_phantom(**KW, transitional="T13")


def _rows(ph, label: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """z (mm) of every slice holding the label."""
    ks = np.flatnonzero((ph.vertebra_labels == label).any(axis=(1, 2)))
    return ph.volume.origin[2] + ph.volume.spacing[2] * ks


def test_t13_is_unlabelled_bone_between_t12_and_l1(pair) -> None:  # type: ignore[no-untyped-def]
    plain, t13 = pair
    assert t13.transitional == "T13" and t13.levels == plain.levels
    assert set(np.unique(t13.vertebra_labels)) == set(np.unique(plain.vertebra_labels))
    mask = t13.transitional_mask
    assert mask is not None
    t12_voxels = (t13.vertebra_labels == VERTEBRA_ID["T12"]).sum()
    assert 0.8 * t12_voxels < mask.sum() < 1.5 * t12_voxels  # a whole vertebra, T12-L1 sized
    assert not (t13.vertebra_labels[mask] > 0).any()
    assert (t13.volume.array[mask] > 100).mean() > 0.9  # it is bone
    # T11 and T12 are the same voxels with or without T13 (grids share voxel positions)
    off = np.rint(
        (np.subtract(plain.volume.origin, t13.volume.origin)) / t13.volume.spacing
    ).astype(int)[::-1]  # (z, y, x)
    assert (off >= 0).all()
    z, y, x = (slice(o, o + n) for o, n in zip(off, plain.volume.shape, strict=True))
    for name in ("T11", "T12"):
        v = VERTEBRA_ID[name]
        assert (t13.vertebra_labels == v).sum() == (plain.vertebra_labels == v).sum()
        assert np.array_equal(plain.vertebra_labels == v, t13.vertebra_labels[z, y, x] == v)
    # T13 lies between T12 and L1, and L1 moved down by about one vertebra and disc
    z13 = t13.volume.origin[2] + t13.volume.spacing[2] * np.flatnonzero(mask.any(axis=(1, 2)))
    t12, l1 = _rows(t13, VERTEBRA_ID["T12"]), _rows(t13, VERTEBRA_ID["L1"])
    assert l1.max() < np.median(z13) < t12.min()
    drop = np.median(_rows(plain, VERTEBRA_ID["L1"])) - np.median(l1)
    assert 25.0 < drop < 40.0
    # with its own short (13th) rib pair: bone beside T13's body outside every vertebra
    c = t13.anatomy.vertebrae[11].center if t13.anatomy else None
    assert c is not None
    k = int(round((np.median(z13) - t13.volume.origin[2]) / t13.volume.spacing[2]))
    lateral = (t13.volume.array[k] > 300) & ~mask[k] & (t13.vertebra_labels[k] == 0)
    x = t13.volume.origin[0] + t13.volume.spacing[0] * np.nonzero(lateral)[1]
    assert (np.abs(x - c[0]) > 35).sum() > 20


def test_t13_needs_t12_and_l1_drawn() -> None:
    with pytest.raises(ValueError, match="T13"):
        make_ct_phantom(seed=2, first="T8", last="T12", transitional="T13")
    with pytest.raises(ValueError, match="T13"):
        make_ct_phantom(seed=2, first="L1", last="L3", transitional="T13")


def test_import_leaves_t13_unlabelled_and_keeps_the_other_names(
    pair,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """VerSe ids with T13 = 28: T11, T12, L1, L2 imported under their own names, T13 left
    out with a warning, and on the MIP a vertebra-high gap between T12 and L1."""
    _, ph = pair
    ids = np.where(ph.vertebra_labels > 0, ph.vertebra_labels + 7, 0).astype(np.uint8)
    ids[ph.transitional_mask] = 28
    ct, labels = tmp_path / "t13_ct.nii.gz", tmp_path / "t13_seg.nii.gz"
    write_volume(ph.volume, ct)
    image = sitk.GetImageFromArray(ids)
    image.SetSpacing(ph.volume.spacing)
    image.SetOrigin(ph.volume.origin)
    sitk.WriteImage(image, str(labels))
    project = new_project(tmp_path / "project")
    report = run_job(import_case_job(project, CaseSpec(ct, labels)))
    assert report.levels == ["T11", "T12", "L1", "L2"]
    assert report.left_out == {"transitional": ["T13"]}
    assert any("T13 is a transitional vertebra" in w for w in report.warnings)
    record = project.images[report.image_id]
    assert record.extra["vertapp"]["import"]["transitional"] == ["T13"]
    rows = {
        inst.label: np.nonzero(
            polygons_to_mask(inst.polygons, record.height, record.width, inst.holes)
        )[0].mean()
        for inst in record.instances
    }
    assert set(rows) == {"T11", "T12", "L1", "L2"}
    # T12 and L1 sit where the phantom put them: two vertebra pitches apart, T13 between
    # (MIP rows are 1 mm, head up)
    t13_dz = ph.body_centres["T12"][2] - ph.body_centres["L1"][2]
    assert t13_dz > 50.0
    assert abs((rows["L1"] - rows["T12"]) - t13_dz) < 6.0
