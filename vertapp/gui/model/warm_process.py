"""A child process kept warm between predictions (no Qt here).

Each prediction used to spawn its own child (child_process.py): importing torch,
torchvision and the engine took ~4 s of the 5.5-9.7 s a reviewer waited after
"Predict current image" on a real CT, for a model that predicts in ~0.4 s. `WarmProcess`
keeps one spawned child between jobs, so only the first prediction of a session pays
for the imports. The child is the same kind as before (spawned, lower priority, jobs
driven by `child_process.drive`), so the window stays as fluid as it was.

Protocol over one duplex pipe. Parent -> child: ("job", target, args, threads).
Child -> parent: the job's ("progress", event)..., then exactly one of ("done", value),
("error", text), ("cancelled",) per job; ("bye",) when it leaves after `idle_s` without
a job (the memory torch holds goes back to the system). A job the child never took
because it left (its "bye" comes first) is sent again to a new child, once.

One job at a time: a second caller while a job runs gets a one-off child of its own
(`run_in_process`), as before.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import threading
from collections.abc import Callable
from typing import Any

from vertapp.errors import VertAppError
from vertapp.gui.model.child_process import (
    HEARTBEAT,
    JOIN_TIMEOUT_S,
    ChildProcessError,
    drive,
    lower_priority,
    run_in_process,
)
from vertapp.jobs import Job

log = logging.getLogger(__name__)
IDLE_S = 600.0  # a child with no job for this long leaves (torch holds ~0.5 GB)
ENDS = ("done", "error", "cancelled")
STOPPED = "the background process stopped unexpectedly; the system may have run out of memory"


class _Resend(Exception):
    """The child left (idle) before it took the job: send it to a new one."""


class WarmProcess:
    """One spawned child that runs job after job (see the module doc)."""

    def __init__(self, idle_s: float = IDLE_S) -> None:
        self.idle_s = idle_s
        self._busy = threading.Lock()
        self._proc: Any = None
        self._conn: Any = None
        self._cancel: Any = None

    @property
    def pid(self) -> int | None:
        """The warm child's process id (None when there is none)."""
        return self._proc.pid if self._proc is not None and self._proc.is_alive() else None

    def run(
        self,
        target: Callable[..., Job[Any]],
        *args: Any,
        heartbeat_s: float = 0.2,
        torch_threads: int | None = None,
    ) -> Job[Any]:
        """Drive `target(*args)` (importable by the child) in the warm child, as
        `run_in_process` does in a new one: its events, then its result."""
        if not self._busy.acquire(blocking=False):  # a job already runs: a child of its own
            return (
                yield from run_in_process(
                    target, *args, heartbeat_s=heartbeat_s, torch_threads=torch_threads
                )
            )
        try:
            for attempt in range(2):
                try:
                    return (yield from self._job(target, args, heartbeat_s, torch_threads))
                except _Resend:
                    self._drop()
                    if attempt:
                        raise ChildProcessError(STOPPED) from None
            raise AssertionError("unreachable")
        finally:
            self._busy.release()

    def stop(self) -> None:
        """End the warm child now, unless a job runs (a daemon: it ends with the app)."""
        if self._busy.acquire(blocking=False):
            try:
                self._drop()
            finally:
                self._busy.release()

    # ------------------------------------------------------------ internals
    def _job(
        self, target: Callable[..., Job[Any]], args: tuple, heartbeat_s: float, threads: Any
    ) -> Job[Any]:
        conn, cancel = self._ready()
        cancel.clear()
        try:
            conn.send(("job", target, args, threads))
        except (BrokenPipeError, OSError):
            raise _Resend from None
        answered = False
        try:
            while True:
                message = yield from self._next(conn, heartbeat_s)
                kind = message[0]
                if kind == "bye":
                    raise _Resend
                if kind == "progress":
                    yield message[1]
                    continue
                answered = True
                if kind == "done":
                    return message[1]
                if kind == "error":
                    raise VertAppError(message[1])
                return None  # "cancelled": only after a cancel, whose caller reads nothing
        finally:
            if not answered:
                cancel.set()
                self._settle(conn)

    def _next(self, conn: Any, heartbeat_s: float) -> Job[tuple]:
        """The child's next message; heartbeats while it is quiet."""
        while not conn.poll(heartbeat_s):
            if not self._proc.is_alive() and not conn.poll():
                self._drop()
                raise ChildProcessError(STOPPED)
            yield HEARTBEAT
        try:
            return conn.recv()
        except EOFError:
            self._drop()
            raise ChildProcessError(STOPPED) from None

    def _settle(self, conn: Any) -> None:
        """After a cancel: read until the child says the job ended, so the next job does
        not read this one's messages; a child that does not end in time is ended."""
        with contextlib.suppress(EOFError, OSError):
            while self._proc is not None and conn.poll(JOIN_TIMEOUT_S):
                if conn.recv()[0] in (*ENDS, "bye"):
                    return
        log.warning("background process did not stop in time; ending it")
        self._drop()

    def _ready(self) -> tuple[Any, Any]:
        """The warm child's pipe and cancel flag; a new child when there is none."""
        if self._proc is None or not self._proc.is_alive():
            self._drop()
            ctx = mp.get_context("spawn")  # never fork a process that runs Qt threads
            self._conn, child_end = ctx.Pipe(duplex=True)
            self._cancel = ctx.Event()
            self._proc = ctx.Process(
                target=_serve, args=(child_end, self._cancel, self.idle_s), daemon=True
            )
            self._proc.start()
            child_end.close()
        return self._conn, self._cancel

    def _drop(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = self._cancel = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()  # the child reads EOF and leaves
        if proc is not None:
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)


def _serve(conn: Any, cancel: Any, idle_s: float) -> None:
    """Runs in the child: job after job until the pipe closes or no job comes for idle_s."""
    lower_priority()

    def send(message: tuple) -> None:
        try:
            conn.send(message)
        except (BrokenPipeError, EOFError, OSError):  # the window went away
            cancel.set()

    try:
        while conn.poll(idle_s):
            try:
                _, target, args, threads = conn.recv()
            except EOFError:
                return
            drive(send, cancel, target, args, threads)
        send(("bye",))
    finally:
        conn.close()
