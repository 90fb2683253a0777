"""One spawned child kept between requests: the window's end and the child's (no Qt here).

Two kinds of work keep a child: predictions (`warm_process.WarmProcess`: torch imported
once a session, not once a run) and the overlay's 3D labels
(`vertapp.gui.window.labels3d_process`: the CT prepared once). Both need the same
plumbing, kept here once: spawn the child at low priority, send it requests, hand each
waiter its own messages, drop the rest of a cancelled request, notice a child that died
and start a new one, and let an idle child leave.

Protocol over one duplex pipe. Parent -> child: (kind, rid, *args), ("cancel", rid) or
("stop", 0). Child -> parent, per request: its ("progress", rid, event)..., then exactly
one of ("done", rid, value), ("error", rid, text), ("cancelled", rid, None); and ("bye",
0, None) when it leaves after `idle_s` without a request. What a request does is the
child's `handler(kind, *args)`: a job (`vertapp.jobs`) driven by `child_process.drive`.

No deadlock: both ends write large messages (a CT one way, rays and labels the other),
and a pipe holds little, so a writer waits until the other end reads. Each end therefore
reads on a thread that does nothing else: the window's `_read_loop` hands every message to
its waiter's box (`_mail`) or drops it (nobody waits any more), the child's `_Inbox`
queues the requests while the job under way runs. Neither end's reading ever waits for
its own writing, so every write ends. Requests go out on the window's `_write_loop`
thread, in order; a waiter never blocks on the pipe and sees a cancel at its next poll.

Request ids let several worker threads wait on one child. A cancel (the waiter was
closed) drops a request not yet sent without sending it; one sent is named to the child
(the shared `cancel` value at once, and a ("cancel", rid) message): it is dropped from
the child's queue, or closed at its job's next step (its `finally` blocks run).

Quitting: `close_all` ends every child the same way (its requests dropped, then "stop"),
all at once under one deadline, so a quit waits `STOP_S` at most, not that long per child
(less for a child made with a shorter `stop_s`: one with nothing to save); a child still
there then is ended. The GUI thread never touches the pipe: whoever waits for a request of
a child so closed gets `ChildClosed`, a cancel (not a crash).
"""

from __future__ import annotations

import collections
import logging
import multiprocessing as mp
import threading
import time
import weakref
from collections.abc import Callable
from multiprocessing.reduction import ForkingPickler
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
END_S = 1.0  # then this long for an ended one (SIGTERM, then SIGKILL) to go
DROP_ALL = 0  # the shared `cancel` value that drops every request (ids start at 1)
_LIVE: weakref.WeakSet[PersistentChild] = weakref.WeakSet()  # what close_all ends


class ChildClosed(ChildProcessError, CancelledError):
    """The child was closed (the window closed, the app quits) while a request waited:
    the request was cancelled, the child did not crash (a worker reports a cancel)."""


class _Link:
    """One child process, its pipe and the two threads of the window's end that use it.

    The reader thread owns the pipe: it closes it once the child's end closed (the child
    left, stopped or died) and the writer thread has ended, never while one uses it."""

    def __init__(self, proc: Any, conn: Any, cancel: Any) -> None:
        self.proc, self.conn, self.cancel = proc, conn, cancel
        self.outbox: collections.deque[tuple[int, Any]] = collections.deque()  # (rid, bytes)
        self.ended = False  # takes no more requests: it left, died or was closed
        self.writer: threading.Thread | None = None


