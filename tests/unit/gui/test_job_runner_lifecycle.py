"""The status-bar job runner's workers: released when done, never waited on while they run
(a replaced job ends on its own, unheard), all ended on close."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject

from vertapp.gui.widgets.progress_box import ProgressBox
from vertapp.gui.widgets.worker import JobWorker
from vertapp.gui.window.job_runner import JobRunner
from vertapp.jobs import Job, Progress


class Host:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def show_error(self, message: str) -> None:
        self.errors.append(message)


class Big:
    """A CT-sized result, weak-referenceable."""

    def __init__(self) -> None:
        self.data = bytearray(4 << 20)


def _quick() -> Job[Big]:
    yield Progress("read", 0.5, "reading")
    return Big()


def _slow(gate: threading.Event, name: str = "", seconds: float = 10.0) -> Job[str]:
    """A read that does not yield for a while (a .nii.gz being decompressed)."""
    yield Progress("read", 0.0, f"reading {name}")
    gate.wait(seconds)
    yield Progress("read", 1.0, f"done {name}")
    return name


@pytest.fixture
def runner(qtbot) -> Iterator[JobRunner]:  # type: ignore[no-untyped-def]
    progress = ProgressBox()
    qtbot.addWidget(progress)
    owner = QObject()
    jobs = JobRunner(progress, Host(), owner)  # type: ignore[arg-type]
    yield jobs
    jobs.stop(10_000)
    qtbot.waitUntil(lambda: jobs.running() == 0, timeout=10_000)


def _live_workers() -> list[JobWorker]:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    gc.collect()
    return [o for o in gc.get_objects() if type(o) is JobWorker]


def test_finished_workers_and_their_results_are_released(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    import weakref

    results: list[Any] = []
    refs = []
    before = len(_live_workers())
    for _ in range(12):
        runner.run(_quick, "Reading", results.append)
        qtbot.waitUntil(lambda: runner.running() == 0 and not runner.busy(), timeout=10_000)
        refs.append(weakref.ref(results.pop()))
    qtbot.wait(50)  # the last `_release` retries, if any
    assert len(_live_workers()) <= before  # none of the 12 is kept
    assert all(r() is None for r in refs)  # nor the volumes they read


def test_a_replaced_job_is_not_waited_for_and_ends_unheard(qtbot, runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Browsing fast: the new read starts at once; the old one's end frees nothing."""
    waits: list[bool] = []
    real_wait = JobWorker.wait

    def spy(self: JobWorker, *args: Any) -> bool:
        waits.append(self.isRunning())
        return bool(real_wait(self, *args))

    monkeypatch.setattr(JobWorker, "wait", spy)
    gate_a, gate_b = threading.Event(), threading.Event()
    done: list[str] = []
    a = runner.run(lambda: _slow(gate_a, "a"), "Reading", done.append)
    qtbot.waitUntil(lambda: runner.progress.label.text() == "reading a", timeout=5_000)
    t0 = time.perf_counter()
    b = runner.run(lambda: _slow(gate_b, "b"), "Reading", done.append, replace=True)
    assert time.perf_counter() - t0 < 0.5 and b is not None and b is not a
    assert waits == [] and a is not None and a.isRunning()  # never waited on
    assert runner.worker is b and runner.busy() and runner.running() == 2
    gate_a.set()  # the replaced read ends first: its result and its end change nothing
    qtbot.waitUntil(lambda: runner.running() == 1, timeout=10_000)
    qtbot.wait(50)
    assert done == [] and runner.busy() and not runner.progress.isHidden()
    assert runner.progress.label.text() == "reading b"  # not the replaced one's "done a"
    gate_b.set()
    qtbot.waitUntil(lambda: not runner.busy() and runner.running() == 0, timeout=10_000)
    assert done == ["b"] and waits == [] and runner.progress.isHidden()


def test_without_replace_a_running_job_is_refused(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    gate = threading.Event()
    assert runner.run(lambda: _slow(gate), "Reading", lambda r: None) is not None
    assert runner.run(_quick, "Other", lambda r: None) is None
    assert runner.host.errors
    gate.set()
    qtbot.waitUntil(lambda: not runner.busy(), timeout=10_000)


def test_stop_cancels_and_waits_for_every_running_worker(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    """The window closes with a replaced read and the current one running: both end
    (a cancelled job ends at its next yield), and neither outcome is delivered."""
    gates = [threading.Event(), threading.Event()]
    done: list[object] = []
    cancelled: list[bool] = []
    runner.cancelled.connect(lambda: cancelled.append(True))
    first = runner.run(lambda: _slow(gates[0], "a", 0.3), "a", done.append)
    second = runner.run(lambda: _slow(gates[1], "b", 0.3), "b", done.append, replace=True)
    assert first is not None and second is not None
    t0 = time.perf_counter()
    runner.stop(5_000)
    assert time.perf_counter() - t0 < 4.0
    assert first.isFinished() and second.isFinished()
    assert runner.worker is None and not runner.busy()
    qtbot.wait(100)  # their queued signals are delivered now: unheard
    assert done == [] and cancelled == [] and runner.running() == 0


def test_replacing_fast_runs_at_most_two_threads_and_the_newest_last(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    """Key-repeat browsing: reads cannot stop mid-file, so they would pile up, one thread
    and one volume per key; the newest waits (unstarted) for a replaced one to end."""
    gates = {name: threading.Event() for name in "abcd"}
    done: list[str] = []
    workers = {}
    for name in "abcd":
        workers[name] = runner.run(
            lambda name=name: _slow(gates[name], name), "Reading", done.append, replace=True
        )
    assert runner.running() == 2 and runner.busy() and runner.worker is workers["d"]
    assert not workers["d"].isRunning()  # c was dropped unstarted; a and b are ending
    gates["a"].set()
    qtbot.waitUntil(lambda: workers["d"].isRunning(), timeout=10_000)
    assert runner.busy() and runner.running() <= 2  # b may have ended: cancelled at once
    gates["b"].set()
    gates["d"].set()
    qtbot.waitUntil(lambda: not runner.busy() and runner.running() == 0, timeout=10_000)
    assert done == ["d"]


def test_cancel_of_a_job_not_started_yet_is_said_at_once(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    gates = [threading.Event() for _ in range(3)]
    cancelled: list[bool] = []
    runner.cancelled.connect(lambda: cancelled.append(True))
    for k in range(3):
        runner.run(lambda k=k: _slow(gates[k], str(k)), "Reading", print, replace=True)
    runner.cancel()
    assert cancelled == [True] and not runner.busy() and runner.progress.isHidden()
    for gate in gates:
        gate.set()
