"""Jobs run in a child process: events, result, errors in words, cancel runs `finally`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from vertapp.errors import ModelError, VertAppError
from vertapp.gui.model.child_process import HEARTBEAT, run_in_process
from vertapp.jobs import Progress


def counting_job(n: int, marker: str | None = None, delay: float = 0.0):
    """Module-level so the child can import it."""
    try:
        for i in range(n):
            if delay:
                time.sleep(delay)
            yield Progress("count", (i + 1) / n, data={"i": i})
        return {"total": n}
    finally:
        if marker:
            Path(marker).write_text("closed")


def failing_job(kind: str):
    yield Progress("start")
    if kind == "user":
        raise ModelError("weights.pth: not a state dict")
    raise ZeroDivisionError("boom")


def drain(job):
    events = []
    while True:
        try:
            events.append(next(job))
        except StopIteration as stop:
            return events, stop.value


def test_events_and_result_come_back() -> None:
    events, result = drain(run_in_process(counting_job, 3))
    real = [e for e in events if e.stage != HEARTBEAT.stage]
    assert [e.data["i"] for e in real] == [0, 1, 2]
    assert result == {"total": 3}


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("user", "weights.pth: not a state dict"),
        ("bug", "Unexpected error: ZeroDivisionError: boom"),
    ],
)
def test_errors_become_one_line(kind: str, message: str) -> None:
    with pytest.raises(VertAppError) as info:
        drain(run_in_process(failing_job, kind))
    assert str(info.value) == message


def test_close_cancels_the_child_job(tmp_path: Path) -> None:
    marker = tmp_path / "closed.txt"
    job = run_in_process(counting_job, 10_000, str(marker), 0.01, heartbeat_s=0.05)
    while next(job).stage != "count":  # wait until the child is running the job
        pass
    t0 = time.perf_counter()
    job.close()  # what JobWorker.cancel() leads to
    assert time.perf_counter() - t0 < 10
    assert marker.read_text() == "closed"  # the job's finally ran in the child
