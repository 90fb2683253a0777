"""One import controller's running job, and the project an empty window made for it.

File > Import labelled CT… and File > Import landmark radiographs… both ask an empty
window for a new project folder before their job starts (`import_target`). Whatever
ends the job without an import (it cannot start, it fails, it is cancelled, it errs)
takes that project back (`take_back`) and says so: kept here once for both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vertapp.gui.document.document import Document
from vertapp.gui.widgets.worker import JobWorker
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.import_target import Target, say_failed, say_stopped, take_back
from vertapp.gui.window.job_runner import JobRunner


class ImportRun:
    def __init__(self, doc: Document, host: WindowHost, jobs: JobRunner) -> None:
        self.doc, self.host, self.jobs = doc, host, jobs
        self.target = Target()  # the running import's
        self.worker: JobWorker | None = None  # the running import
        jobs.cancelled.connect(self._on_stopped)
        jobs.failed.connect(self._on_stopped)

    def start(
        self, target: Target, factory: Callable[[], Any], text: str, on_done: Callable
    ) -> bool:
        """Run the import's job; False when another job runs (said by the runner): the
        project made for this one goes."""
        worker = self.jobs.run(factory, text, on_done)
        if worker is None:
            take_back(self.doc, target, hidden=not self.doc.keep_names)
            return False
        self.target, self.worker = target, worker
        return True

    def ended(self) -> None:
        """The job delivered its outcome (`on_done` runs)."""
        self.worker = None

    def failed(self, reason: str) -> None:
        """Its outcome was a refusal: the project made for it goes, said with `reason`."""
        say_failed(self.doc, self.host, self.target, reason)

    def _on_stopped(self, *_: object) -> None:
        """Any job of the window ended without a result: if it was this import, a
        project made for it goes (said after the job runner's "Cancelled" or error)."""
        if self.worker is None or self.jobs.worker is not self.worker:
            return
        self.worker = None
        say_stopped(self.doc, self.host, self.target)
