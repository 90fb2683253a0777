"""One spawned child kept between requests: the window's end and the child's (no Qt here).

Two kinds of work keep a child: predictions (`warm_process.WarmProcess`: torch imported
once a session, not once a run) and the overlay's 3D labels
(`vertapp.gui.window.labels3d_process`: the CT prepared once). Both need the same
plumbing, kept here once: spawn the child at low priority, send it requests, hand each
waiter its own messages, drop the rest of a cancelled request, notice a child that died
and start a new one, and let an idle child leave.

Protocol over one duplex pipe. Parent -> child: (kind, rid, *args), or ("stop", 0).
Child -> parent, per request: its ("progress", rid, event)..., then exactly one of
("done", rid, value), ("error", rid, text), ("cancelled", rid, None); and ("bye", 0, None)
when it leaves after `idle_s` without a request. What a request does is the child's
`handler(kind, *args)`: a job (`vertapp.jobs`) driven by `child_process.drive`.

Request ids let several worker threads wait on one child: whoever reads the pipe hands a
message on to its waiter (`_mail`), and the messages of a request nobody waits for any
more (`_abandoned`) are dropped. A cancel sets the shared `cancel` value to the request's
id: the child closes that job at its next step (its `finally` blocks run).

Quitting: `close_all` ends every child the same way (its request under way dropped, then
"stop"), all at once under one deadline, so a quit waits `STOP_S` at most, not that long
per child; a waiter whose child is closed so gets `ChildClosed`, a cancel (not a crash).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from vertapp.errors import CancelledError, VertAppError
from vertapp.gui.model.child_process import (
    HEARTBEAT,
    JOIN_TIMEOUT_S,
    ChildProcessError,
    drive,
    lower_priority,
)
from vertapp.jobs import Job

log = logging.getLogger(__name__)
POLL_S = 0.2  # a waiter looks for a cancel (and yields a heartbeat) this often
ENDS = ("done", "error", "cancelled")
LEFT = object()  # a request the child never took: it left (idle) first
Handler = Callable[..., Job[Any]]  # handler(kind, *args), called in the child
STOP_S = 3.0  # a quit waits this long for the children to stop, then ends them
DROP_ALL = 0  # the shared `cancel` value that drops every request (ids start at 1)
_LIVE: weakref.WeakSet[PersistentChild] = weakref.WeakSet()  # what close_all ends


class ChildClosed(ChildProcessError, CancelledError):
    """The child was closed (the window closed, the app quits) while a request waited:
    the request was cancelled, the child did not crash (a worker reports a cancel)."""


class PersistentChild:
    """The window's end of one spawned child serving `handler` requests (module doc).

    `handler` is pickled into the child (a module-level function, or an object whose
    class is importable) and keeps whatever state the child holds between requests.
    `idle_s`: the child leaves after that long without a request (None: never).
    """

    def __init__(
        self, handler: Handler, idle_s: float | None = None, name: str = "the background process"
    ) -> None:
        self.handler, self.idle_s, self.name = handler, idle_s, name
        self._read = threading.Lock()  # the pipe's reading end and the request books
        self._write = threading.Lock()  # its writing end (apart: a long send reads nothing)
        self._proc: Any = None
        self._conn: Any = None
        self._cancel: Any = None  # shared int: the id of the request the child should drop
        self._next = 0
        self._pending: set[int] = set()  # sent, waited for, not yet ended
        self._mail: dict[int, list[tuple]] = {}  # read by one waiter for another
        self._abandoned: set[int] = set()  # nobody waits: their messages are dropped
        _LIVE.add(self)

    @property
    def pid(self) -> int | None:
        """The child's process id (None when there is none)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.is_alive() else None

    def start(self) -> bool:
        """Start a child unless one runs; True when this one is new (it holds no state)."""
        with self._read:
            if self._proc is not None and self._proc.is_alive():
                return False
            self._drop()
            ctx = mp.get_context("spawn")  # never fork a process that runs Qt threads
            self._conn, child_end = ctx.Pipe(duplex=True)
            self._cancel = ctx.Value("q", -1, lock=False)
            self._proc = ctx.Process(
                target=serve, args=(child_end, self._cancel, self.handler, self.idle_s), daemon=True
            )
            self._proc.start()
            child_end.close()
            return True

    def ask(
        self,
        kind: str,
        *args: Any,
        poll_s: float = POLL_S,
        progress: bool = True,
        settle: bool = False,
    ) -> Job[Any]:
        """One request: yields the child's progress (`progress=False`: heartbeats in its
        place) and a HEARTBEAT every `poll_s` it is quiet, returns the answer; VertAppError
        in the child's words when it failed, ChildProcessError when it died.

        A request the child never took, because it left (idle) just before, goes to a new
        child, once. Closed before the answer (a cancel), the child drops the request at
        its next step; `settle`: wait until it has (the job's `finally` blocks ran), and end
        a child that does not within JOIN_TIMEOUT_S."""
        answer = yield from self._request(kind, args, poll_s, progress, settle)
        if answer is LEFT:
            answer = yield from self._request(kind, args, poll_s, progress, settle)
        if answer is LEFT:
            raise ChildProcessError(self._stopped(None))
        return answer

    def post(self, kind: str, *args: Any) -> None:
        """A request nobody waits for (e.g. a warm-up): its messages are dropped."""
        rid = self._send(kind, args)
        if rid is not None:
            self._forget(rid, ended=False)

    def close(self, timeout_s: float = 5.0) -> None:
        """End the child: its request under way is dropped, then it stops (or is ended)."""
        close_all(timeout_s, [self])

    # ------------------------------------------------------------ internals
    def _detach(self) -> tuple[Any, Any, str] | None:
        """Forget the child and ask it to stop: every request it holds is dropped at its
        next step, then it reads "stop"; (process, pipe, name) to wait on, None if none."""
        with self._read:
            proc, conn = self._proc, self._conn
            self._proc = self._conn = None
            self._pending.clear()
            self._mail.clear()
            self._abandoned.clear()
        if proc is None:
            return None
        self._cancel.value = DROP_ALL
        # A large request may be on its way into a busy child: never wait long behind it
        # (without "stop" the child is ended at close_all's deadline)
        if self._write.acquire(timeout=POLL_S):
            try:
                with contextlib.suppress(OSError, ValueError):
                    conn.send(("stop", 0))
            finally:
                self._write.release()
        return proc, conn, self.name

    def _request(
        self, kind: str, args: tuple, poll_s: float, progress: bool, settle: bool
    ) -> Job[Any]:
        rid = self._send(kind, args)
        if rid is None:
            return LEFT
        ended = False
        try:
            while True:
                message = self._receive(rid, poll_s)
                if message is None:
                    yield HEARTBEAT
                elif message[0] == "progress":
                    yield message[2] if progress else HEARTBEAT
                else:
                    ended = True
                    return _answer(message)
        except ChildProcessError:
            ended = True  # nothing more comes from a dead child
            raise
        finally:
            if not ended:  # closed before the answer: a cancel
                if self._cancel is not None:
                    self._cancel.value = rid  # the child drops it at its next step
                if settle:
                    self._settle(rid, poll_s)
                    ended = True
            self._forget(rid, ended)

    def _send(self, kind: str, args: tuple) -> int | None:
        """Send a request (to a new child when there is none); its id, None when the
        child's pipe is broken (it left or died: the caller may send again)."""
        self.start()
        with self._read:
            self._next += 1
            rid, conn = self._next, self._conn
            self._pending.add(rid)  # before sending: the answer may come at once
        try:
            with self._write:
                conn.send((kind, rid, *args))
        except (OSError, ValueError, AttributeError):  # closed, or closed by close()
            with self._read:
                self._pending.discard(rid)
                if conn is self._conn:
                    self._drop()
            return None
        return rid

    def _receive(self, rid: int, poll_s: float) -> tuple | None:
        """The next message for `rid`, None after `poll_s` without one; ChildProcessError
        when the child is gone."""
        with self._read:
            box = self._mail.get(rid)
            if box:
                return self._take(rid)
            proc, conn = self._proc, self._conn
            if conn is None:  # close() took it (a left or dead child leaves mail first)
                raise ChildClosed(f"{self.name} was stopped")
            try:
                if not conn.poll(poll_s):
                    if not proc.is_alive() and not conn.poll():
                        raise ChildProcessError(self._stopped(proc.exitcode))
                    return None
                message = conn.recv()
            except (EOFError, OSError):
                raise ChildProcessError(self._stopped(proc.exitcode)) from None
            return self._route(rid, message)

    def _route(self, rid: int, message: tuple) -> tuple | None:
        """`message` if it is for `rid`; else kept for its waiter, or dropped."""
        kind, to = message[0], message[1]
        if kind == "bye":  # whatever was sent since it stopped listening is lost
            self._drop("bye")
            return self._take(rid) if rid in self._mail else None
        if to == rid:
            return message
        if to in self._pending:
            self._mail.setdefault(to, []).append(message)
        elif kind in ENDS:
            self._abandoned.discard(to)
        return None

    def _take(self, rid: int) -> tuple:
        box = self._mail[rid]
        message = box.pop(0)
        if not box:
            del self._mail[rid]
        return message

    def _settle(self, rid: int, poll_s: float) -> None:
        """After a cancel: read until the child says the request ended, so its `finally`
        blocks ran; a child that does not end it in time is ended."""
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        with contextlib.suppress(ChildProcessError):  # a dead child ended it too
            while time.monotonic() < deadline:
                message = self._receive(rid, poll_s)
                if message is not None and message[0] in (*ENDS, "bye"):
                    return
            log.warning("%s did not stop in time; ending it", self.name)
            self.close()

    def _forget(self, rid: int, ended: bool) -> None:
        """Nobody waits for `rid` any more; unless it `ended`, drop what it still sends."""
        with self._read:
            self._pending.discard(rid)
            kept = self._mail.pop(rid, [])
            if not ended and not any(m[0] in ENDS for m in kept) and self._proc is not None:
                self._abandoned.add(rid)

    def _drop(self, why: str = "gone") -> None:
        """Forget the child (it left, "bye", or died, "gone"), and tell whoever still
        waits for it; called holding `_read`."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()  # a child still there reads EOF and leaves
        if proc is not None:
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
        words = self._stopped(proc.exitcode if proc is not None else None)
        for waiting in self._pending:
            self._mail.setdefault(waiting, []).append((why, waiting, words))
        self._abandoned.clear()  # ids are never reused: nothing of theirs comes any more

    def _stopped(self, exitcode: int | None) -> str:
        code = f" (exit code {exitcode})" if exitcode is not None else ""
        return f"{self.name} stopped unexpectedly{code}; the system may have run out of memory"


def close_all(timeout_s: float = STOP_S, children: list[PersistentChild] | None = None) -> None:
    """End `children` (default: every child this process holds; the app quits).

    All are asked at once (each drops its request under way, whose `finally` blocks run,
    then stops), so the wait is `timeout_s` in all; one still there then is terminated."""
    asked = [c._detach() for c in (list(_LIVE) if children is None else children)]
    stopping = [a for a in asked if a is not None]
    deadline = time.monotonic() + timeout_s
    for proc, _, _ in stopping:
        proc.join(max(0.0, deadline - time.monotonic()))
    for proc, conn, name in stopping:
        if proc.is_alive():
            log.warning("%s did not stop in %.1f s; ending it", name, timeout_s)
            proc.terminate()
            proc.join(2)
        if proc.is_alive():  # SIGTERM caught or blocked: no child outlives the window
            proc.kill()
            proc.join(2)
        conn.close()


def _answer(message: tuple) -> Any:
    """A request's end as its waiter returns it (or raises it)."""
    kind, _, payload = message
    if kind == "done":
        return payload
    if kind == "error":
        raise VertAppError(payload)
    if kind == "bye":
        return LEFT
    if kind == "gone":  # the child died, seen by another waiter
        raise ChildProcessError(payload)
    return None  # "cancelled": only after a cancel, whose caller reads nothing