class PersistentChild:
    """The window's end of one spawned child serving `handler` requests (module doc).

    `handler` is pickled into the child (a module-level function, or an object whose
    class is importable) and keeps whatever state the child holds between requests.
    `idle_s`: the child leaves after that long without a request (None: never).
    `stop_s`: a close waits at most that long for it to stop before ending it (None:
    `close_all`'s own deadline); short for a child whose jobs write nothing.
    """

    def __init__(
        self,
        handler: Handler,
        idle_s: float | None = None,
        name: str = "the background process",
        stop_s: float | None = None,
    ) -> None:
        self.handler, self.idle_s, self.name, self.stop_s = handler, idle_s, name, stop_s
        self._cond = threading.Condition()  # the link, the request books, the outbox
        self._link: _Link | None = None
        self._next = 0
        self._pending: dict[int, _Link] = {}  # sent (or queued), waited for: on which child
        self._mail: dict[int, list[tuple]] = {}  # read by the reader thread for a waiter
        _LIVE.add(self)

    @property
    def pid(self) -> int | None:
        """The child's process id (None when there is none)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.is_alive() else None

    @property
    def _proc(self) -> Any:
        """The child's process (None when there is none)."""
        link = self._link
        return None if link is None else link.proc

    def start(self) -> bool:
        """Start a child unless one runs; True when this one is new (it holds no state)."""
        with self._cond:
            return self._start()

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
        its next step (one not sent yet is never sent); `settle`: wait until it has (the
        job's `finally` blocks ran), and end a child that does not within JOIN_TIMEOUT_S."""
        answer = yield from self._request(kind, args, poll_s, progress, settle)
        if answer is LEFT:
            answer = yield from self._request(kind, args, poll_s, progress, settle)
        if answer is LEFT:
            raise ChildProcessError(self._stopped(None))
        return answer

    def post(self, kind: str, *args: Any) -> None:
        """A request nobody waits for (e.g. a warm-up): its messages are dropped."""
        self._forget(self._send(kind, args))

    def close(self, timeout_s: float = 5.0) -> None:
        """End the child: its requests are dropped, then it stops (or is ended)."""
        close_all(timeout_s, [self])

    # ------------------------------------------------------------ internals
    def _start(self) -> bool:
        """`start`, holding `_cond`."""
        link = self._link
        if link is not None and not link.ended and link.proc.is_alive():
            return False
        if link is not None:  # died, not yet seen by its reader
            self._end(link, "gone")
        ctx = mp.get_context("spawn")  # never fork a process that runs Qt threads
        conn, child_end = ctx.Pipe(duplex=True)
        cancel = ctx.Value("q", -1, lock=False)
        proc = ctx.Process(
            target=serve, args=(child_end, cancel, self.handler, self.idle_s), daemon=True
        )
        proc.start()
        child_end.close()
        link = self._link = _Link(proc, conn, cancel)
        link.writer = threading.Thread(
            target=self._write_loop, args=(link,), name=f"{self.name}: writer", daemon=True
        )
        reader = threading.Thread(
            target=self._read_loop, args=(link,), name=f"{self.name}: reader", daemon=True
        )
        link.writer.start()
        reader.start()
        return True

    def _detach(self) -> tuple[Any, str, float | None] | None:
        """Forget the child and ask it to stop: every request it holds is dropped at its
        next step, then it reads "stop"; (process, name, stop_s) to wait on, None if none.
        Never waits (the GUI thread calls it): the writer thread sends "stop"."""
        with self._cond:
            link = self._link
            if link is None:
                return None
            self._end(link, "closed", f"{self.name} was stopped")
            link.cancel.value = DROP_ALL
            link.outbox.append((0, _dumps(("stop", 0))))
            self._cond.notify_all()
        return link.proc, self.name, self.stop_s

    def _request(
        self, kind: str, args: tuple, poll_s: float, progress: bool, settle: bool
    ) -> Job[Any]:
        rid = self._send(kind, args)
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
        finally:
            if not ended:  # closed before the answer: a cancel
                sent = self._cancel(rid)
                if settle and sent:
                    self._settle(rid, poll_s)
            self._forget(rid)

    def _send(self, kind: str, args: tuple) -> int:
        """Queue a request for the writer thread (to a new child when there is none);
        its id. Pickled here: an argument that cannot be is this caller's error."""
        with self._cond:
            self._next += 1
            rid = self._next
        data = _dumps((kind, rid, *args))
        with self._cond:
            self._start()
            link = self._link
            assert link is not None
            self._pending[rid] = link  # before sending: the answer may come at once
            link.outbox.append((rid, data))
            self._cond.notify_all()
        return rid

    def _cancel(self, rid: int) -> bool:
        """Drop `rid`: one still queued is never sent; the child is told of one sent.
        True when the child may still send something for it."""
        with self._cond:
            link = self._pending.get(rid)
            if link is None or link.ended:
                return False  # its child is gone: nothing more comes
            for i, (queued, _) in enumerate(link.outbox):
                if queued == rid:
                    del link.outbox[i]
                    return False
            link.cancel.value = rid  # the job under way sees it at its next step
            link.outbox.appendleft((0, _dumps(("cancel", rid))))  # before other requests
            self._cond.notify_all()
            return True

    def _receive(self, rid: int, poll_s: float) -> tuple | None:
        """The next message for `rid`, None after `poll_s` without one. The end of a
        request always comes: the child's, or "bye"/"gone"/"closed" when it went."""
        with self._cond:
            self._cond.wait_for(lambda: bool(self._mail.get(rid)), poll_s)
            if not self._mail.get(rid):
                return None
            box = self._mail[rid]
            message = box.pop(0)
            if not box:
                del self._mail[rid]
            return message

    def _settle(self, rid: int, poll_s: float) -> None:
        """After a cancel: read until the child says the request ended, so its `finally`
        blocks ran; a child that does not end it in time is ended."""
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        while time.monotonic() < deadline:
            message = self._receive(rid, poll_s)
            if message is not None and message[0] != "progress":
                return
        log.warning("%s did not stop in time; ending it", self.name)
        self.close()

    def _forget(self, rid: int) -> None:
        """Nobody waits for `rid` any more: what it still sends is dropped."""
        with self._cond:
            self._pending.pop(rid, None)
            self._mail.pop(rid, None)

    def _end(self, link: _Link, why: str, words: str | None = None) -> None:
        """`link` takes no more requests (it left, "bye"; died, "gone"; was closed,
        "closed"): whoever waits for one of its requests is told. Holding `_cond`."""
        if self._link is link:
            self._link = None
        if link.ended:
            return
        link.ended = True
        link.outbox.clear()
        if words is None:
            words = self._stopped(link.proc.exitcode)
        for rid, sent_to in self._pending.items():
            if sent_to is link:
                self._mail.setdefault(rid, []).append((why, rid, words))
        self._cond.notify_all()

    def _write_loop(self, link: _Link) -> None:
        """The writer thread: sends the queued messages in order, until the child is
        gone (a send may wait while the child reads a large one: no waiter does)."""
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(link.outbox) or link.ended)
                if not link.outbox:
                    return
                _, data = link.outbox.popleft()
            try:
                link.conn.send_bytes(data)
            except (OSError, ValueError):  # the child is gone
                with self._cond:
                    self._end(link, "gone")
                return

    def _read_loop(self, link: _Link) -> None:
        """The reader thread: every message to its waiter's box (or dropped), until the
        child's end closes; then it closes the pipe once the writer thread is done."""
        try:
            while True:
                message = link.conn.recv()
                with self._cond:
                    self._route(link, message)
        except (EOFError, OSError):  # the child left, stopped or died
            pass
        except Exception:  # a message this process cannot read: a child not to trust
            log.exception("%s sent a message that cannot be read; ending it", self.name)
            link.proc.kill()
        finally:
            with self._cond:
                self._end(link, "gone")
            if link.writer is not None:
                link.writer.join(END_S)
            if link.writer is None or not link.writer.is_alive():
                link.conn.close()

    def _route(self, link: _Link, message: tuple) -> None:
        """`message` to its waiter's box; dropped when nobody waits. Holding `_cond`."""
        kind, to = message[0], message[1]
        if kind == "bye":  # it left: whatever was sent since is lost (sent again)
            self._end(link, "bye")
        elif self._pending.get(to) is link:
            self._mail.setdefault(to, []).append(message)
            self._cond.notify_all()

    def _stopped(self, exitcode: int | None) -> str:
        code = f" (exit code {exitcode})" if exitcode is not None else ""
        return f"{self.name} stopped unexpectedly{code}; the system may have run out of memory"


