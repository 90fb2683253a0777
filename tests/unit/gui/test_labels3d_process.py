"""The overlay's child process: right labels, cancelled requests never answer later ones,
a killed child is replaced (no Qt needed: the window's worker thread drives these jobs)."""

from __future__ import annotations

import numpy as np

from tests.unit.gui.labels3d_case import footprint
from vertapp.backproject import backproject
from vertapp.gui.window.labels3d_process import HEARTBEAT
from vertapp.jobs import run_job
from vertapp.labels import VERTEBRA_ID


def test_labels_equal_an_in_process_run_and_preview_is_local(process, case) -> None:  # type: ignore[no-untyped-def]
    volume, mip, truth = case
    fp = footprint(truth, ["T12", "L1", "L2"])
    bp = run_job(process.labels_job(1, volume, mip, fp))
    assert bp.labels.shape == volume.shape
    np.testing.assert_array_equal(bp.labels, backproject(volume, mip, fp).labels)
    assert set(bp.counts) == {"T12", "L1", "L2"}
    # the preview shell answers in this process, from the rays and bone sent back once
    k = int(np.argmax((bp.labels == VERTEBRA_ID["L1"]).sum(axis=(1, 2))))
    assert process.preview is not None
    assert (process.preview.slice_preview(fp, k) == VERTEBRA_ID["L1"]).any()


def test_a_cancelled_request_never_answers_a_later_one(process, case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window import labels3d_process

    monkeypatch.setattr(labels3d_process, "POLL_S", 0.001)  # wait-and-yield at once
    volume, mip, truth = case
    run_job(process.labels_job(1, volume, mip, footprint(truth, ["L1"])))
    old = process.labels_job(2, volume, mip, footprint(truth, ["T12"]))  # another CT
    assert next(old).stage == "prepare"
    assert next(old) is HEARTBEAT  # sent; the child is preparing (seconds), we wait
    old.close()  # the window's worker was cancelled (the user moved on)
    bp = run_job(process.labels_job(2, volume, mip, footprint(truth, ["L2"])))
    assert set(bp.counts) == {"L2"}  # prepared again, the T12 request never answered
    assert not process.child._mail  # nothing kept for a waiter that is gone


def test_a_killed_child_is_replaced(process, case) -> None:  # type: ignore[no-untyped-def]
    volume, mip, truth = case
    fp = footprint(truth, ["L1"])
    run_job(process.labels_job(1, volume, mip, fp))
    process.child._proc.kill()
    process.child._proc.join(5)
    bp = run_job(process.labels_job(1, volume, mip, fp))  # a new child prepares the CT again
    assert set(bp.counts) == {"L1"}


def test_footprint_counts_only_the_kept_vertebra_masks() -> None:
    """Parts are not vertebrae; a `keep` rule (e.g. predictions hidden below the score
    threshold) leaves instances out of the 3D labels as the MIP leaves them out of view."""
    from vertapp.annotations.model import ImageRecord, Instance
    from vertapp.gui.window.labels3d_jobs import footprint_of

    def square(x0: float) -> list[np.ndarray]:
        return [np.array([[x0, 10], [x0 + 10, 10], [x0 + 10, 20], [x0, 20]], dtype=float)]

    rec = ImageRecord(id=1, file_name="m.png", width=60, height=30)
    rec.instances = [
        Instance(id=1, label="L1", polygons=square(5)),
        Instance(id=2, label="L2", polygons=square(25), source="predicted", score=0.3),
        Instance(id=3, label="body", polygons=square(45)),
    ]
    assert set(np.unique(footprint_of(rec)).tolist()) == {0, VERTEBRA_ID["L1"], VERTEBRA_ID["L2"]}
    shown = footprint_of(rec, keep=lambda inst: inst.score is None or inst.score >= 0.5)
    assert set(np.unique(shown).tolist()) == {0, VERTEBRA_ID["L1"]}
