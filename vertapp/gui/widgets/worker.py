"""Drive a core job (a generator of `Progress`, see `vertapp.jobs`) from a QThread.

The job runs in the worker thread; the GUI thread only receives signals, so
widgets are never touched off the GUI thread. `cancel()` asks the thread to
stop; the job is closed at its next `yield`, which runs its `finally` blocks.

Lifecycle: a QThread must not be destroyed (deleted, or garbage-collected) while it
runs. Whoever starts a worker keeps a reference to it until `finished`, then calls
`release()` and `deleteLater()` on the GUI thread (see `window/job_runner.py`).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from vertapp.errors import CancelledError, VertAppError
from vertapp.gui.widgets.qt_override import qt_override
from vertapp.jobs import Job, Progress

log = logging.getLogger(__name__)


def _released() -> Job[Any]:
    raise RuntimeError("this worker has been released; start a new one")


class JobWorker(QThread):
    """Run `factory()` (which returns a job generator) in a thread.

    Signals (delivered on the GUI thread through queued connections):
    progress(Progress), finished_ok(object result), failed(str message), cancelled().
    """

    progress = Signal(object)
    finished_ok = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, factory: Callable[[], Job[Any]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self.result: Any = None
        self.error: str | None = None
        self.was_cancelled = False

    def cancel(self) -> None:
        self.requestInterruption()

    def release(self) -> None:
        """Drop the result and the factory (which may hold volumes) once they are delivered;
        called on the GUI thread after the thread has ended."""
        self.result = None
        self._factory = _released

    @qt_override
    def run(self) -> None:  # runs in the worker thread
        job = None
        try:
            job = self._factory()
            while True:
                if self.isInterruptionRequested():
                    job.close()
                    self.was_cancelled = True
                    self.cancelled.emit()
                    return
                try:
                    event = next(job)
                except StopIteration as stop:
                    self.result = stop.value
                    self.finished_ok.emit(stop.value)
                    return
                if isinstance(event, Progress):
                    self.progress.emit(event)
        except CancelledError:
            self.was_cancelled = True
            self.cancelled.emit()
        except VertAppError as err:
            self.error = str(err)
            self.failed.emit(self.error)
        except Exception as err:  # a bug: keep the app alive, log the traceback
            log.error("background job failed:\n%s", traceback.format_exc())
            self.error = f"Unexpected error: {type(err).__name__}: {err}"
            self.failed.emit(self.error)