def close_all(timeout_s: float = STOP_S, children: list[PersistentChild] | None = None) -> None:
    """End `children` (default: every child this process holds; the app quits).

    All are asked at once (each drops its requests, the one under way closed at its next
    step so its `finally` blocks run, then stops), so the wait is `timeout_s` in all (or
    a child's shorter `stop_s`); one still there then is ended. Waits for nothing else:
    the pipes are the reader threads' to close."""
    asked = [c._detach() for c in (list(_LIVE) if children is None else children)]
    stopping = [a for a in asked if a is not None]
    t0 = time.monotonic()
    for proc, _, stop_s in stopping:
        limit = timeout_s if stop_s is None else min(timeout_s, stop_s)
        proc.join(max(0.0, t0 + limit - time.monotonic()))
    for proc, name, stop_s in stopping:
        if proc.is_alive():
            limit = timeout_s if stop_s is None else min(timeout_s, stop_s)
            # a child with nothing to save (`stop_s`) is ended as a matter of course
            level = logging.WARNING if stop_s is None else logging.INFO
            log.log(level, "%s did not stop in %.1f s; ending it", name, limit)
            proc.terminate()
            proc.join(END_S)
        if proc.is_alive():  # SIGTERM caught or blocked: no child outlives the window
            proc.kill()
            proc.join(END_S)


