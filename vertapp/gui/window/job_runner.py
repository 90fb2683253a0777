"""The window's one status-bar job at a time: start it, show progress, cancel, report.

Opening files and reading a source CT run here (see `widgets/worker.py` for the thread);
save and export have workers of their own (`files_controller.py`) so they never block it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from vertapp.gui.widgets.progress_box import ProgressBox
from vertapp.gui.widgets.worker import JobWorker
from vertapp.gui.window.host import WindowHost


class JobRunner(QObject):
    """`failed(message)` and `cancelled()` fire after a job's own slots have run."""

    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, progress: ProgressBox, host: WindowHost, parent: QObject) -> None:
        super().__init__(parent)
        self.progress = progress
        self.host = host
        self.worker: JobWorker | None = None
        self._job_done = True
        progress.cancel_button.clicked.connect(self.cancel)

    def run(self, factory: Any, text: str, on_done: Any) -> JobWorker | None:
        """Run a core job in a worker thread; None (and a message) if one is still running."""
        if self.busy():
            self.host.show_error("Another task is still running; wait for it or cancel it.")
            return None
        if self.worker is not None:
            self.worker.wait()  # it has delivered its result; the thread is just ending
        worker = JobWorker(factory, self.parent())
        worker.finished_ok.connect(self._mark_done)  # first: runs before on_done
        worker.failed.connect(self._mark_done)
        worker.cancelled.connect(self._mark_done)
        worker.progress.connect(self.progress.update_progress)
        worker.finished_ok.connect(on_done)
        worker.failed.connect(self.failed)
        worker.cancelled.connect(self.cancelled)
        # A stale worker's end (a superseded CT read) must not hide the next job's progress.
        worker.finished.connect(
            lambda w=worker: self.progress.finish() if w is self.worker else None
        )
        self.worker = worker
        self._job_done = False
        self.progress.start(text)
        worker.start()
        return worker

    def busy(self) -> bool:
        """A background job is running and has not delivered its outcome yet."""
        return self.worker is not None and self.worker.isRunning() and not self._job_done

    def _mark_done(self, *_args: object) -> None:
        self._job_done = True

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.progress.cancel_button.setEnabled(False)

    def stop(self, timeout_ms: int = 5000) -> None:
        """Cancel a running job and wait for its thread (the window is closing)."""
        if self.worker is not None and self.worker.isRunning():
            self.worker.cancel()
            self.worker.wait(timeout_ms)
