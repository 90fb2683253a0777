"""A child process kept warm between predictions (no Qt here).

Each prediction used to spawn its own child (child_process.py): importing torch,
torchvision and the engine took ~4 s of the 5.5-9.7 s a reviewer waited after
"Predict current image" on a real CT, for a model that predicts in ~0.4 s. `WarmProcess`
keeps one spawned child between jobs (`persistent_child.PersistentChild`), so only the
first prediction of a session pays for the imports, and `prestart` lets the session pay
them before the first "Predict" instead. The child is the same kind as before (spawned,
lower priority, jobs driven by `child_process.drive`), so the window stays as fluid as
it was; it leaves after `idle_s` without a job (the memory torch holds goes back).

One job at a time: a second caller while a job runs gets a one-off child of its own
(`run_in_process`), as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from vertapp.gui.model.child_process import run_in_process, set_torch_threads
from vertapp.gui.model.persistent_child import PersistentChild
from vertapp.jobs import Job

IDLE_S = 600.0  # a child with no job for this long leaves (torch holds ~0.5 GB)


class WarmProcess:
    """One spawned child that runs job after job (see the module doc)."""

    def __init__(self, idle_s: float = IDLE_S) -> None:
        self._busy = threading.Lock()
        self._child = PersistentChild(_run_target, idle_s=idle_s)

    @property
    def idle_s(self) -> float | None:
        return self._child.idle_s

    @property
    def pid(self) -> int | None:
        """The warm child's process id (None when there is none)."""
        return self._child.pid

    def run(
        self,
        target: Callable[..., Job[Any]],
        *args: Any,
        heartbeat_s: float = 0.2,
        torch_threads: int | None = None,
    ) -> Job[Any]:
        """Drive `target(*args)` (importable by the child) in the warm child, as
        `run_in_process` does in a new one: its events, then its result. A cancel waits
        until the job's `finally` blocks ran in the child (a checkpoint stays whole)."""
        if not self._busy.acquire(blocking=False):  # a job already runs: a child of its own
            return (
                yield from run_in_process(
                    target, *args, heartbeat_s=heartbeat_s, torch_threads=torch_threads
                )
            )
        try:
            return (
                yield from self._child.ask(
                    "job", target, args, torch_threads, poll_s=heartbeat_s, settle=True
                )
            )
        finally:
            self._busy.release()

    def prestart(self, warm_up: Callable[[], Job[Any]]) -> bool:
        """Start the child ahead of its first job and have it run `warm_up` (the imports
        a job pays once) at once; a job sent meanwhile waits in the same child for the
        warm-up to end. Nothing when a child is there or a job runs (never two children).
        True when it started one."""
        if not self._busy.acquire(blocking=False):
            return False
        try:
            if not self._child.start():
                return False
            self._child.post("job", warm_up, (), None)
            return True
        finally:
            self._busy.release()

    def stop(self) -> None:
        """End the warm child now, unless a job runs (the window's close and the app's
        quit end it anyway: `persistent_child.close_all`)."""
        if self._busy.acquire(blocking=False):
            try:
                self._child.close()
            finally:
                self._busy.release()


def _run_target(
    kind: str, target: Callable[..., Job[Any]], args: tuple, threads: int | None
) -> Job[Any]:
    """In the child: the job a ("job", target, args, threads) request names."""
    set_torch_threads(threads)
    return target(*args)
