"""Run an engine job in a child process, as a job of this process (no Qt here).

Why a process: the engine's Python-level work (model building, torchvision's detection
post-processing, numpy/pycocotools in validation, torch.save, first-time imports) holds
the GIL for 50 ms to over a second at a time. In a thread of the GUI process each of
those stalls the event loop. In a child process they cannot, so the window stays fluid
whatever the engine does; the GUI's worker thread only waits on a pipe.

`run_in_process(target, *args)` returns a generator a `JobWorker` drives like any job:
it yields the child's `Progress` events and returns the child's result. Closing it
(cancel) asks the child to close *its* job at the next yield, which runs the engine's
`finally` blocks, and waits for the child to exit, so whatever checkpoint the engine
wrote stays complete. While the child is quiet it yields a `HEARTBEAT` event so a
cancel is noticed within `heartbeat_s`.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import traceback
from collections.abc import Callable
from typing import Any

from vertapp.errors import VertAppError
from vertapp.jobs import Job, Progress

log = logging.getLogger(__name__)
HEARTBEAT = Progress("heartbeat")
CHILD_NICE = 10  # lower CPU priority of the child on POSIX systems
JOIN_TIMEOUT_S = 300.0  # a cancel waits for the iteration under way (slow on a CPU)


class ChildProcessError(VertAppError):
    """The background process died (killed, out of system memory) before answering."""


def run_in_process(
    target: Callable[..., Job[Any]],
    *args: Any,
    heartbeat_s: float = 0.2,
    torch_threads: int | None = None,
) -> Job[Any]:
    """Drive `target(*args)` (a job function importable by the child) in a spawned process."""
    ctx = mp.get_context("spawn")  # never fork a process that runs Qt threads
    receiver, sender = ctx.Pipe(duplex=False)
    cancel = ctx.Event()
    proc = ctx.Process(
        target=_child, args=(sender, cancel, target, args, torch_threads), daemon=True
    )
    proc.start()
    sender.close()
    answered = False
    try:
        while True:
            if not receiver.poll(heartbeat_s):
                if not proc.is_alive() and not receiver.poll():
                    raise ChildProcessError(
                        f"the background process stopped unexpectedly (exit code {proc.exitcode}); "
                        "the system may have run out of memory"
                    )
                yield HEARTBEAT
                continue
            try:
                message = receiver.recv()
            except EOFError:
                raise ChildProcessError(
                    "the background process stopped unexpectedly; the system may have run "
                    "out of memory"
                ) from None
            kind = message[0]
            if kind == "progress":
                yield message[1]
            elif kind == "done":
                answered = True
                return message[1]
            elif kind == "error":
                answered = True
                raise VertAppError(message[1])
    finally:
        if not answered:
            cancel.set()
        proc.join(JOIN_TIMEOUT_S)
        if proc.is_alive():
            log.warning("background process did not stop in time; terminating it")
            proc.terminate()
            proc.join(5)
        receiver.close()


def lower_priority() -> None:
    """Let the window's process win the CPU when both want it (training is a batch job)."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):  # not allowed here: run at normal priority
            os.nice(CHILD_NICE)


def _child(
    sender: Any, cancel: Any, target: Callable[..., Job[Any]], args: tuple, threads: Any
) -> None:
    """Runs in the child: drive the job, send events, stop early when asked."""

    def send(message: tuple) -> None:
        try:
            sender.send(message)
        except (BrokenPipeError, EOFError, OSError):  # the GUI went away: nobody listens
            cancel.set()

    lower_priority()
    try:
        drive(send, cancel, target, args, threads)
    finally:
        sender.close()


def set_torch_threads(threads: int | None) -> None:
    """In a child: torch's CPU threads for the job (None: torch's own choice)."""
    if threads:
        import torch

        torch.set_num_threads(int(threads))


def drive(
    send: Callable[[tuple], None],
    cancel: Any,
    target: Callable[..., Job[Any]],
    args: tuple,
    threads: int | None,
) -> None:
    """In a child: run `target(*args)`, sending its events and then exactly one of
    ("done", value), ("error", text), ("cancelled",). `cancel.is_set()`: stop it."""
    set_torch_threads(threads)
    try:
        job = target(*args)
        while True:
            if cancel.is_set():
                job.close()  # GeneratorExit at the engine's yield: its finally blocks run
                send(("cancelled",))
                return
            try:
                event = next(job)
            except StopIteration as stop:
                send(("done", stop.value))
                return
            if cancel.is_set():
                continue
            send(("progress", event))
    except VertAppError as err:
        send(("error", str(err)))
    except Exception as err:  # a bug: say what it was in one line, keep the traceback in the log
        traceback.print_exc()
        send(("error", f"Unexpected error: {type(err).__name__}: {err}"))
