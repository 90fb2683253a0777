"""The window's one status-bar job at a time: start it, show progress, cancel, report.

Opening files and reading a source CT run here (see `widgets/worker.py` for the thread);
save and export have workers of their own (`files_controller.py`) so they never block it.

Worker lifecycle (the GUI thread never waits on a running job, except on close):
a worker has no Qt parent and is held in `JobRunner._running` (and the module's
`_UNFINISHED`) until its thread has ended; then its result is dropped and it is
`deleteLater`-ed. A job replaced by a newer one (`run(..., replace=True)`, a CT read
for an image no longer shown) is cancelled and left to end on its own: its outcome and
progress are ignored, so only the newest job speaks and `busy()` says whether it has.
At most `MAX_THREADS` of the runner's workers run at once: a job cannot stop inside a
read, so browsing at key-repeat speed would otherwise pile up a read per key (each
~250 ms of CPU, a volume each); the newest then waits, unstarted, for one to end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDeadlineTimer, QObject, QTimer, Signal
from shiboken6 import isValid

from vertapp.gui.widgets.progress_box import ProgressBox
from vertapp.gui.widgets.worker import JobWorker
from vertapp.gui.window.host import WindowHost
from vertapp.jobs import Progress

# Every started worker until its thread has ended, whatever happens to the window: a
# QThread destroyed (or garbage-collected) while it runs aborts the process.
_UNFINISHED: set[JobWorker] = set()
MAX_THREADS = 2  # a replaced job still ending, and the newest one


def _release(worker: JobWorker) -> None:
    """The thread has ended (`finished`): drop its result and delete it, never while running."""
    if not isValid(worker):
        _UNFINISHED.discard(worker)
        return
    if worker.isRunning():  # `finished` is sent a moment before the thread is done
        QTimer.singleShot(10, lambda: _release(worker))
        return
    _UNFINISHED.discard(worker)
    worker.release()
    worker.deleteLater()  # also drops its connections, and with them the last references


class JobRunner(QObject):
    """`failed(message)` and `cancelled()` fire after a job's own slots have run."""

    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, progress: ProgressBox, host: WindowHost, parent: QObject) -> None:
        super().__init__(parent)
        self.progress = progress
        self.host = host
        self.worker: JobWorker | None = None  # the newest job, until its thread ends
        self._running: set[JobWorker] = set()  # every worker whose thread has not ended
        self._job_done = True  # the newest job has delivered its outcome
        self._waiting: JobWorker | None = None  # the newest, not started: see MAX_THREADS
        progress.cancel_button.clicked.connect(self.cancel)

    def run(
        self, factory: Any, text: str, on_done: Any, *, replace: bool = False
    ) -> JobWorker | None:
        """Run a core job in a worker thread; None (and a message) if one is still running.

        `replace`: a running job is cancelled and forgotten instead (it ends on its own,
        its result unused), and this one starts at once, or as soon as fewer than
        `MAX_THREADS` replaced ones are still ending (never waited for here)."""
        if self.busy():
            if not replace:
                self.host.show_error("Another task is still running; wait for it or cancel it.")
                return None
            self._retire()
        worker = JobWorker(factory)  # no parent: see `_UNFINISHED`
        # Only the newest job's signals count: a replaced one's are dropped here.
        worker.progress.connect(lambda event: self._on_progress(worker, event))
        worker.finished_ok.connect(lambda result: self._on_ok(worker, on_done, result))
        worker.failed.connect(lambda message: self._on_failed(worker, message))
        worker.cancelled.connect(lambda: self._on_cancelled(worker))
        worker.finished.connect(lambda: self._on_ended(worker))
        self.worker = worker
        self._job_done = False
        self.progress.start(text)
        self._waiting = worker
        self._start_waiting()
        return worker

    def _start_waiting(self) -> None:
        worker = self._waiting
        if worker is not None and len(self._running) < MAX_THREADS:
            self._waiting = None
            self._running.add(worker)
            _UNFINISHED.add(worker)
            worker.start()

    def busy(self) -> bool:
        """The newest job is running and has not delivered its outcome yet."""
        return self.worker is not None and not self._job_done

    def running(self) -> int:
        """Worker threads of this runner not ended yet (replaced ones included)."""
        return len(self._running)

    def _current(self, worker: JobWorker) -> bool:
        return worker is self.worker and isValid(self)

    def _on_progress(self, worker: JobWorker, event: Progress) -> None:
        if self._current(worker):
            self.progress.update_progress(event)

    def _on_ok(self, worker: JobWorker, on_done: Callable[[Any], None], result: Any) -> None:
        worker.result = None  # delivered: the job's slot keeps what it needs
        if self._current(worker):
            self._job_done = True
            on_done(result)

    def _on_failed(self, worker: JobWorker, message: str) -> None:
        if self._current(worker):
            self._job_done = True
            self.failed.emit(message)

    def _on_cancelled(self, worker: JobWorker) -> None:
        if self._current(worker):
            self._job_done = True
            self.cancelled.emit()

    def _on_ended(self, worker: JobWorker) -> None:
        self._running.discard(worker)
        if self._current(worker):
            self._job_done = True  # no outcome came (it cannot happen; never stuck busy)
            self.worker = None
            self.progress.finish()
        _release(worker)
        if isValid(self):
            self._start_waiting()

    def _retire(self) -> None:
        """Cancel the newest job and forget it: it ends on its own, unheard (one not
        started yet is dropped)."""
        if self.worker is not None and self.worker is self._waiting:
            self._waiting = None
            self.worker.deleteLater()  # never started: no thread to wait for
        elif self.worker is not None:
            self.worker.cancel()
        self.worker = None
        self._job_done = True

    def cancel(self) -> None:
        if self.worker is not None and self.worker is self._waiting:  # the user's Cancel
            self._retire()
            self.progress.finish()
            self.cancelled.emit()
        elif self.worker is not None:
            self.worker.cancel()
            self.progress.cancel_button.setEnabled(False)

    def stop(self, timeout_ms: int = 5000) -> None:
        """The window is closing: cancel every running job, its outcome unused, and wait
        for their threads, `timeout_ms` in all (one not ended by then is still held)."""
        self._retire()
        for worker in self._running:
            worker.cancel()
        deadline = QDeadlineTimer(timeout_ms)
        for worker in list(self._running):
            worker.wait(deadline)
