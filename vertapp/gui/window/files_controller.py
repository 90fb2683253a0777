"""Opening, saving, exporting, recent files and the never-lose-work prompts of the window."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from vertapp.config import config_dir
from vertapp.errors import VertAppError
from vertapp.gui.document.open_jobs import (
    OpenedCT,
    OpenedRadiograph,
    classify,
    open_any_job,
    open_ct_job,
    open_project_job,
    open_radiograph_job,
)
from vertapp.gui.widgets.worker import JobWorker
from vertapp.io.volume import display_name

if TYPE_CHECKING:
    from vertapp.gui.document.document import Document, PendingSave

MAX_RECENT = 10
log = logging.getLogger(__name__)


def settings() -> QSettings:
    """App settings in the app's own config folder (tests point it at a temp dir)."""
    return QSettings(str(config_dir() / "gui.ini"), QSettings.Format.IniFormat)


if TYPE_CHECKING:  # type-check the mixin as the window it is mixed into
    from PySide6.QtWidgets import QMainWindow as _Window
else:
    _Window = object


class FilesMixin(_Window):
    """File menu commands and prompts; `loaded(ok)` is the window's signal."""

    # A save writing project.json in the background (one at a time; see `save`).
    _save_worker: JobWorker | None = None
    _saving: PendingSave | None = None
    _save_again = False
    # An export writing in the background (one at a time).
    _export_worker: JobWorker | None = None

    if TYPE_CHECKING:
        doc: Document
        worker: JobWorker | None
        loaded: Signal
        menu_recent: QMenu
        _ct_loading: bool
        _pending_loaded: bool

        def show_error(self, message: str) -> None: ...
        def run_job(self, factory: Any, text: str, on_done: Any) -> JobWorker | None: ...
        def _update_title(self, *_args: object) -> None: ...
        def property(self, name: str) -> Any: ...

    def open_path(self, path: str | Path) -> None:
        """Open a volume, DICOM folder, radiograph or project folder (asynchronously)."""
        path = str(path)
        self.wait_for_save()
        if not self.confirm_discard():
            return
        try:
            kind = classify(path)
        except VertAppError as err:
            self.show_error(str(err))
            self.loaded.emit(False)
            return
        self._remember_recent(path)
        if kind == "project":
            self._open_project(path)
        elif kind == "radiograph":
            self.run_job(
                lambda: open_radiograph_job(path), f"Reading {display_name(path)}", self._on_opened
            )
        elif kind == "dicom_file":
            self.run_job(
                lambda: open_any_job(path), f"Reading {display_name(path)}", self._on_opened
            )
        else:
            self.run_job(
                lambda: open_ct_job(path), f"Opening {display_name(path)}", self._on_opened
            )

    def _open_project(self, path: str) -> None:
        folder = Path(path).parent if Path(path).is_file() else Path(path)
        self.run_job(
            lambda: open_project_job(str(folder)),
            f"Opening {folder.name}",
            lambda project: self._on_project_loaded(folder, project),
        )

    def _on_project_loaded(self, folder: Path, project: Any) -> None:
        try:
            self.doc.open_project(folder, project)
        except (VertAppError, OSError) as err:
            self.show_error(str(err))
            self.loaded.emit(False)
            return
        self._offer_recovery()
        if self._ct_loading:
            self._pending_loaded = True  # the source CT is being read: "loaded" after it
        else:
            self.loaded.emit(True)

    def _on_opened(self, opened: OpenedCT | OpenedRadiograph) -> None:
        if isinstance(opened, OpenedCT):
            image_id = self.doc.new_from_ct(opened)
        else:
            image_id = self.doc.new_from_radiograph(opened)
        self.doc.set_current(image_id)
        self._offer_untitled_recovery()
        for warning in getattr(getattr(opened, "mip", None), "warnings", []) or []:
            self.statusBar().showMessage(warning, 15000)
        self.loaded.emit(True)

    def _offer_untitled_recovery(self) -> None:
        saved = self.doc.untitled_recovery()
        if saved is None:
            return
        yes_no = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        answer = self.ask(
            "Recover unsaved edits?",
            f"Unsaved annotations of {self.doc.title} from a previous session were found. "
            "Recover them?",
            yes_no,
            None,
        )
        if answer == QMessageBox.StandardButton.Yes:
            current = self.doc.current_id
            self.doc.adopt_untitled(saved)
            self.doc.set_current(current if current in self.doc.image_ids else None)
            self._update_title()

    def ask_open_volume(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open CT volume",
            "",
            "Volumes (*.nii *.nii.gz *.mha *.mhd *.nrrd *.dcm);;All files (*)",
        )
        if path:
            self.open_path(path)

    def ask_open_dicom(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open DICOM folder")
        if path:
            self.open_path(path)

    def ask_open_radiograph(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open radiograph",
            "",
            "Radiographs (*.png *.jpg *.jpeg *.tif *.tiff *.dcm);;All files (*)",
        )
        if path:
            self.open_path(path)

    def ask_open_project(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open project folder")
        if path:
            self.open_path(path)

    def ask_save_as(self) -> bool:
        path = QFileDialog.getExistingDirectory(self, "Save project into folder")
        return bool(path) and self.save(Path(path))

    def ask_export_coco(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export COCO", "annotations.json", "COCO JSON (*.json)"
        )
        if path:
            self.export(Path(path), "coco")

    def ask_export_via(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export VIA", "via_project.json", "VIA JSON (*.json)"
        )
        if path:
            self.export(Path(path), "via")

    def export(self, path: Path, fmt: str) -> bool:
        """Write the project as `fmt` in the background (a 1500-image project takes
        seconds); the window stays usable and the status bar says when it is written."""
        if self._export_worker is not None:
            self.show_error("An export is still being written; try again when it is done.")
            return False
        try:
            job = self.doc.export_job(path, fmt)
        except (VertAppError, OSError) as err:
            self.show_error(str(err))
            return False
        self._export_worker = self._background(
            lambda: job, self._export_done, f"Exporting {path.name}…"
        )
        return True

    def _background(self, factory: Any, done: Any, message: str) -> JobWorker:
        """Save and export run beside the status-bar job (`run_job`): a worker of their
        own whose `done` slot reads its result on the GUI thread (queued)."""
        worker = JobWorker(factory, self)
        worker.finished.connect(done)
        self.statusBar().showMessage(message)
        worker.start()
        return worker

    def wait_for_export(self) -> None:
        if self._export_worker is not None:
            self._export_worker.wait()
            self._export_done()

    def _export_done(self) -> None:
        worker = self._export_worker
        if worker is None or worker.isRunning():
            return  # already handled (wait_for_export), or a stale signal
        worker.wait()
        worker.deleteLater()
        self._export_worker = None
        if worker.error is not None:
            self.show_error(worker.error)
        elif worker.result:
            self.statusBar().showMessage(f"Exported {Path(worker.result[0]).name}", 5000)

    # ------------------------------------------------------------ recent files
    def recent_files(self) -> list[str]:
        value = settings().value("recent", [])
        return [str(v) for v in (value if isinstance(value, list) else [value] if value else [])]

    def _remember_recent(self, path: str) -> None:
        items = [p for p in self.recent_files() if p != path]
        settings().setValue("recent", [path, *items][:MAX_RECENT])

    def _fill_recent(self) -> None:
        self.menu_recent.clear()
        for path in self.recent_files():
            act = self.menu_recent.addAction(display_name(path))
            act.setToolTip(path)
            act.triggered.connect(lambda _c=False, p=path: self.open_path(p))
        if not self.menu_recent.actions():
            self.menu_recent.addAction("(none)").setEnabled(False)

    # ================================================================ saving
    def save(self, folder: Path | None = None, *, wait: bool | None = None) -> bool:
        """Save the project; False if it failed (the message is shown) or was cancelled.

        Saving in place (Ctrl+S) runs in the background: the window stays usable and
        edits made meanwhile stay unsaved. `wait` (default: when a new folder is given)
        saves before returning, for the close prompt and "Save as".
        """
        if folder is None and self.doc.project.root is None:
            return self.ask_save_as()
        if self._save_worker is not None:
            if not (wait or folder is not None):
                self._save_again = True  # Ctrl+S again while saving: once more when done
                return True
            self.wait_for_save()
        if wait or (wait is None and folder is not None):
            return self._guarded(lambda: self.doc.save(folder), "Saved")
        return self._save_in_background(folder)

    def _save_in_background(self, folder: Path | None) -> bool:
        from vertapp.gui.document.document import save_job

        try:
            pending = self.doc.begin_save(folder)
        except (VertAppError, OSError) as err:
            self.show_error(str(err))
            return False
        self._saving = pending
        self._save_worker = self._background(lambda: save_job(pending), self._save_done, "Saving…")
        return True

    def wait_for_save(self) -> None:
        """Block until a background save has finished and been recorded."""
        if self._save_worker is not None:
            self._save_worker.wait()
            self._save_done()

    def _save_done(self) -> None:
        worker, pending = self._save_worker, self._saving
        if worker is None or pending is None or worker.isRunning():
            return  # already handled (wait_for_save), or a stale signal
        worker.wait()
        worker.deleteLater()  # it holds the snapshot (the window is its parent)
        self._save_worker = self._saving = None
        if worker.error is None and not worker.was_cancelled:
            self._guarded(lambda: self.doc.finish_save(pending, worker.result), "Saved")
        else:
            self.show_error(worker.error or "Saving was cancelled; the file is unchanged")
            self._update_title()
        if self._save_again:
            self._save_again = False
            if self.doc.modified:
                self.save()

    def _guarded(self, fn: Any, done: str) -> bool:
        try:
            fn()
        except (VertAppError, OSError) as err:
            self.show_error(str(err))
            return False
        self.statusBar().showMessage(done, 5000)
        self._update_title()
        return True

    def autosave(self) -> None:
        try:
            self.doc.autosave()
        except (VertAppError, OSError) as err:
            log.warning("autosave failed: %s", err)

    def ask(self, title: str, text: str, buttons: Any, default: Any) -> Any:
        """A question to the user; unattended runs (screenshots) get `default` without asking."""
        if self.property("headless"):
            return default
        return QMessageBox.question(self, title, text, buttons)

    def _offer_recovery(self) -> None:
        if not self.doc.has_recovery():
            return
        yes_no = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        answer = self.ask(
            "Recover unsaved edits?",
            "VertApp found edits to this project that were not saved (the app did not "
            "close normally). Recover them?",
            yes_no,
            None,  # unattended: decide nothing, keep the journal for a person
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._guarded(self.doc.recover, "Recovered unsaved edits")
        elif answer == QMessageBox.StandardButton.No:
            self.doc.discard_recovery()

    def confirm_discard(self) -> bool:
        """True when there is nothing unsaved or the user chose to save or discard it."""
        if not self.doc.modified:
            return True
        buttons = (
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        answer = self.ask(
            "Unsaved edits",
            f"Save the edits to {self.doc.title or 'this project'}?",
            buttons,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save(wait=True)
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        self.wait_for_save()
        self.wait_for_export()  # let the file be written whole
        if not self.confirm_discard():
            event.ignore()
            return
        if self.worker is not None and self.worker.isRunning():
            self.worker.cancel()
            self.worker.wait(5000)
        workflow = getattr(self, "model_workflow", None)
        if workflow is not None:  # training/prediction threads must end before the window
            workflow.shutdown()
        self.doc.close_session()
        event.accept()
