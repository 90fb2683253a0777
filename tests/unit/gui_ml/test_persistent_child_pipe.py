"""The pipe of a kept child never deadlocks (audit: fast review froze the 3D labels).

Both ends write large messages: the window a CT ("prepare"), the child rays and labels.
Before, only a waiter read the pipe, and the one waiter there was sat in a send behind a
child that itself sat in a send nobody read: the overlay never updated again and a
close waited seconds. Now each end reads on a thread of its own; a request cancelled
before it was sent is never sent; a close returns within its child's short `stop_s`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np
import pytest

from vertapp.errors import CancelledError
from vertapp.gui.model.persistent_child import END_S, ChildClosed, PersistentChild, close_all
from vertapp.jobs import Job, Progress, run_job

BIG = 16 * 2**20  # far more than a pipe holds (a few hundred kB)
STOP = 0.5


class Fake:
    """Module-level (the child imports it): requests that read or write a lot."""

    def __init__(self) -> None:
        self.ran: list[Any] = []

    def __call__(self, kind: str, *args: Any) -> Job[Any]:
        return getattr(self, kind)(*args)

    def big(self, nbytes: int, tag: Any) -> Job[np.ndarray]:
        """A large answer at once."""
        self.ran.append(tag)
        yield Progress("big")
        return np.ones(nbytes, np.uint8)

    def take(self, array: np.ndarray, tag: Any) -> Job[int]:
        """A large request, a small answer."""
        self.ran.append(tag)
        yield Progress("take")
        return int(array.sum())

    def slow(self, array: np.ndarray, tag: Any, steps: int, step_s: float) -> Job[Any]:
        self.ran.append(tag)
        for _ in range(steps):
            time.sleep(step_s)
            yield Progress("step")
        return tag

    def log(self) -> Job[list[Any]]:
        yield Progress("log")
        return list(self.ran)


@pytest.fixture
def child():  # type: ignore[no-untyped-def]
    c = PersistentChild(Fake(), name="the fake child", stop_s=STOP)
    yield c
    close_all(STOP, [c])


def in_thread(job: Job[Any]) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = run_job(job)
        except Exception as err:  # noqa: BLE001 (what the test reads)
            out["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def test_a_large_request_while_the_child_writes_large_answers(child) -> None:  # type: ignore[no-untyped-def]
    """The audit's deadlock: answers nobody waits for (a cancelled run's), and a large
    request sent meanwhile. Before, neither end read: the send never returned."""
    child.post("big", BIG, "a")
    child.post("big", BIG, "b")
    thread, out = in_thread(child.ask("take", np.ones(BIG, np.uint8), "c"))
    thread.join(60)
    assert not thread.is_alive(), "deadlocked: the request was never read"
    assert out == {"value": BIG}
    # and the child still answers, large both ways, many times over
    for i in range(5):
        assert run_job(child.ask("big", BIG, i)).nbytes == BIG
        assert run_job(child.ask("take", np.ones(BIG, np.uint8), i)) == BIG
    assert not child._mail and not child._pending


def test_superseded_requests_are_dropped_without_waiting(child) -> None:  # type: ignore[no-untyped-def]
    """Fifteen large requests in a row while the child is busy, each cancelled as the
    next comes (the user moves on): none holds up the next, none of them runs, the
    newest is answered as soon as the run under way ends."""
    assert run_job(child.ask("log")) == []  # the child is up
    child.post("slow", np.zeros(1), "under way", 10, 0.1)  # 1 s
    t0 = time.monotonic()
    for i in range(15):
        job = child.ask("slow", np.ones(BIG // 4, np.uint8), i, 50, 0.1, poll_s=0.01)
        next(job)  # sent (or queued): the waiter polls
        job.close()  # the worker was cancelled
    assert time.monotonic() - t0 < 1.0  # no cancel waited for anything
    assert run_job(child.ask("slow", np.zeros(1), "newest", 1, 0.0)) == "newest"
    took = time.monotonic() - t0
    assert run_job(child.ask("log")) == ["under way", "newest"]  # the 15 never ran
    assert took < 3.0  # the run under way (1 s), not one of the 5 s ones
    assert not child._mail and not child._pending


def test_close_while_busy_returns_within_about_a_second(child, caplog) -> None:  # type: ignore[no-untyped-def]
    """A run under way, a large request on its way in, a large answer on its way out:
    the close returns within the child's `stop_s` (and an ending), the waiters get a
    cancel, and nothing is logged as an error (the pipe closed on purpose)."""
    caplog.set_level(logging.INFO)
    child.post("big", BIG, "answer nobody reads")
    busy, busy_out = in_thread(child.ask("slow", np.zeros(1), "busy", 100, 0.3))
    time.sleep(0.5)
    sending, sending_out = in_thread(child.ask("take", np.ones(BIG, np.uint8), "late"))
    time.sleep(0.2)
    pid = child.pid
    assert pid is not None
    t0 = time.monotonic()
    child.close(5.0)
    took = time.monotonic() - t0
    assert took < 1.2, took
    for thread in (busy, sending):
        thread.join(2)
        assert not thread.is_alive()
    for out in (busy_out, sending_out):
        assert isinstance(out.get("error"), ChildClosed), out
        assert isinstance(out["error"], CancelledError)  # a cancel, not a crash
    assert child.pid is None
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    # the next request gets a new child
    assert run_job(child.ask("log")) == []


def stuck() -> Job[None]:
    time.sleep(60)  # one step that outlasts any stop (a long C call, say)
    yield Progress("never")


class Stuck:
    def __call__(self, kind: str) -> Job[None]:
        return stuck()


def test_a_stuck_child_is_ended_within_its_stop_s() -> None:
    child = PersistentChild(Stuck(), name="the stuck child", stop_s=STOP)
    thread, out = in_thread(child.ask("x"))
    deadline = time.monotonic() + 60
    while child.pid is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(1.0)  # in its long step
    t0 = time.monotonic()
    close_all(3.0, [child])  # the window's deadline; this child's own is shorter
    took = time.monotonic() - t0
    assert took < STOP + END_S + 0.3, took
    thread.join(2)
    assert isinstance(out.get("error"), ChildClosed)
