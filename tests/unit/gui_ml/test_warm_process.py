"""Predictions run in one child kept between jobs (vertapp.gui.model.warm_process): the
imports are paid once, and errors, cancels, a killed child or an idle one that left do
not spoil the next job; a child pre-started before the first job serves it."""

from __future__ import annotations

import functools
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.unit.gui_ml.test_ml_process import counting_job, drain, failing_job
from vertapp.errors import VertAppError
from vertapp.gui.model.child_process import HEARTBEAT, ChildProcessError
from vertapp.gui.model.warm_process import WarmProcess
from vertapp.jobs import Progress


def pid_job(tag: str):
    """Module-level so the child can import it: which process ran it, and a tag."""
    yield Progress("pid")
    return os.getpid(), tag


@pytest.fixture
def warm():
    process = WarmProcess()
    yield process
    process.stop()


def test_jobs_share_one_child_and_get_their_own_results(warm):
    _, (first, a) = drain(warm.run(pid_job, "a"))
    _, (second, b) = drain(warm.run(pid_job, "b"))
    assert first == second == warm.pid != os.getpid()
    assert (a, b) == ("a", "b")
    events, result = drain(warm.run(counting_job, 3))
    assert [e.data["i"] for e in events if e.stage != HEARTBEAT.stage] == [0, 1, 2]
    assert result == {"total": 3} and warm.pid == first


def test_an_error_is_said_and_the_child_serves_the_next_job(warm):
    _, (pid, _) = drain(warm.run(pid_job, "x"))
    with pytest.raises(VertAppError, match="weights.pth: not a state dict"):
        drain(warm.run(failing_job, "user"))
    with pytest.raises(VertAppError, match="Unexpected error: ZeroDivisionError: boom"):
        drain(warm.run(failing_job, "bug"))
    assert drain(warm.run(pid_job, "y"))[1] == (pid, "y")


def test_a_cancel_runs_the_jobs_finally_and_leaves_nothing_for_the_next(warm, tmp_path: Path):
    marker = tmp_path / "closed.txt"
    job = warm.run(counting_job, 10_000, str(marker), 0.01, heartbeat_s=0.05)
    while next(job).stage != "count":  # the child runs the job
        pass
    pid = warm.pid
    job.close()  # what JobWorker.cancel() leads to
    assert marker.read_text() == "closed"
    events, result = drain(warm.run(counting_job, 2))  # no stale event of the cancelled job
    assert [e.data["i"] for e in events if e.stage == "count"] == [0, 1]
    assert result == {"total": 2} and warm.pid == pid


def test_a_killed_child_is_said_and_the_next_job_gets_a_new_one(warm):
    _, (pid, _) = drain(warm.run(pid_job, "x"))
    job = warm.run(counting_job, 10_000, None, 0.01, heartbeat_s=0.05)
    while next(job).stage != "count":
        pass
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(ChildProcessError, match="stopped unexpectedly"):
        drain(job)
    new, tag = drain(warm.run(pid_job, "again"))[1]
    assert tag == "again" and new != pid


def test_an_idle_child_leaves_and_the_next_job_is_served_anyway():
    warm = WarmProcess(idle_s=0.3)
    try:
        _, (pid, _) = drain(warm.run(pid_job, "x"))
        time.sleep(1.5)  # it said bye and left
        new, tag = drain(warm.run(pid_job, "y"))[1]
        assert tag == "y" and new != pid
    finally:
        warm.stop()


def test_a_second_job_while_one_runs_gets_a_child_of_its_own(warm):
    job = warm.run(counting_job, 10_000, None, 0.01, heartbeat_s=0.05)
    while next(job).stage != "count":
        pass
    other, _ = drain(warm.run(pid_job, "meanwhile"))[1]
    assert other != warm.pid
    job.close()


def slow_warm_up(marker: str):
    """Module-level: a warm-up that takes a while and leaves a mark when done."""
    time.sleep(0.5)
    Path(marker).write_text("warm")
    yield Progress("warm-up")


def test_a_prestarted_child_serves_the_first_job_and_no_second_starts(warm, tmp_path: Path):
    marker = tmp_path / "warm.txt"
    warm_up = functools.partial(slow_warm_up, str(marker))
    assert warm.prestart(warm_up)
    pid = warm.pid
    assert pid is not None and not marker.exists()  # started, warming up in the background
    assert not warm.prestart(warm_up)  # a child is there: never a second
    events, (first, tag) = drain(warm.run(pid_job, "first"))
    # the job waited in the same child for the warm-up, and got none of its events
    assert first == pid == warm.pid and tag == "first" and marker.read_text() == "warm"
    assert [e.stage for e in events if e.stage != HEARTBEAT.stage] == ["pid"]


def test_no_prestart_while_a_job_runs(warm, tmp_path: Path):
    job = warm.run(counting_job, 10_000, None, 0.01, heartbeat_s=0.05)
    while next(job).stage != "count":
        pass
    pid = warm.pid
    assert not warm.prestart(functools.partial(slow_warm_up, str(tmp_path / "w.txt")))
    assert warm.pid == pid
    job.close()


def test_the_warm_up_imports_what_predictions_need():
    from vertapp.gui.model.jobs import warm_up_job
    from vertapp.jobs import run_job

    run_job(warm_up_job())
    assert {"torch", "torchvision", "vertapp.xray.predict_images"} <= set(sys.modules)