def _answer(message: tuple) -> Any:
    """A request's end as its waiter returns it (or raises it)."""
    kind, _, payload = message
    if kind == "done":
        return payload
    if kind == "error":
        raise VertAppError(payload)
    if kind == "bye":
        return LEFT
    if kind == "gone":  # the child died
        raise ChildProcessError(payload)
    if kind == "closed":  # close() or close_all: a cancel
        raise ChildClosed(payload)
    return None  # "cancelled": only after a cancel, whose caller reads nothing


def _dumps(message: tuple) -> Any:
    """`message` as `Connection.send` pickles it (the other end's `recv` reads it)."""
    return ForkingPickler.dumps(message)


# --------------------------------------------------------------------- the child's end
_STOP = object()  # what `_Inbox.take` returns once the child should stop


def serve(conn: Any, cancel: Any, handler: Handler, idle_s: float | None) -> None:
    """Runs in the child: request after request until "stop", the pipe closes, or no
    request came for `idle_s` (it says "bye" and leaves: its memory goes back)."""
    lower_priority()
    inbox = _Inbox(conn)
    try:
        while True:
            request = inbox.take(idle_s)
            if request is _STOP:
                return
            if request is None:
                conn.send(("bye", 0, None))
                return
            kind, rid, *args = request
            send, dropped = _sender(conn, cancel, rid), _Dropped(cancel, rid, inbox)
            if dropped.is_set():  # cancelled while it waited: the handler never sees it
                send(("cancelled",))
                continue
            drive(send, dropped, handler, (kind, *args), None)
    except (EOFError, OSError):  # the pipe closed: the window's process has ended
        return
    finally:
        conn.close()


class _Inbox:
    """In the child: a thread reads the pipe all the time, so the window's sends never
    wait for a job to end (nor for the child's own large sends); requests queue here,
    a cancel drops a queued one, "stop" (or a closed pipe) drops them all."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.cond = threading.Condition()
        self.requests: collections.deque[tuple] = collections.deque()
        self.cancelled: set[int] = set()
        self.stopping = False
        threading.Thread(target=self._read, name="requests", daemon=True).start()

    def _read(self) -> None:
        try:
            while True:
                message = self.conn.recv()
                kind, rid = message[0], message[1]
                with self.cond:
                    if kind == "stop":
                        self.stopping = True
                    elif kind == "cancel":
                        self.cancelled.add(rid)
                        kept = [r for r in self.requests if r[1] != rid]
                        self.requests = collections.deque(kept)
                    else:
                        self.requests.append(message)
                    self.cond.notify_all()
                if kind == "stop":
                    return
        except Exception:  # EOF, or closed: the window went away (or this child leaves)
            with self.cond:
                self.stopping = True
                self.cond.notify_all()

    def take(self, idle_s: float | None) -> Any:
        """The next request; None after `idle_s` without one; `_STOP` to stop."""
        with self.cond:
            if not self.cond.wait_for(lambda: self.requests or self.stopping, idle_s):
                return None
            if self.stopping:
                return _STOP
            request = self.requests.popleft()
            self.cancelled = {r for r in self.cancelled if r >= request[1]}  # ids grow
            return request

    def dropped(self, rid: int) -> bool:
        return self.stopping or rid in self.cancelled


def _sender(conn: Any, cancel: Any, rid: int) -> Callable[[tuple], None]:
    """`drive`'s messages, tagged with the request's id."""

    def send(message: tuple) -> None:
        try:
            conn.send((message[0], rid, message[1] if len(message) > 1 else None))
        except (BrokenPipeError, EOFError, OSError):  # the window went away: stop the job
            cancel.value = rid

    return send


class _Dropped:
    """`drive`'s cancel flag for one request: set when the window names its id (or all)."""

    def __init__(self, cancel: Any, rid: int, inbox: _Inbox) -> None:
        self.cancel, self.rid, self.inbox = cancel, rid, inbox

    def is_set(self) -> bool:
        return self.cancel.value in (self.rid, DROP_ALL) or self.inbox.dropped(self.rid)
