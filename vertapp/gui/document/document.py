"""The open project as the window sees it: images, the current one, undo stack, saving.

All annotation changes go through `edit(op)`: the op is applied to the
`Project` (annotation layer), its inverse is kept in a QUndoCommand, and the
project's observer tells the views what to repaint. Nothing here computes
geometry or reads files itself; it calls the annotation, io and preprocess layers.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from vertapp.annotations import coco, project_lock, store
from vertapp.annotations.hu_verdict import verdict_meta
from vertapp.annotations.landmarks import KEY as LANDMARKS
from vertapp.annotations.model import Change, ImageRecord, Instance, Project
from vertapp.annotations.ops import Macro
from vertapp.annotations.paths import safe_join
from vertapp.annotations.recovery import discard_into_kept, discard_journal
from vertapp.annotations.store import PREPROCESS_DIR
from vertapp.config import config_dir
from vertapp.errors import UnsafePathError, VertAppError
from vertapp.gui.document.files import (
    FolderBefore,
    PendingSave,
    add_radiograph,
    add_record,
    export_snapshot_job,
    missing_note,
    read_autosave,
    read_png,
    save_error,
    source_key,
    write_autosave,
    write_images,
    write_project,
)
from vertapp.gui.document.open_jobs import OpenedCT, OpenedRadiograph
from vertapp.gui.document.raw_pixels import RawPixels
from vertapp.gui.document.undo import OpCommand, Replayed, step_words, take_replayed
from vertapp.gui.views.polygon_layer import Shape
from vertapp.jobs import Job
from vertapp.preprocess.landmarks import landmarks
from vertapp.review.status import list_text
from vertapp.xray.part_display import instance_level
from vertapp.xray.training import grey_u8

log = logging.getLogger(__name__)

PIXEL_CACHE = 8  # images kept decoded while browsing
RELOADED_CT_CACHE = 2  # source CTs re-read for a saved project's images (memory bound)
LATER = "-later-"  # an untitled autosave kept for later: <key>-later-<UTC time>, beside it


class Document(QObject):
    """Signals: `reset()` (new project), `image_changed(image_id)`, `instances_changed(image_id)`,
    `unprotected(message)` (no crash journal can be written: why, in words),
    `discard_failed(message)` (edits the user discarded could not be removed: why),
    `folder_lost(message)` (another session took the project's folder over: this window
    is read-only from now on, and where its unsaved edits are kept; "" when the write
    that found it out says so itself; or the folder itself is gone, and the unsaved edits
    are journalled outside it: see _refuge), `stepped(words)` (an undo or redo was done, and where:
    "Undid Add T5 on image 4"; the image it changed is shown first)."""

    reset = Signal()
    image_changed = Signal(object)
    instances_changed = Signal(object)
    status_changed = Signal(object)
    unprotected = Signal(str)
    discard_failed = Signal(str)
    folder_lost = Signal(str)
    stepped = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self.stack.indexChanged.connect(self._after_step)
        self.project = Project()
        self.title = ""
        self.image_ids: list[int] = []
        self.current_id: int | None = None
        self.ct: dict[int, OpenedCT] = {}
        self.pending_images: dict[int, np.ndarray] = {}  # not yet written to the folder
        self._pixels: OrderedDict[int, np.ndarray] = OrderedDict()
        self.raw = RawPixels()  # radiographs' own values (W/L, pair alignment)
        self._journal: store.Journal | None = None
        self._reloaded: list[int] = []
        self.recovery_pending = False
        self._recovered = False
        # Names the autosave folder of an untitled project: a digest of the opened file's
        # full path, never the name itself (file names can carry a patient's name, and
        # two patients' "ct.nii.gz" must not recover into each other).
        self._autosave_key: str | None = None
        # The autosave folder whose work untitled_recovery offered (None: none offered).
        self._untitled_offered: Path | None = None
        # Name new images after their files (the user opted in: View > Hide names and paths
        # off); by default they get anonymous names (files.add_record)
        self.keep_names = False
        self._autosaved_revision = -1
        self._discard_on_replace = False  # the user chose Discard (see discard_unsaved)
        self.save_note = ""  # what the last save left out, in words ("" when nothing)
        self._told_unprotected: Path | None = None  # the folder `unprotected` named
        # Why no journal could be written in the project's folder ("" when one is): its
        # Save is refused in words, with "Save as" offered (see write_refusal)
        self._unwritable = ""
        self.folder_lock = project_lock.SessionLock()  # the folder this window edits
        # Why edits are refused, in words ("" when editable): the project is open in
        # another session and was opened read-only here (see open_project).
        self.read_only = ""
        # The journal set aside in a kept folder of its own when another session took the
        # folder over with unsaved edits here (see check_folder); None otherwise.
        self._aside: store.Journal | None = None
        # The copy of a live session's journal this window kept when it opened that
        # session's folder anyway (open_project): not announced here as kept work.
        self.safety_copy: Path | None = None
        self._unsubscribe = self.project.subscribe(self._on_change)

    # ------------------------------------------------------------ projects
    def set_project(
        self,
        project: Project,
        title: str,
        *,
        pending: dict[int, np.ndarray] | None = None,
        ct: dict[int, OpenedCT] | None = None,
        raw: Mapping[int, np.ndarray | None] | None = None,
    ) -> None:
        """Replace the open project (`pending`, `raw`: images not yet in a folder)."""
        problem = ""
        if self._discard_on_replace:
            self._discard_on_replace = False
            problem = self._drop_unsaved()
        self._detach_journal()
        self._aside = None  # its kept folder stays: nobody chose to discard it
        self.folder_lock.keep_only(project.root)
        self.read_only = ""
        self._told_unprotected = None
        self._unwritable = ""
        self._recovered = False
        self.recovery_pending = False
        self._autosave_key = None
        self._untitled_offered = None
        self._autosaved_revision = -1  # revisions count from 0 again in every project
        self._unsubscribe()
        self.project = project
        self.title = title
        self.image_ids = list(project.images)
        self.ct = dict(ct or {})
        self.pending_images = dict(pending or {})
        self._pixels.clear()
        self.raw.reset(raw)
        self._reloaded = []
        self.stack.clear()
        self.stack.setClean()
        self._unsubscribe = project.subscribe(self._on_change)
        self.current_id = None
        self.reset.emit()
        if problem:  # the edits the user discarded stay on disk: they must hear it
            self.discard_failed.emit(problem)

    def new_from_ct(self, opened: OpenedCT) -> int:
        """A new unsaved project holding the MIP of one CT."""
        project = Project(label_set="vertebrae")
        image_id = self._add_mip(project, opened)
        pending = {image_id: np.asarray(opened.mip.mip_u8)}
        self.set_project(project, Path(opened.path).name, pending=pending, ct={image_id: opened})
        self._autosave_key = source_key(opened.path)
        return image_id

    def new_from_radiograph(self, opened: OpenedRadiograph) -> int:
        project, arr = Project(label_set="parts"), opened.radiograph.array
        rec = add_radiograph(project, opened.path, opened.radiograph, self.keep_names)
        # the 8-bit copy that training and Predict read: the film as the X-ray engine reads
        # it itself (`vertapp xray zoi IMAGE`; made by the open job), so a model sees one
        # contrast wherever the film comes from; else the engine's percentile window of
        # the values (min..max let a burnt-in marker squeeze the bones into a few greys)
        copy = grey_u8(arr) if opened.engine_u8 is None else opened.engine_u8
        pending, raw = {rec.id: copy}, {rec.id: arr}
        self.set_project(project, Path(opened.path).name, pending=pending, raw=raw)
        self._autosave_key = source_key(opened.path)
        return rec.id

    def _add_mip(self, project: Project, opened: OpenedCT) -> int:
        mip = np.asarray(opened.mip.mip_u8)
        affine = np.asarray(opened.mip.affine, dtype=float).tolist()
        # source_path is set on save, when the CT is copied into the project
        # the hip landmark anchors the numbering of predictions (preprocess.landmarks)
        # and the reader's verdict when it is not CT in HU: Predict asks first (hu_verdict)
        verdict = verdict_meta(list(getattr(opened.volume, "warnings", [])))
        extra = {"vertapp": {LANDMARKS: landmarks(opened.mip), **verdict}}
        rec = add_record(
            project,
            opened.path,
            mip.shape,
            "_mip",
            self.keep_names,
            kind="mip",
            mip_affine=affine,
            extra=extra,
        )
        return rec.id

    # ------------------------------------------------------------- images
    def set_current(self, image_id: int | None) -> None:
        if image_id == self.current_id:
            return
        self.current_id = image_id
        self.image_changed.emit(image_id)

    @property
    def current(self) -> ImageRecord | None:
        return None if self.current_id is None else self.project.images.get(self.current_id)

    def pixels(self, image_id: int) -> np.ndarray:
        """The image's pixels (decoded once, a few kept while browsing)."""
        if image_id in self.pending_images:
            return self.pending_images[image_id]
        if image_id in self._pixels:
            self._pixels.move_to_end(image_id)
            return self._pixels[image_id]
        arr = read_png(self.project.image_path(image_id))
        self._pixels[image_id] = arr
        while len(self._pixels) > PIXEL_CACHE:
            self._pixels.popitem(last=False)
        return arr

    def raw_pixels(self, image_id: int) -> np.ndarray:
        """A radiograph's own values (8/16 bit, float for DICOM), not the 8-bit copy."""
        return self.raw.get(self.project, image_id)

    def ct_source(self, image_id: int) -> tuple[Path, Path] | None:
        """(source CT path, saved preprocessing folder) of a MIP, when both still exist."""
        rec = self.project.images[image_id]
        if rec.kind != "mip" or not rec.source_path or self.project.root is None:
            return None
        prep = self.project.root / PREPROCESS_DIR / Path(rec.file_name).stem
        try:  # a path read from the project file may not lead out of the project
            src = safe_join(self.project.root, rec.source_path, f"image {image_id} source")
        except UnsafePathError as err:
            log.warning("%s", err)
            return None
        if not src.exists() or not (prep / "preprocess.json").is_file():
            return None
        return src, prep

    def keep_ct(self, image_id: int, opened: OpenedCT) -> None:
        """Keep a reloaded CT for an image; only a few reloaded ones stay in memory."""
        self.ct[image_id] = opened
        self._reloaded.append(image_id)
        while len(self._reloaded) > RELOADED_CT_CACHE:
            old = self._reloaded.pop(0)
            if old != self.current_id:
                self.ct.pop(old, None)

    def status_word(self, image_id: int) -> str:
        """The project list's words: the status saved in project.json, and what waits."""
        return list_text(self.project.images[image_id])

    def shapes(self, image_id: int) -> dict[int, Shape]:
        img = self.project.images[image_id]
        return {inst.id: shape_of(inst) for inst in img.instances}

    def labels_used(self, image_id: int) -> list[str]:
        return self.project.images[image_id].labels()

    # ---------------------------------------------------------------- edits
    def edit(self, op: Any, text: str) -> Any:
        """Apply `op` (raises the annotation layer's error if refused) and push the undo step."""
        inverse = self.project.apply(op)
        self.stack.push(OpCommand(self.project.apply, inverse, text))
        return inverse

    def edit_many(self, ops: list[Any], text: str) -> None:
        """Several edits as one undo step (all or nothing: the annotation Macro rolls back)."""
        self.edit(Macro(tuple(ops), text), text)

    def _after_step(self, index: int) -> None:
        """After an undo (the command at `index`) or a redo (the one before it): show the
        image it changed, as editors do, and say what it did there. A push replays
        nothing (its op was applied before) and is passed over."""
        for command in (self.stack.command(index), self.stack.command(index - 1)):
            done = take_replayed(command)
            if done is not None and command is not None:
                self._show_step(done, command.text())
                return

    def _show_step(self, done: Replayed, text: str) -> None:
        shown = [i for i in self.image_ids if i in done.image_ids]  # in the list's order
        if shown and self.current_id not in shown:
            self.set_current(shown[0])
        numbers = [self.image_ids.index(i) + 1 for i in shown]
        self.stepped.emit(step_words(done.verb, text, numbers))

    def _on_change(self, change: Change) -> None:
        if change.kind == "reset":
            return
        if change.image_id is not None:
            self.instances_changed.emit(change.image_id)
            self.status_changed.emit(change.image_id)

    # ---------------------------------------------------------------- files
    @property
    def modified(self) -> bool:
        """Unsaved edits: the undo stack is off its clean index (or edits were recovered,
        or kept when the folder was taken over: see _lose_folder)."""
        return not self.stack.isClean() or self._recovered

    def images_added_outside_undo(self) -> None:
        """Imports add images without an undo step, then save. Until that save is done
        the window must count as modified: a save that failed (disk full, the file
        changed on disk) left the close prompt silent and the import was lost."""
        self.stack.resetClean()  # clean again when a save holding them succeeds

    def open_project(
        self,
        folder: Path,
        project: Project | None = None,
        *,
        read_only: str = "",
        take_over: bool = False,
    ) -> None:
        """Show a project folder (`project`: already loaded from it in the background).

        Edited here, the folder is locked (annotations.project_lock): ProjectInUse when
        another live session holds it, unless `take_over` (the user chose "Open anyway").
        `read_only` (why, in words): shown only; no lock and no journal, and the other
        session's journal is neither offered for recovery nor touched."""
        if project is None:
            project = store.load_project(folder)
        taken = not read_only and self.folder_lock.take(folder, take_over=take_over)
        self.set_project(project, folder.name)
        if read_only:
            self.read_only = project.read_only = read_only
            return
        # A journal left by a crash must be looked at before a new one replaces it; one
        # taken over from a live session is that session's, not a crash's.
        self.recovery_pending = not taken and store.has_recovery(folder)
        if taken:
            self.safety_copy = self._keep_theirs(folder)
        if not self.recovery_pending:
            self._attach_journal()

    def _keep_theirs(self, folder: Path) -> Path | None:
        """The live session's journal, copied to .vertapp/kept/ before this window's own
        replaces it, in case that session crashes before setting its work aside (then
        noted as superseded). Said nowhere here: this window made it (see safety_copy).
        A folder that cannot be written loses nothing yet: attaching says so."""
        if not store.has_recovery(folder):
            return None
        try:
            return store.keep_journal(folder, store.TAKEN_OVER)
        except OSError as err:
            log.warning("%s: the other session's journal could not be copied: %s", folder, err)
            return None

    def lock_holder(self, folder: Path) -> project_lock.LockInfo | None:
        """The live session, other than this window, that holds `folder` (None: free,
        stale, or this window's own)."""
        return self.folder_lock.holder_of(folder)

    def save(self, folder: Path | None = None, force: bool = False) -> Path:
        """Save into `folder` (default: the project's own), all on this thread."""
        pending = self.begin_save(folder, force)
        try:
            stamp = write_project(pending)
        except BaseException:
            self.abort_save(pending)
            raise
        return self.finish_save(pending, stamp)  # written: never undone by abort_save

    def begin_save(self, folder: Path | None = None, force: bool = False) -> PendingSave:
        """First half of a save, on the GUI thread: new images are written and the
        annotations snapshotted (tens of ms). Then run `save_job(pending)` anywhere
        and hand its result to `finish_save`; edits may go on meanwhile.

        A failure is said in words (`files.save_error`); a "save as" that fails leaves
        its folder as it found it."""
        target = Path(folder) if folder is not None else self.project.root
        if target is None:
            raise VertAppError("choose a folder to save the project in")
        old_root = self.project.root
        moving = _is_move(self.project, folder, target, old_root)
        # in place, or "save as" inside the folder (onto its own vanished path: allowed)
        refusal = self.write_refusal(target, lost_ok=moving)
        if refusal:
            raise VertAppError(refusal)
        if moving and (target / store.PROJECT_FILE).exists():
            raise store.ConflictError(
                f"{target.name} already holds a project; choose an empty folder"
            )
        if moving and target.exists() and not target.is_dir():
            raise VertAppError(f"{target} is a file; choose a folder to save the project in")
        before = FolderBefore.of(target) if moving else None
        ids = self._journal_ids() if moving and old_root is not None else ()
        try:
            if moving:  # made before any file goes in (removed again if the save fails)
                target.mkdir(parents=True, exist_ok=True)
            missing = self._write_images(target, old_root if moving else None)
            if moving and old_root is not None:
                self._refuse_without_images(missing, old_root, target)
            file = self._snapshot(target, moving, force)
        except BaseException as err:
            problem = save_error(err, target) if isinstance(err, OSError) else None
            if before is not None:
                before.remove_new()
            if problem is not None:
                raise problem from None
            raise
        note = missing_note(missing, old_root, target) if old_root is not None else ""
        if note and old_root is not None and _same_folder(old_root, target):
            note = remade_note(missing, target)  # "missing there" named the folder just made
        left = old_root if ids else None
        return PendingSave(self.project, file, moving, before, note, left, ids)

    def _journal_ids(self) -> tuple[str, ...]:
        """The ids of this window's journals in its folder: the one there (another window
        that opened the project anyway may have kept a copy of it) and the one set aside
        in a kept folder of its own once this window noticed."""
        journals = (self._journal, self._aside)
        return tuple(dict.fromkeys(j.id for j in journals if j is not None and j.id))

    def _refuse_without_images(self, missing: list[str], old: Path, target: Path) -> None:
        """A "save as" that could write none of the project's images (the folder it left
        is gone, and the images are not in memory) is refused: the new project would show
        nothing but "cannot read the image". Some missing are said once it is saved
        (files.missing_note), and so are all of a folder that is still there."""
        names = {rec.file_name for rec in self.project.images.values()}
        if not names or not names <= set(missing) or old.is_dir():
            return  # (a folder still there that lost its images: copied as it is)
        raise VertAppError(
            f"{target}: not saved: {old} no longer exists, none of the {len(names)} image "
            "files could be copied from it and none is in memory, so the new project would "
            "show no image. Find the project folder (moved or renamed?) and open it there, "
            "or keep the annotations alone with File > Export COCO…"
        )

    def _snapshot(self, target: Path, moving: bool, force: bool) -> store.PendingSave:
        if moving:
            if self._journal is not None:  # its edits are all in the project: never kept
                self.project.recovered_journal = self._journal.id  # aside by a re-attach
            self._detach_journal()  # the new folder gets its own journal when saved
        try:
            return store.prepare_save(self.project, target, force=force)
        except BaseException:
            if moving:
                self._attach_journal()  # not saved: the journal stays where it was
            raise

    def _write_images(self, target: Path, copy_from: Path | None) -> list[str]:
        """The images `target` lacks; those neither on disk nor in memory (see write_images)."""
        home = copy_from if copy_from is not None else target
        # a MIP whose CT is open has its pixels in memory too (its folder may be gone)
        mips = {i: np.asarray(o.mip.mip_u8) for i, o in self.ct.items() if i not in self._pixels}
        return write_images(
            self.project,
            self.pending_images,
            {i: o for i, o in self.ct.items() if not self._ct_kept_in(home, i)},
            target,
            copy_from,
            self.raw.unsaved,
            cached={**mips, **self._pixels},
            cached_raw=self.raw.cached(),
        )

    def _ct_kept_in(self, folder: Path, image_id: int) -> bool:
        """The folder saved from holds this image's scan and preprocessing already (a CT
        reloaded from the project): copied as files on a "save as", left alone in place.
        Handed to write_images, the CT read back from the project was written again as
        volumes/<image>.nii.gz beside its own copy of another name (seconds of gzip, and
        a raw ITK error in a read-only folder)."""
        rec = self.project.images.get(image_id)
        if rec is None or not rec.source_path:
            return False
        try:
            source = safe_join(folder, rec.source_path, f"image {image_id} source")
        except UnsafePathError:
            return False
        prep = folder / PREPROCESS_DIR / Path(rec.file_name).stem / "preprocess.json"
        return source.is_file() and prep.is_file()

    def finish_save(self, pending: PendingSave, stamp: store.FileStamp) -> Path:
        """Second half: the file holds the snapshot. Edits made since keep the window
        modified (and journalled); without any, the undo stack's clean mark is here."""
        store.commit_save(pending.project, pending.file, stamp)
        self.save_note = pending.note
        self._note_saved_elsewhere(pending)
        if pending.project is not self.project:  # another project was opened meanwhile
            return pending.file.path
        self._pixels.update(self.pending_images)
        self.pending_images.clear()
        self.raw.saved()
        if self.project.revision == pending.file.revision:
            self.stack.setClean()
        else:
            self.stack.resetClean()  # the saved state is not one the stack can point at
        self._recovered = False
        if pending.moving:
            self.title = pending.file.folder.name
            # the lock moves with the project; a read-only one saved elsewhere is the
            # user's own copy, editable
            self.folder_lock.moved(pending.file.folder)
            self.read_only = self.project.read_only = ""
            self._drop_aside()  # its edits are in the new folder now
        self._attach_journal()
        self._drop_untitled_autosave()
        return pending.file.path

    def _note_saved_elsewhere(self, pending: PendingSave) -> None:
        """A "save as" holds all of this window's work: the kept copies of it in the folder
        it left (the safety copy another window made by opening it anyway, and this
        window's own kept folder) are noted so, never offered there again as unsaved work.
        Without it, a window that saved elsewhere before it noticed the take-over left
        that copy offered in the old project."""
        left = pending.left
        if left is None or not pending.journal_ids or _same_folder(left, pending.file.folder):
            return
        noted = store.note_saved_elsewhere(left, pending.journal_ids, pending.file.folder)
        if noted:  # for the log only, by their own names (the folders above may name a patient)
            log.info("kept copies noted as saved elsewhere: %s", ", ".join(k.name for k in noted))

    def abort_save(self, pending: PendingSave) -> None:
        """A save that failed or was cancelled: the project stays where it was, and so
        must its crash journal. "Save as" took it off to give the new folder its own;
        left off, every later edit went unrecorded (a crash lost them). A new folder it
        began is removed: half made, it looked like a project that lost its annotations."""
        if pending.before is not None:
            pending.before.remove_new()
        if pending.moving and pending.project is self.project:
            self._attach_journal()

    def export_job(self, path: Path, fmt: str) -> Job[list[Path]]:
        """Export in a worker: the snapshot is taken now, on this thread (a few ms), and
        the job writes it; edits made meanwhile are not in the file and are never
        disturbed (the snapshot's arrays are shared until the job ends)."""
        project = self.project
        snap = coco.take_snapshot(project)
        project.share_arrays(True)
        return export_snapshot_job(snap, project, Path(path), fmt)

    # ------------------------------------------------------------ never lose work
    def _attach_journal(self) -> None:
        """Journal every edit in the project's folder. A folder that cannot be written
        (read-only share, full disk) leaves the project open but unprotected, and says
        so: raising here left an open counted as failed with the project on screen."""
        root = self.project.root
        if root is None or self.project.journal is not None:
            return
        # A read-only project's folder is another session's, and so is its journal: only
        # a journal set aside in a kept folder of its own goes on (a failed "save as").
        # So does one outside a folder that vanished (self._aside, not read-only).
        aside = self.read_only or self._aside is not None
        journal = self._aside if aside else store.Journal(self.project)
        if journal is None:
            return
        journal.on_aside = self._journal_displaced
        journal.refuge = self._refuge(root)
        try:
            self._journal = journal.attach()
            self._unwritable = ""
        except OSError as err:
            journal.detach()  # attach stopped half-way: no hook of it may stay behind
            self._unwritable = err.strerror or "read-only"
            if self._told_unprotected == root:  # once: a failed "save as" tries again
                return
            log.warning("no crash journal in %s: %s", root, err)
            self._told_unprotected = root
            self.unprotected.emit(
                f"{root}: this folder cannot be written ({err.strerror or 'read-only'}), so "
                "your edits are not protected against a crash and cannot be saved there. "
                "Save them elsewhere with File > Save project as…"
            )

    def _detach_journal(self) -> None:
        if self._journal is not None:
            self._journal.detach()
            self._journal = None

    @staticmethod
    def _refuge(root: Path) -> Path:
        """Where the journal goes on if the project's folder vanishes while open: the
        app's autosave area (named by a digest of the folder's path, never its name),
        not a kept folder inside the project, which made the vanished folder again."""
        return config_dir() / "autosave" / f"lost-{source_key(root)}"

    # ------------------------------------------------------------ whose folder it is
    def write_refusal(self, path: Path | str | None = None, *, lost_ok: bool = False) -> str:
        """Why nothing may be written into the project's folder now, in words ("" when
        it may). `path`: what is about to be written; a path outside the folder (an
        export elsewhere, "save as" a new folder) is never refused. Refused: a folder
        another session holds, one that vanished while open (unless `lost_ok`: "save as"
        onto its own path makes it again from what the window holds), and one that cannot
        be written (no journal could be: a read-only share or permissions)."""
        root = self.project.root
        if root is None or (path is not None and not _inside(Path(path), root)):
            return ""
        self.check_folder(tell=False)  # the caller says the refusal
        if self.read_only:
            return self.read_only
        if not lost_ok and store.own_folder_lost(self.project, root):
            return str(store.folder_gone(root))
        return self._unwritable_words(root)

    def save_refusal(self) -> str:
        """write_refusal for a Save in place. A folder no journal could be written in is
        tried again first (the share remounted, the permissions mended): journalled from
        now on if it can be. Not on every write_refusal: a try writes a snapshot."""
        if self._unwritable and not self.recovery_pending and not self.read_only:
            self._attach_journal()
        return self.write_refusal()

    def _unwritable_words(self, root: Path) -> str:
        """Why the folder cannot be written ("" when it can): a Ctrl+S there rewrote the
        CT copies and failed on the first with ITK's own error, offering no "Save as"."""
        if not self._unwritable or self.recovery_pending:
            return ""
        return (
            f"{root}: this folder cannot be written ({self._unwritable}); nothing was "
            "written there. Use File > Save project as… to keep your work in another folder."
        )

    def check_folder(self, *, tell: bool = True) -> bool:
        """Whether this window still holds its project's folder.

        Another session that opened the project anyway replaced the lock; this window,
        told nowhere, went on saving over that session's work and restarting its journal
        over the other's. Asked before every write into the folder and on the autosave
        tick: once taken over, the window turns read-only and `folder_lost` says so
        (with "" when not `tell`: the write refused says it)."""
        root = self.project.root
        if self.read_only or root is None:
            return not self.read_only
        holder = self.folder_lock.taken_over(root)
        if holder is None:
            return True
        self._lose_folder(root, holder)
        self.folder_lost.emit(self.read_only if tell else "")
        return False

    def _lose_folder(self, root: Path, holder: project_lock.LockInfo) -> None:
        """Read-only from now on; unsaved edits stay (in memory and in a kept journal of
        their own) until "Save as" puts them in a new folder or the user discards them."""
        unsaved = self.modified
        log.warning("%s: taken over by %s", root, holder.words())  # who: for the log only
        safe = ""  # the kept folder's name is jargon to the user: the log has it
        journal = self._journal
        try:
            if journal is not None and (unsaved or journal.aside is not None):
                self._aside = journal
                kept = journal.aside or journal.set_aside()
                log.warning("%s: unsaved edits kept in %s", root, kept)
                safe = "Your unsaved edits are safe; "
        except OSError as err:
            log.warning("%s: the journal could not be set aside: %s", root, err)
            safe = f"Your unsaved edits could not be set aside ({err.strerror or err}); "
        then = f"{safe}use Save as copy… to keep {'them' if safe else 'your edits'} in a new folder"
        then = then if unsaved else "Save as copy… makes a copy you can edit"
        words = f"{project_lock.taken_away_words(holder)}. {then[:1].upper()}{then[1:]}."
        self.read_only = self.project.read_only = words
        # Undo would be refused too (read-only) while the stack's index moved on: the
        # history ends here, and the edits count as unsaved until saved elsewhere.
        self._recovered = self._recovered or unsaved
        self.stack.clear()
        log.warning("%s: %s", root, self.read_only)

    def _journal_displaced(self, kept: Path) -> None:
        """The journal found its file replaced or removed by someone else and went on in
        `kept`. Whose the folder is now is asked once the edit under way has ended."""
        log.warning("the journal's file was replaced by another session; journalling in %s", kept)
        QTimer.singleShot(0, self, self._after_displaced)  # not called once self is gone

    def _after_displaced(self) -> None:
        journal, root = self._journal, self.project.root
        if journal is None or journal.aside is None or root is None:
            return  # gone meanwhile
        if journal.outside:  # the folder itself vanished: never made again from here
            self._aside = journal  # its edits go to a "save as" (or Discard removes them)
            self.folder_lost.emit(lost_folder_words(root))
            return
        if not self.check_folder():
            return  # taken over: read-only now (check_folder)
        # Still this window's (the other session closed, releasing the lock, or the
        # journal was removed by hand): the folder's own journal again, the lock too.
        try:
            self.folder_lock.take(root)
        except project_lock.ProjectInUse as err:  # taken in the instant since: stay aside
            log.warning("%s", err)
            return
        self._detach_journal()
        self._attach_journal()
        if self._journal is not None and self._journal.aside is None:  # at home again:
            shutil.rmtree(journal.aside, ignore_errors=True)  # its snapshot holds it all

    def _drop_aside(self) -> None:
        """The kept journal of a taken-over folder: its edits were saved elsewhere or
        the user discarded them (or there were none)."""
        aside, self._aside = self._aside, None
        if aside is not None and aside.aside is not None:
            aside.detach()
            shutil.rmtree(aside.aside, ignore_errors=True)
            if aside.outside:  # the vanished folder's refuge, empty now
                with contextlib.suppress(OSError):
                    aside.aside.parent.rmdir()

    def has_recovery(self) -> bool:
        return self.recovery_pending

    def recover(self) -> list[str]:
        """Replace the project by the one the journal rebuilds (its edits unsaved); the
        notes the user must read (e.g. the edits were replayed over the backup because
        another program rewrote project.json: both versions are kept)."""
        root = self.project.root
        assert root is not None
        recovery = store.recover_edits(root)
        self.set_project(recovery.project, root.name)
        self._recovered = True
        self._attach_journal()
        return list(recovery.notes)

    def adopt_recovered_kept(self, project: Project) -> None:
        """Show `project`, the open folder's kept edits replayed onto it
        (`annotations.kept_edits.recover_kept`), as this folder's unsaved edits.

        Opened again on the same folder, so its lock stays this window's. A journal found
        there is this window's own, with nothing unsaved in it (a recovery is refused over
        unsaved edits): it is discarded so a new one, starting from `project`, replaces
        it. Nothing is on the undo stack, yet the window counts as modified until a save
        keeps the edits, as after a crash recovery. The image shown stays shown."""
        root = self.project.root
        if root is None:
            raise VertAppError("kept edits are recovered into a project folder; none is open")
        current = self.current_id
        self.open_project(root, project)
        if self.has_recovery():
            self.discard_recovery()
        self.images_added_outside_undo()
        self.set_current(current if current in self.image_ids else None)

    def discard_recovery(self) -> None:
        """The user declined the offered edits: they are removed, never offered again."""
        root = self.project.root
        if root is not None:
            discard_journal(root)
            self.recovery_pending = False
            self._attach_journal()

    def recovery_failed(self) -> None:
        """Recovery raised, or the user kept the offered edits for later (or nobody was
        there to answer): the project stays as last saved. Journal it from now on (the
        journal not replayed is copied to .vertapp/kept/ first, never deleted)."""
        self.recovery_pending = False
        self._attach_journal()

    def discard_unsaved(self) -> None:
        """The user chose Discard before opening something else: once that replaces this
        project, its journal or autosave goes too, so reopening this scan or project does
        not offer the edits back. (Not before: an open that fails leaves this project
        open, and its edits journalled.)"""
        self._discard_on_replace = True

    def _drop_unsaved(self) -> str:
        """Remove this project's journal or autosave; why it could not be, in words."""
        root = self.project.root
        self._detach_journal()
        self._drop_aside()
        problem = ""
        # An unanswered offer stays; so does a journal that is not this window's: the
        # project was open read-only, or another window took the folder over since.
        if root is not None and not self.recovery_pending and self._journal_is_mine(root):
            problem = self._discard_kept(root)
        self._drop_untitled_autosave()
        return problem

    @staticmethod
    def _discard_kept(root: Path) -> str:
        """Discard chosen at close or open: the edits are no longer offered, but a copy
        stays in .vertapp/kept/ (File > Recover kept edits…) in case Discard was a slip of
        the hand, as for a crash's edits discarded. Where no copy can be made, removed.
        A journal holding no edits (every close of a project saved or never edited comes
        here) is only removed: a copy of it listed nothing in File > Recover kept edits…"""
        if not store.has_recovery(root):  # nothing in it to offer again: no news
            discard_journal(root)  # (a read-only folder's failure is logged)
            return ""
        try:
            return discard_into_kept(root)[1]
        except OSError as err:
            log.warning("discarded edits could not be kept aside: %s", err)
            return discard_journal(root)

    def _journal_is_mine(self, root: Path) -> bool:
        """No other live session holds `root` (asked of the folder itself: an open
        takes the next folder's lock before this project is dropped)."""
        return not self.read_only and self.folder_lock.holder_of(root) is None

    def untitled_autosave_dir(self) -> Path:
        return config_dir() / "autosave" / (self._autosave_key or "untitled")

    def autosave(self) -> bool:
        """Timer tick. A saved project is journalled op by op already; an untitled one
        (a CT just opened) is written to the app's autosave folder. The tick also asks
        whether the folder was taken over meanwhile (check_folder)."""
        self.check_folder()
        if self.project.root is not None or not self.image_ids or self.stack.isClean():
            return False
        if self.project.revision == self._autosaved_revision:
            return False
        write_autosave(self.project, self.pending_images, self.ct, self.untitled_autosave_dir())
        self._autosaved_revision = self.project.revision
        return True

    def untitled_recovery(self) -> Project | None:
        """An autosaved untitled project for the image just opened, if one was left behind:
        the last session's, else the newest one kept for later (keep_untitled_for_later)."""
        self._untitled_offered = None
        if self.project.root is not None:
            return None
        folder = self.untitled_autosave_dir()
        later = sorted(folder.parent.glob(f"{folder.name}{LATER}*"), reverse=True)
        for candidate in (folder, *later):
            saved = read_autosave(candidate, self.project)
            if saved is not None:
                self._untitled_offered = candidate
                return saved
        return None

    def keep_untitled_for_later(self) -> None:
        """The autosave just offered stays for the next time this scan opens (the user
        chose Decide later, or nobody answered): moved beside the folder this session
        autosaves to, which would write over it. OSError when it cannot be moved."""
        offered, self._untitled_offered = self._untitled_offered, None
        folder = self.untitled_autosave_dir()
        if offered is None or offered != folder:  # one kept for later already stays so
            return
        now = time.time_ns()  # the name sorts by age, to the nanosecond
        stamp = f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime(now // 10**9))}.{now % 10**9:09d}"
        offered.rename(folder.with_name(f"{folder.name}{LATER}{stamp}"))

    def discard_untitled_recovery(self) -> None:
        """The user chose to delete the autosave just offered, for good."""
        offered, self._untitled_offered = self._untitled_offered, None
        if offered is not None:
            shutil.rmtree(offered, ignore_errors=True)

    def adopt_untitled(self, saved: Project) -> None:
        """Take the recovered untitled project's annotations (the pixels stay those just read).
        One kept for later goes back to where this session autosaves: the next tick writes
        it there with the edits made since, and until then it is offered again there."""
        offered, folder = self._untitled_offered, self.untitled_autosave_dir()
        if offered is not None and offered != folder:
            try:
                shutil.rmtree(folder, ignore_errors=True)  # nothing to offer there: checked
                offered.rename(folder)
            except OSError as err:  # it stays kept for later: offered again, nothing lost
                log.warning("the autosave kept for later could not be moved back: %s", err)
        saved.root = None
        by_name = {r.file_name: r.id for r in self.project.images.values()}
        pending = {r.id: self.pending_images[by_name[r.file_name]] for r in saved.images.values()}
        ct = {
            r.id: self.ct[by_name[r.file_name]]
            for r in saved.images.values()
            if by_name[r.file_name] in self.ct
        }
        raw = {r.id: self.raw.unsaved.get(by_name[r.file_name]) for r in saved.images.values()}
        key = self._autosave_key
        self.set_project(saved, self.title, pending=pending, ct=ct, raw=raw)
        self._autosave_key = key
        self._recovered = True

    def _drop_untitled_autosave(self) -> None:
        shutil.rmtree(self.untitled_autosave_dir(), ignore_errors=True)
        self._autosave_key = None

    def close_session(self) -> str:
        """Window closing normally: nothing left to recover (the user saved or discarded),
        and the folder is free again. Why discarded edits could not be removed, in words."""
        problem = self._drop_unsaved()
        self.folder_lock.release()
        return problem


def _inside(path: Path, folder: Path) -> bool:
    """`path` is `folder` or lies inside it (links resolved: another name for it counts)."""
    return path.resolve().is_relative_to(folder.resolve())


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _is_move(project: Project, chosen: Path | None, target: Path, old_root: Path | None) -> bool:
    """Whether a save writes a folder anew ("save as", a first save): another folder,
    or the project's own path chosen in "Save as" after that folder vanished while open
    (or was made again without the project's files). The user chose that path, so it is
    made again with the images still in memory; a plain Save there is refused
    (store.folder_gone): it may be an unmounted share."""
    if old_root is None or Path(old_root).resolve() != target.resolve():
        return True
    return chosen is not None and (not target.exists() or store.own_folder_lost(project, target))


def remade_note(missing: list[str], folder: Path) -> str:
    """What "save as" onto a vanished folder's own path left out: what it had only there."""
    names = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    files = "1 file" if len(missing) == 1 else f"{len(missing)} files"
    return (
        f"{folder}: made again without {files} (the folder had vanished, and they were not "
        f"in memory): {names}. All the annotations are saved; copy those files back into "
        "it to see those images again."
    )


def lost_folder_words(root: Path) -> str:
    """What the window says when the project's folder vanished while it was open."""
    return (
        f"{root}: the project folder is no longer there (it was moved, renamed or deleted). "
        "Your unsaved edits are safe, journalled outside it in VertApp's autosave folder; "
        "Save cannot write them there: use File > Save project as… to keep them in a new "
        "folder."
    )


def shape_of(inst: Instance) -> Shape:
    return Shape(
        polygons=[np.asarray(p, dtype=float) for p in inst.polygons],
        label=inst.label,
        source=inst.source,
        score=inst.score if inst.source == "predicted" else None,
        level=instance_level(inst.label, inst.extra),  # parts are grouped by vertebra
        # an accepted prediction is drawn solid: what is still dashed is left to check
        reviewed=inst.reviewed,
    )
