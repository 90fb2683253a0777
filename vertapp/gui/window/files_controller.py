"""Opening, saving, exporting, recent files and the never-lose-work prompts of the window."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from vertapp.annotations import store
from vertapp.annotations.project_lock import LockInfo
from vertapp.errors import VertAppError
from vertapp.gui.document.document import Document
from vertapp.gui.document.files import CollectorPause, PendingSave, save_job
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
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.image_controller import ImageController
from vertapp.gui.window.job_runner import JobRunner
from vertapp.gui.window.last_folder import (
    EXPORTS,
    PROJECTS,
    RADIOGRAPHS,
    SCANS,
    last_folder,
    remember_choice,
)
from vertapp.gui.window.lock_prompt import (
    EDIT,
    READ_ONLY,
    TAKE_OVER,
    ask_in_use,
    read_only_words,
    taken_over_words,
)
from vertapp.gui.window.names import (
    fill_recent,
    hide_identifiers,
    recent_files,
    remember_recent,
    set_hide_identifiers,
    shown_path,
    shown_title,
)
from vertapp.gui.window.recovery_prompts import RecoveryPrompts
from vertapp.gui.window.save_dialog import ask_new_project_folder
from vertapp.io.volume import Volume
from vertapp.logs import register_path
from vertapp.review.export_words import export_sentence

WARNING_HEADING = "Check this scan before annotating it:"
VOLUME_FILES = "Volumes (*.nii *.nii.gz *.mha *.mhd *.nrrd *.dcm);;All files (*)"
RADIOGRAPH_FILES = "Radiographs (*.png *.jpg *.jpeg *.tif *.tiff *.dcm);;All files (*)"
# The export's sentence stays longer than the status bar's usual 5 s: it says how many of
# the outlines written nobody reviewed, which is read, not glanced at.
EXPORT_SAID_MS = 12000
log = logging.getLogger(__name__)


def scan_warnings(opened: OpenedCT | OpenedRadiograph) -> list[str]:
    """What the reader (not CT, odd geometry, damaged data) and preprocessing doubted, and
    the other series of a DICOM folder (the reader opens the largest CT one)."""
    if isinstance(opened, OpenedRadiograph):
        return list(opened.radiograph.warnings)
    return [*opened.volume.warnings, *other_series(opened.volume), *opened.mip.warnings]


def scan_notes(opened: OpenedCT | OpenedRadiograph) -> list[str]:
    """What the reader did that needs no look from the user (float values rounded, a PNG
    without pixel size): shown in the warning bar, it trained users to ignore the bar."""
    if isinstance(opened, OpenedRadiograph):
        film = opened.radiograph
        # measured lengths depend on it: said where the reader found it (a DICOM film)
        found = [f"pixel spacing {spacing_words(film.pixel_spacing)}"] if film.pixel_spacing else []
        return [*film.notes, *found]
    return list(opened.volume.notes)


def spacing_words(spacing: tuple[float, float]) -> str:
    rows, cols = spacing
    return f"{rows:.3g} mm" if rows == cols else f"{rows:.3g} mm (rows) x {cols:.3g} mm (columns)"


def tell_notes(host: WindowHost, notes: list[str], ms: int = 10000) -> None:
    """Information only: to the log and the status bar, never the warning bar or a box."""
    for note in notes:
        log.info("%s", note)
    # none: the last scan's note goes ("spacing unknown" of a PNG stayed over a DICOM film)
    host.show_status(f"Note: {'; '.join(notes)}" if notes else "", ms)


def other_series(volume: Volume) -> list[str]:
    """A DICOM folder of several series opened one: the user may have meant another, or
    the export mixed two scans; said nowhere, they annotated the wrong one unaware."""
    others = list(volume.other_series)
    if not others:
        return []
    description = volume.series_description or "no description"
    opened = f"{volume.modality} '{description}' ({volume.shape[0]} slices)"
    return [
        f"This folder holds {len(others) + 1} series; opened {opened}; not opened: "
        f"{'; '.join(others)}"
    ]


class FilesController(QObject):
    """File menu commands and prompts. Opens run on the `jobs` runner and report through
    `images.report_loaded`; save and export run on workers of their own."""

    def __init__(
        self,
        doc: Document,
        host: WindowHost,
        jobs: JobRunner,
        images: ImageController,
    ) -> None:
        super().__init__(jobs)
        self.doc, self.host, self.jobs, self.images = doc, host, jobs, images
        # A save writing project.json in the background (one at a time; see `save`).
        self.save_worker: JobWorker | None = None
        self._saving: PendingSave | None = None
        self._pause: CollectorPause | None = None  # the collector, off while a save runs
        self._save_again = False
        # Said when the save asked for it ends, in place of "Saved" (an import's summary:
        # shown before the save, it was replaced by "Saved" and never read).
        self._say_when_saved = ""
        # A save into a new folder under way: what "Saved" must say instead (save_as_words)
        self._saving_as = ""
        # An export writing in the background (one at a time).
        self.export_worker: JobWorker | None = None
        self._export_said = ""  # the sentence for the export under way, counted at its snapshot
        self.prompts = RecoveryPrompts(doc, host, images, self._open_project)
        doc.unprotected.connect(self._unprotected)
        doc.discard_failed.connect(host.show_error)  # discarded edits still on disk: why
        doc.folder_lost.connect(self._folder_lost)
        doc.keep_names = not hide_identifiers()  # images named after their files: opt-in

    def open_path(self, path: str | Path) -> None:
        """Open a volume, DICOM folder, radiograph or project folder (asynchronously)."""
        path = str(path)
        if hide_identifiers():  # its names stay out of the log from here on
            register_path(path)
        self.wait_for_save()
        if not self.confirm_discard():
            return
        self.host.show_warnings("", [])  # the last scan's doubts are not this one's
        try:
            kind = classify(path)
        except VertAppError as err:
            self.host.show_error(str(err))
            self.images.report_loaded(False)
            return
        remember_recent(path)
        if kind == "backup_only":
            self.prompts.open_backup_only(path)
        elif kind == "project":
            self._open_project(path)
        elif kind == "radiograph":
            self.jobs.run(
                lambda: open_radiograph_job(path), f"Reading {shown_path(path)}", self._on_opened
            )
        elif kind == "dicom_file":
            self.jobs.run(
                lambda: open_any_job(path), f"Reading {shown_path(path)}", self._on_opened
            )
        else:
            self.jobs.run(lambda: open_ct_job(path), f"Opening {shown_path(path)}", self._on_opened)

    def _open_project(self, path: str) -> None:
        folder = Path(path).parent if Path(path).is_file() else Path(path)
        holder = self.doc.lock_holder(folder)  # asked before a big project is read
        how = EDIT if holder is None else ask_in_use(self.host, holder)
        if how is None:
            self.host.show_status(f"{shown_path(folder)}: not opened (in use elsewhere)", 10000)
            self.images.report_loaded(False)
            return
        self.jobs.run(
            lambda: open_project_job(str(folder)),
            f"Opening {shown_path(folder)}",
            lambda project: self._on_project_loaded(folder, project, how, holder),
        )

    def _on_project_loaded(
        self, folder: Path, project: Any, how: str = EDIT, holder: LockInfo | None = None
    ) -> None:
        """`how` the user chose to open a project `holder` (LockInfo) has open."""
        read_only = read_only_words(holder) if how == READ_ONLY and holder else ""
        try:
            self.doc.open_project(folder, project, read_only=read_only, take_over=how == TAKE_OVER)
        except (VertAppError, OSError) as err:  # ProjectInUse: locked since it was asked
            self.host.show_error(str(err))
            self.images.report_loaded(False)
            return
        if how == TAKE_OVER and holder is not None:
            self.host.show_error(taken_over_words(holder))
        self.prompts.offer_recovery()
        self.images.report_loaded(True)  # after the source CT if it is being read
        if read_only:  # why: in the bar above the image (the title brings it up)
            self.host.show_status("Opened read-only", 10000)
            self.host.update_title()

    def _unprotected(self, message: str) -> None:
        """No crash journal in the project's folder (read-only, full): the project stays
        open, and the user learns at once that its edits must be saved elsewhere."""
        self.host.show_error(message)

    def _folder_lost(self, message: str) -> None:
        """Another window opened this project anyway: this one is read-only from now on
        (the title says so), and the user hears where the unsaved edits are kept (from
        the refusal itself when a write found it out: `message` is "" then)."""
        if message:
            self.host.show_error(message)
        self.host.update_title()

    def _on_opened(self, opened: OpenedCT | OpenedRadiograph) -> None:
        if isinstance(opened, OpenedCT):
            image_id = self.doc.new_from_ct(opened)
        else:
            image_id = self.doc.new_from_radiograph(opened)
        self.doc.set_current(image_id)
        self.host.show_warnings(WARNING_HEADING, scan_warnings(opened))
        tell_notes(self.host, scan_notes(opened))
        self.prompts.offer_untitled_recovery(self.shown_title())
        self.images.report_loaded(True)

    def ask_open_volume(self) -> None:
        self._open_chosen(SCANS, QFileDialog.getOpenFileName, "Open CT volume", VOLUME_FILES)

    def ask_open_dicom(self) -> None:
        self._open_chosen(SCANS, QFileDialog.getExistingDirectory, "Open DICOM folder")

    def ask_open_radiograph(self) -> None:
        title = "Open radiograph"
        self._open_chosen(RADIOGRAPHS, QFileDialog.getOpenFileName, title, RADIOGRAPH_FILES)

    def ask_open_project(self) -> None:
        self._open_chosen(PROJECTS, QFileDialog.getExistingDirectory, "Open project folder")

    def _open_chosen(self, kind: str, dialog: Any, title: str, *filters: str) -> None:
        """A file dialog starting where the last `kind` was chosen; open what is chosen."""
        answer = dialog(self.host.dialog_parent(), title, last_folder(kind), *filters)
        path = answer[0] if isinstance(answer, tuple) else answer
        if path:
            remember_choice(kind, path)
            self.open_path(path)

    def ask_save_as(self) -> bool:
        folder = ask_new_project_folder(self.host.dialog_parent())
        return folder is not None and self.save(folder)

    def ask_export_coco(self) -> None:
        self._export_chosen("coco", "Export COCO", "annotations.json", "COCO JSON (*.json)")

    def ask_export_via(self) -> None:
        self._export_chosen("via", "Export VIA", "via_project.json", "VIA JSON (*.json)")

    def _export_chosen(self, fmt: str, title: str, name: str, pattern: str) -> None:
        start = str(Path(last_folder(EXPORTS)) / name)
        path, _ = QFileDialog.getSaveFileName(self.host.dialog_parent(), title, start, pattern)
        if path:
            remember_choice(EXPORTS, path)
            self.export(Path(path), fmt)

    def export(self, path: Path, fmt: str) -> bool:
        """Write the project as `fmt` in the background (a 1500-image project takes
        seconds); the window stays usable and the status bar says when it is written."""
        if self.export_worker is not None:
            self.host.show_error("An export is still being written; try again when it is done.")
            return False
        refusal = self.doc.write_refusal(path)  # into a read-only project's folder
        if refusal:
            self.host.show_error(f"{refusal} Export into a folder outside the project instead.")
            return False
        try:
            job = self.doc.export_job(path, fmt)
        except (VertAppError, OSError) as err:
            self.host.show_error(str(err))
            return False
        # Counted now, as the snapshot is: an export right after Predict holds every
        # prediction unreviewed, and "Exported ann.json" alone read as a reviewed set.
        self._export_said = export_sentence(self.doc.project, path.name, fmt)
        self.export_worker = self._background(
            lambda: job, self._export_done, f"Exporting {path.name}…"
        )
        return True

    def _background(self, factory: Any, done: Any, message: str) -> JobWorker:
        """Save and export run beside the status-bar job (`JobRunner.run`): a worker of their
        own whose `done` slot reads its result on the GUI thread (queued)."""
        worker = JobWorker(factory, self.host.dialog_parent())
        worker.finished.connect(done)
        self.host.show_status(message)
        worker.start()
        return worker

    def wait_for_export(self) -> None:
        if self.export_worker is not None:
            self.export_worker.wait()
            self._export_done()

    def _export_done(self) -> None:
        worker = self.export_worker
        if worker is None or worker.isRunning():
            return  # already handled (wait_for_export), or a stale signal
        worker.wait()
        worker.deleteLater()
        self.export_worker = None
        if worker.error is not None:
            self.host.show_error(worker.error)
        elif worker.result:
            self.host.show_status(self._export_said, EXPORT_SAID_MS)

    # ------------------------------------------------------ names shown, recent files
    def recent_files(self) -> list[str]:
        return recent_files()

    def fill_recent(self, menu: QMenu) -> None:
        fill_recent(menu, self.open_path, self.doc.project.root)

    def hide_identifiers(self) -> bool:
        return hide_identifiers()

    def set_hide_identifiers(self, on: bool) -> None:
        """View > Hide names and paths: kept in the settings; the title follows at once,
        and images opened from then on are named after their files or anonymously."""
        set_hide_identifiers(on)
        self.doc.keep_names = not on
        self.host.update_title()

    def shown_title(self) -> str:
        """The open project's name as the window may show it."""
        first = next(iter(self.doc.project.images.values()), None)
        kind = first.kind if first is not None else ""
        title = shown_title(self.doc.title, self.doc.project.root is not None, kind)
        return f"{title} (read-only)" if self.doc.read_only else title

    # ================================================================ saving
    def save(self, folder: Path | None = None, *, wait: bool | None = None, say: str = "") -> bool:
        """Save the project; False if it failed (the message is shown) or was cancelled.

        Saving in place (Ctrl+S) runs in the background: the window stays usable and
        edits made meanwhile stay unsaved. `wait` (default: when a new folder is given)
        saves before returning, for the close prompt and "Save as". `say`: words for the
        status bar when this save has ended ("Imported …"), with "saved" or why not.
        """
        if say:
            self._say_when_saved = say
        if folder is None and self.doc.project.root is None:
            if self.ask_save_as():
                return True
            self._take_words()  # not saved: cancelled, or the failure was said with them
            return False
        # read-only, taken over, the folder gone or not writable (asked again each time)
        refusal = self.doc.save_refusal() if folder is None else ""
        if refusal:
            return self._refused_in_place(refusal)
        if self.save_worker is not None:
            if not (wait or folder is not None):
                self._save_again = True  # Ctrl+S again while saving: once more when done
                return True
            self.wait_for_save()
        self._saving_as = self._save_as_words(folder)  # after the save waited for said its own
        if wait or (wait is None and folder is not None):
            return self._save_now(folder)
        return self._save_in_background(folder)

    def _save_now(self, folder: Path | None, force: bool = False) -> bool:
        try:
            self.doc.save(folder, force)
        except store.ChangedOnDisk as err:
            if not force and self._overwrite_theirs(err):
                return self._save_now(folder, force=True)
            self._not_saved(str(err))
            return False
        except (VertAppError, OSError) as err:
            self._not_saved(str(err))
            return False
        self._saved()
        return True

    def _refused_in_place(self, refusal: str) -> bool:
        """Save in a folder this window may not write (read-only, or taken over by another
        window): said; with unsaved edits, "Save as" is offered (their only way out)."""
        button = QMessageBox.StandardButton
        if self.doc.modified:
            words = {button.Save: "Save as…", button.Cancel: "Cancel"}
            text = f"{refusal}\n\nSave your edits in a new folder now?"
            if self.host.ask("Cannot save here", text, words, button.Cancel) == button.Save:
                return self.ask_save_as()
        self._not_saved(refusal)
        return False

    def _save_as_words(self, folder: Path | None) -> str:
        """What a save into `folder` says when done, where that is a new project ("" for a
        save in place): "Saved" alone left the user unsure where the work went, and
        whether the read-only original had changed."""
        root = self.doc.project.root
        if folder is None or (root is not None and folder.resolve() == root.resolve()):
            return ""
        where = "the chosen folder" if hide_identifiers() else folder.name
        words = f"Saved as a new project in {where}"
        if self.doc.read_only:
            words += "; the original stays with the other VertApp window"
        return words

    def _saved(self) -> None:
        """A save done: said in the status bar, or in a message where it left files out."""
        # a save re-run for edits made meanwhile (Ctrl+S twice) is the one `say` waits for
        words = "" if self._save_again else self._take_words()
        saved_as, self._saving_as = self._saving_as, ""
        if self.doc.save_note:
            head = ". ".join(w for w in (words, saved_as) if w)
            self.host.show_error(f"{head}. {self.doc.save_note}" if head else self.doc.save_note)
        elif words:
            self.host.show_status(f"{words}. {saved_as or 'Saved'}.", 30000)  # a summary: long
        else:
            self.host.show_status(saved_as or "Saved", 10000 if saved_as else 5000)
        self.host.update_title()

    def _not_saved(self, message: str) -> None:
        """A save failed: why, with what was waiting to be said (the import did happen)."""
        self._saving_as = ""
        words = self._take_words()
        self.host.show_error(f"{message} ({words}: not saved yet)" if words else message)

    def _take_words(self) -> str:
        words, self._say_when_saved = self._say_when_saved, ""
        return words

    def _overwrite_theirs(self, err: store.ChangedOnDisk) -> bool:
        """Another program rewrote project.json since it was opened. Without this the
        window could not save at all (the message spoke of a force it did not offer)."""
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        answer = self.host.ask(
            "Changed by another program",
            f"{err}.\n\nSave your version over it? The other version is kept as "
            f"{store.BACKUP_FILE} in the project folder. (No: nothing is written; File > "
            "Save project as… keeps both.)",
            yes | no,
            no,
        )
        return bool(answer == yes)

    def _save_in_background(self, folder: Path | None, force: bool = False) -> bool:
        pause = CollectorPause()  # until the snapshot is released (see CollectorPause)
        try:
            pending = self.doc.begin_save(folder, force)
        except store.ChangedOnDisk as err:
            pause.end()
            if not force and self._overwrite_theirs(err):
                return self._save_in_background(folder, force=True)
            self._not_saved(str(err))
            return False
        except (VertAppError, OSError) as err:
            pause.end()
            self._not_saved(str(err))
            return False
        self._saving, self._pause = pending, pause
        handed = [pending]  # the worker keeps no reference once its job has it
        self.save_worker = self._background(
            lambda: save_job(handed.pop()), self._save_done, "Saving…"
        )
        return True

    def wait_for_save(self) -> None:
        """Block until a background save has finished and been recorded."""
        if self.save_worker is not None:
            self.save_worker.wait()
            self._save_done()

    def _save_done(self) -> None:
        worker = self.save_worker
        if worker is None or self._saving is None or worker.isRunning():
            return  # already handled (wait_for_save), or a stale signal
        worker.wait()
        worker.deleteLater()
        self._record_save(worker, self._saving)
        self.save_worker = self._saving = None  # the snapshot's last reference
        if self._pause is not None:
            self._pause.end()
            self._pause = None
        if self._save_again:
            self._save_again = False
            if self.doc.modified:
                self.save()
            elif self._say_when_saved:  # the save just done held it all
                self.host.show_status(f"{self._take_words()}. Saved.", 30000)

    def _record_save(self, worker: JobWorker, pending: PendingSave) -> None:
        if worker.error is None and not worker.was_cancelled:
            try:
                self.doc.finish_save(pending, worker.result)
            except (VertAppError, OSError) as err:
                self._not_saved(str(err))
                return
            self._saved()
        else:
            self.doc.abort_save(pending)
            self._not_saved(worker.error or "Saving was cancelled; the file is unchanged")
            self.host.update_title()

    def autosave(self) -> None:
        try:
            self.doc.autosave()
        except (VertAppError, OSError) as err:
            log.warning("autosave failed: %s", err)

    def confirm_discard(self) -> bool:
        """True when there is nothing unsaved or the user chose to save or discard it."""
        if not self.doc.modified:
            return True
        buttons = (
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        answer = self.host.ask(
            "Unsaved edits",
            f"Save the edits to {self.shown_title() or 'this project'}?",
            buttons,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save(wait=True)
        if answer == QMessageBox.StandardButton.Discard:
            self.doc.discard_unsaved()
            return True
        return False
