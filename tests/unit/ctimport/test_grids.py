"""A label map on another grid or orientation lands on the right vertebrae of the MIP.

The phantom's labels are written as PIR (a pure axis permutation, as VerSe stores its
files), on a cropped 1 mm RAS grid, and on an oblique 0.8 mm grid; each is imported
against the phantom CT. The traced polygons must match the labels the phantom
generator projects itself (Dice >= 0.98 per vertebra), and labels that do not overlap
the CT are refused in words.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from tests.unit.ctimport.conftest import (
    PhantomFiles,
    dice,
    instance_masks,
    label_image,
    verse_ids,
)
from vertapp.annotations.store import new_project
from vertapp.ctimport import CaseSpec, add_case, import_case_job, prepare_case_job
from vertapp.ctimport.alignment import labels_on_ct_grid
from vertapp.errors import InputError
from vertapp.jobs import run_job
from vertapp.labels import ID_VERTEBRA


def _labelled_box(image: sitk.Image, margin_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """LPS corners (lo, hi) of the labelled voxels, grown by a margin."""
    idx = np.argwhere(sitk.GetArrayViewFromImage(image) > 0)[:, ::-1]  # (x, y, z)
    pts = np.array(
        [image.TransformIndexToPhysicalPoint([int(v) for v in p]) for p in (idx.min(0), idx.max(0))]
    )
    return pts.min(0) - margin_mm, pts.max(0) + margin_mm


def _resampled(image: sitk.Image, rotation: np.ndarray, spacing: float) -> sitk.Image:
    """Nearest resampling onto a grid with axes `rotation` (columns, LPS) covering the labels."""
    lo, hi = _labelled_box(image, margin_mm=6.0)
    corners = np.array(
        [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )
    local = corners @ rotation  # coordinates along the new axes
    origin = rotation @ local.min(0)
    size = np.ceil((local.max(0) - local.min(0)) / spacing).astype(int) + 1
    return sitk.Resample(
        image,
        [int(s) for s in size],
        sitk.Transform(),
        sitk.sitkNearestNeighbor,
        [float(v) for v in origin],
        [spacing] * 3,
        [float(v) for v in rotation.reshape(9)],
        0,
        sitk.sitkUInt8,
    )


def _rotation(about_z_deg: float, about_x_deg: float) -> np.ndarray:
    a, b = np.radians(about_z_deg), np.radians(about_x_deg)
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    return rz @ rx


def _write(image: sitk.Image, path: Path) -> Path:
    sitk.WriteImage(image, str(path))
    return path


GRIDS = {
    "PIR": lambda img: sitk.DICOMOrient(img, "PIR"),
    "RAS_1mm_cropped": lambda img: _resampled(img, np.diag([-1.0, -1.0, 1.0]), 1.0),
    "oblique_0.8mm": lambda img: _resampled(img, _rotation(20.0, 10.0), 0.8),
}


@pytest.mark.parametrize("grid", sorted(GRIDS))
def test_labels_on_another_grid_land_on_the_right_vertebrae(
    phantom_files: PhantomFiles, tmp_path: Path, grid: str
) -> None:
    written = GRIDS[grid](label_image(phantom_files.phantom))
    assert not np.allclose(written.GetDirection(), np.eye(3).reshape(9))  # not LPS
    labels = _write(written, tmp_path / f"labels_{grid}.nii.gz")
    project = new_project(tmp_path / "project")
    report = run_job(import_case_job(project, CaseSpec(phantom_files.ct, labels)))
    record = project.images[report.image_id]
    assert (record.height, record.width) == phantom_files.reference.shape
    masks = instance_masks(record)
    expected = {ID_VERTEBRA[int(i)] for i in np.unique(phantom_files.reference) if i}
    assert set(masks) == expected == set(phantom_files.phantom.levels)
    scores = {
        level: dice(mask, phantom_files.reference == id_)
        for id_, level in ID_VERTEBRA.items()
        if (mask := masks.get(level)) is not None
    }
    assert min(scores.values()) >= 0.98, scores


def test_a_shifted_label_map_that_misses_the_ct_is_refused(phantom_files: PhantomFiles) -> None:
    image = label_image(phantom_files.phantom)
    image.SetOrigin(np.add(image.GetOrigin(), (0.0, 0.0, 800.0)).tolist())
    with pytest.raises(InputError, match="do not overlap the CT at all"):
        labels_on_ct_grid(image, phantom_files.phantom.volume, "labels.nii.gz")


def test_labels_half_outside_the_ct_are_refused(phantom_files: PhantomFiles) -> None:
    image = label_image(phantom_files.phantom)
    lo, hi = _labelled_box(image, 0.0)
    image.SetOrigin(np.add(image.GetOrigin(), (0.0, 0.0, 0.5 * (hi[2] - lo[2]))).tolist())
    with pytest.raises(InputError, match=r"only \d+% of the labelled volume lies inside the CT"):
        labels_on_ct_grid(image, phantom_files.phantom.volume, "labels.nii.gz")


def test_labels_on_the_ct_grid_are_taken_unchanged(phantom_files: PhantomFiles) -> None:
    ph = phantom_files.phantom
    out = labels_on_ct_grid(label_image(ph), ph.volume, "labels.nii.gz")
    assert np.array_equal(out, verse_ids(ph))


def test_a_transitional_vertebra_is_imported_unlabelled_with_a_warning(
    phantom_files: PhantomFiles, tmp_path: Path
) -> None:
    """The phantom's lowest vertebra relabelled L6 (VerSe 25): the rest keep their levels."""
    ph = phantom_files.phantom
    ids = verse_ids(ph)
    lowest = ids[ids > 0].max()  # L2 = VerSe 21
    ids[ids == lowest] = 25
    labels = _write(label_image(ph, ids), tmp_path / "l6.nii.gz")
    project = new_project(tmp_path / "project")
    report = run_job(import_case_job(project, CaseSpec(phantom_files.ct, labels)))
    assert report.levels == list(ph.levels[:-1])
    assert report.left_out == {"transitional": ["L6"]}
    assert any("L6 is a transitional vertebra" in w for w in report.warnings)
    record = project.images[report.image_id]
    assert record.extra["vertapp"]["import"]["transitional"] == ["L6"]
    # the CT file's own orientation (an LPS NIfTI here), for exports on its grid
    assert record.extra["vertapp"]["import"]["ct_stored_orientation"] == "LPS"
    assert record.extra["vertapp"]["import"]["ct_dicom"] is False


def test_preparing_touches_no_project_and_cancelling_adds_nothing(
    phantom_files: PhantomFiles, tmp_path: Path
) -> None:
    """The window prepares on a worker thread and adds on its own; a closed job adds nothing."""
    labels = _write(label_image(phantom_files.phantom), tmp_path / "labels.nii.gz")
    project = new_project(tmp_path / "project")
    spec = CaseSpec(phantom_files.ct, labels)
    job = import_case_job(project, spec)
    for _ in range(3):
        next(job)
    job.close()  # cancel while preprocessing
    assert project.images == {} and project.revision == 0
    assert not any((tmp_path / "project" / "images").iterdir())
    prepared = run_job(prepare_case_job(spec, tmp_path / "project", "spine"))
    assert project.images == {} and project.revision == 0
    report = add_case(project, prepared)
    assert report.levels == list(phantom_files.phantom.levels)
    assert project.image_path(report.image_id).is_file()
