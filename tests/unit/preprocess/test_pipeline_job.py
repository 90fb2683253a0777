"""preprocess_job: progress, cancellation, odd inputs, NIfTI and DICOM input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vertapp.errors import VertAppError
from vertapp.io.volume import Volume
from vertapp.jobs import Progress, run_job
from vertapp.preprocess import PreprocessParams, preprocess, preprocess_job


@pytest.fixture(scope="module")
def small_phantom():  # type: ignore[no-untyped-def]
    from vertapp.synth import make_ct_phantom

    return make_ct_phantom(seed=7, first="T12", last="L3", spacing=(1.0, 1.0, 2.0))


def test_progress_per_stage_and_slab(small_phantom) -> None:  # type: ignore[no-untyped-def]
    events: list[Progress] = []
    params = PreprocessParams(slab_slices=16)
    res = run_job(preprocess_job(small_phantom.volume, params), events.append)
    stages = [e.stage for e in events]
    assert stages[0] == "resample" and stages[-1] == "done"
    assert stages.index("cluster") < stages.index("mip")
    nz = res.grid.shape[0]
    assert stages.count("canal") == -(-nz // 16)
    fr = [e.fraction for e in events]
    assert all(0 <= f <= 1 for f in fr) and fr == sorted(fr)


def test_cancel_between_yields(small_phantom) -> None:  # type: ignore[no-untyped-def]
    job = preprocess_job(small_phantom.volume, PreprocessParams(slab_slices=8))
    seen = [next(job) for _ in range(3)]
    assert seen[-1].stage == "canal"
    job.close()  # what the GUI's cancel does
    with pytest.raises(StopIteration):
        next(job)


def test_volume_without_spine_still_gives_a_mip() -> None:
    arr = np.full((30, 64, 64), -1000, np.int16)
    arr[:, 10:54, 10:54] = 40  # soft tissue only
    res = preprocess(Volume(arr, spacing=(2.0, 2.0, 2.0)))
    assert res.spine_cluster == -1 and res.warnings
    assert res.mip.shape[0] == res.grid.shape[0] and not res.mip.any()


def test_bad_parameters_are_user_errors() -> None:
    with pytest.raises(VertAppError):
        PreprocessParams(rmin_mm=10, rmax_mm=5)
    with pytest.raises(VertAppError):
        PreprocessParams(hu_min=500, hu_max=100)


def test_nifti_and_dicom_input_agree(small_phantom, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from vertapp.io import read_volume
    from vertapp.synth import write_dicom_series, write_nifti

    direct = preprocess(small_phantom.volume)
    nii = read_volume(write_nifti(small_phantom.volume, tmp_path / "ph.nii.gz"))
    write_dicom_series(small_phantom.volume, tmp_path / "dcm")
    dcm = read_volume(tmp_path / "dcm")
    for vol in (nii, dcm):
        res = preprocess(vol)
        assert res.spine_cluster >= 0
        assert res.mip.shape == direct.mip.shape
        both = res.track_detected & direct.track_detected
        assert both.sum() >= 0.9 * direct.track_detected.sum()
        assert np.abs(res.track[both, 1:] - direct.track[both, 1:]).max() < 0.5
