"""The overlay's back-projection in a child process that keeps one CT's `BackProjector`.

Why a process: scipy.ndimage and SimpleITK hold the GIL for each whole call (a watershed
or a hole filling of a slab: 0.1-0.7 s on a 461 x 317 x 417 CT, measured by
benchmarks/bench_gui.py), so in a thread of the window's process every such call stalls
the event loop. The child prepares the CT once (the slow, mask-independent part) and
keeps it, then labels each new set of masks with its last result as `previous`; the
GUI's worker thread only waits on the pipe (`labels_job`, driven by a `JobWorker`).

Requests carry an id: an answer for a request nobody waits for any more (its worker was
cancelled) is dropped, and a cancelled request stops in the child at its next step. After
preparing, the child sends back the rays and the bone (not the CT) so the window can draw
the instant footprint-only preview itself (`BackProjector.slice_preview`). The labels come
back cropped to the rays' box (the rest is 0) to keep the pipe short. No Qt here.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading
import traceback
from dataclasses import replace
from typing import Any

import numpy as np

from vertapp.backproject import BackProjection, BackProjector
from vertapp.errors import VertAppError
from vertapp.gui.model.child_process import lower_priority
from vertapp.jobs import Job, Progress

log = logging.getLogger(__name__)
HEARTBEAT = Progress("heartbeat")  # while waiting: lets a cancel be noticed
POLL_S = 0.1


class ChildGone(VertAppError):
    """The background process died (killed, out of memory) before answering."""


class LabelsProcess:
    """One spawned child serving prepare/label requests for the CT `ct_id` names."""

    def __init__(self) -> None:
        self._proc: Any = None
        self._conn: Any = None
        self._cancel: Any = None  # shared int: the request id the child should drop
        self._lock = threading.Lock()  # one reader of the pipe at a time
        self._mail: dict[int, tuple] = {}  # answers read by another waiter
        self._abandoned: set[int] = set()  # requests whose waiter was cancelled
        self._next = 0
        self.ct_id: int | None = None  # the CT the child has prepared
        self.preview: BackProjector | None = None  # GUI-side shell: slice_preview only

    def _start(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        ctx = mp.get_context("spawn")  # never fork a process that runs Qt threads
        self._conn, child = ctx.Pipe()
        self._cancel = ctx.Value("q", -1, lock=False)
        self._proc = ctx.Process(target=_serve, args=(child, self._cancel), daemon=True)
        self._proc.start()
        child.close()
        self.ct_id, self.preview, self._mail = None, None, {}

    def labels_job(
        self, ct_id: int, volume: Any, mip: Any, footprint: np.ndarray
    ) -> Job[BackProjection]:
        """The 3D labels of `footprint` on `volume`'s grid (preparing the CT when new)."""
        with self._lock:
            self._start()
        if self.ct_id != ct_id:
            self.ct_id = None  # the child drops its old CT first
            yield Progress("prepare", 0.0, "preparing the CT for 3D labels")
            rays, bone = yield from self._ask("prepare", volume, mip)
            shell = BackProjector.__new__(BackProjector)  # what slice_preview reads
            shell.volume, shell.result, shell.rays, shell.bone = volume, mip, rays, bone
            self.ct_id, self.preview = ct_id, shell
        yield Progress("labels", 0.5, "3D labels")
        box, bp = yield from self._ask("label", footprint)
        full = np.zeros(volume.shape, np.uint8)
        full[box] = bp.labels
        return replace(bp, labels=full)

    def _ask(self, kind: str, *args: Any) -> Job[Any]:
        with self._lock:
            self._next += 1
            rid = self._next
            self._conn.send((kind, rid, *args))
        answered = False
        try:
            while True:
                message = self._receive(rid)
                if message is None:
                    yield HEARTBEAT
                    continue
                answered = True
                if message[0] == "error":
                    raise VertAppError(message[2])
                return message[2]
        finally:
            if not answered and self._cancel is not None:
                self._cancel.value = rid  # the child drops it at its next step
                with self._lock:
                    if self._mail.pop(rid, None) is None:
                        self._abandoned.add(rid)

    def _receive(self, rid: int) -> tuple | None:
        with self._lock:
            if rid in self._mail:
                return self._mail.pop(rid)
            if not self._conn.poll(POLL_S):
                if not self._proc.is_alive():
                    self.ct_id = None
                    raise ChildGone(
                        "the background process of the 3D labels stopped unexpectedly "
                        f"(exit code {self._proc.exitcode}); the system may be out of memory"
                    )
                return None
            message = self._conn.recv()
        if message[1] != rid:
            with self._lock:
                if message[1] in self._abandoned or message[0] == "cancelled":
                    self._abandoned.discard(message[1])
                else:
                    self._mail[message[1]] = message  # a waiter that may still come for it
            return None
        return message  # type: ignore[no-any-return]

    def close(self, timeout_s: float = 5.0) -> None:
        """End the child (the window closes)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            self._cancel.value = self._next
            self._conn.send(("stop", 0))
        except (OSError, ValueError):
            pass
        proc.join(timeout_s)
        if proc.is_alive():
            proc.terminate()
            proc.join(2)
        self._conn.close()


class _Cancelled(Exception):
    pass


def _serve(conn: Any, cancel: Any) -> None:
    """The child: answer requests one by one until "stop" or the window goes away."""
    lower_priority()
    state: dict[str, Any] = {"projector": None, "last": None}
    while True:
        try:
            kind, rid, *args = conn.recv()
            if kind == "stop":
                return
            conn.send(_answer(state, kind, rid, args, cancel))
        except (EOFError, OSError):  # the pipe closed: the window's process has ended
            return


def _answer(state: dict[str, Any], kind: str, rid: int, args: list, cancel: Any) -> tuple:
    """One request's reply: ("done" | "cancelled" | "error", rid, payload)."""
    try:
        if kind == "prepare":
            state["projector"] = state["last"] = None
            projector = _drive(BackProjector.prepare_job(*args), rid, cancel)
            state["projector"] = projector
            return ("done", rid, (projector.rays, projector.bone))
        projector = state["projector"]
        if projector is None:
            raise VertAppError("3D labels: the CT was not prepared")
        last = state["last"] = _drive(projector.job(args[0], state["last"]), rid, cancel)
        box = projector.rays.box
        return ("done", rid, (box, replace(last, labels=last.labels[box].copy())))
    except _Cancelled:
        return ("cancelled", rid, None)
    except VertAppError as err:
        return ("error", rid, str(err))
    except Exception as err:  # a bug: one line to the window, the traceback to the log
        traceback.print_exc()
        return ("error", rid, f"Unexpected error: {type(err).__name__}: {err}")


def _drive(job: Job[Any], rid: int, cancel: Any) -> Any:
    while True:
        if cancel.value == rid:
            job.close()
            raise _Cancelled
        try:
            next(job)
        except StopIteration as stop:
            return stop.value
