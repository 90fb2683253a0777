"""The overlay's child under a fast review (audit: the overlay froze, the close waited
seconds): CTs switched faster than they are prepared leave the child answering the
newest, with the labels of an in-process run, and a close while it prepares returns
within about a second."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from tests.unit.gui.labels3d_case import footprint
from vertapp.backproject import backproject
from vertapp.errors import CancelledError
from vertapp.gui.window.labels3d_process import STOP_S
from vertapp.jobs import run_job


def test_ct_after_ct_cancelled_then_the_newest_is_right(process, case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Shift+A, Ctrl+Right, again and again: each CT's run is cancelled once its
    "prepare" is on its way (while the child sends the last labels back); the newest
    is answered, with exactly the labels an in-process run gives."""
    from vertapp.gui.window import labels3d_process

    monkeypatch.setattr(labels3d_process, "POLL_S", 0.001)
    volume, mip, truth = case
    fp = footprint(truth, ["T12", "L1", "L2"])
    run_job(process.labels_job(1, volume, mip, footprint(truth, ["L1"])))
    t0 = time.monotonic()
    for serial in range(2, 10):
        labelled = process.labels_job(serial - 1, volume, mip, footprint(truth, ["T12"]))
        next(labelled)  # the labels asked of the prepared CT (a large answer)...
        job = process.labels_job(serial, volume, mip, fp)  # ...and the next CT sent
        next(job)
        next(job)
        labelled.close()
        job.close()
    assert time.monotonic() - t0 < 5.0  # no cancel waited on the child
    bp = run_job(process.labels_job(10, volume, mip, fp))
    np.testing.assert_array_equal(bp.labels, backproject(volume, mip, fp).labels)
    assert not process.child._mail and not process.child._pending


def test_a_close_while_preparing_returns_within_about_a_second(process, case) -> None:  # type: ignore[no-untyped-def]
    volume, mip, truth = case
    run_job(process.labels_job(1, volume, mip, footprint(truth, ["L1"])))  # the child is up
    out: dict[str, Any] = {}

    def worker() -> None:  # the overlay's worker thread, preparing another CT
        try:
            out["value"] = run_job(process.labels_job(2, volume, mip, footprint(truth, ["L2"])))
        except CancelledError as err:
            out["error"] = err

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    process.close()
    took = time.monotonic() - t0
    assert took < STOP_S + 0.7, took
    thread.join(2)
    assert not thread.is_alive()
    assert "error" in out or "value" in out  # a cancel (or it was done already)
    assert process.child.pid is None
    with pytest.raises(CancelledError):  # closed: no new child for a late worker
        run_job(process.labels_job(3, volume, mip, footprint(truth, ["L2"])))