# --------------------------------------------------------------------- the child's end
def serve(conn: Any, cancel: Any, handler: Handler, idle_s: float | None) -> None:
    """Runs in the child: request after request until "stop", the pipe closes, or no
    request came for `idle_s` (it says "bye" and leaves: its memory goes back)."""
    lower_priority()
    try:
        while conn.poll(idle_s):
            kind, rid, *args = conn.recv()
            if kind == "stop":
                return
            drive(_sender(conn, cancel, rid), _Dropped(cancel, rid), handler, (kind, *args), None)
        conn.send(("bye", 0, None))
    except (EOFError, OSError):  # the pipe closed: the window's process has ended
        return
    finally:
        conn.close()


def _sender(conn: Any, cancel: Any, rid: int) -> Callable[[tuple], None]:
    """`drive`'s messages, tagged with the request's id."""

    def send(message: tuple) -> None:
        try:
            conn.send((message[0], rid, message[1] if len(message) > 1 else None))
        except (BrokenPipeError, EOFError, OSError):  # the window went away: stop the job
            cancel.value = rid

    return send


class _Dropped:
    """`drive`'s cancel flag for one request: set when the window names its id."""

    def __init__(self, cancel: Any, rid: int) -> None:
        self.cancel, self.rid = cancel, rid

    def is_set(self) -> bool:
        return self.cancel.value in (self.rid, DROP_ALL)
