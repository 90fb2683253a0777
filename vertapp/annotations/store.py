"""Never lose work: atomic saves, a backup, conflict detection and an autosave journal.

Project folder layout::

    project.json          the project (a COCO file, see coco.py)
    project.json.bak      the previous version, kept by every save
    images/               PNG MIPs / radiographs
    .vertapp/journal.jsonl  operations applied since the last save (autosave journal)
    .vertapp/autosave.json  snapshot the journal starts from, when it is not project.json
    .vertapp/lock.json    who has the folder open for editing (project_lock.py)

Save: the new content goes to a temporary file in the same folder, is flushed
and fsynced, the old file is hard-linked (or copied) to project.json.bak, the
temporary file is renamed over project.json (atomic on POSIX and Windows) and
the folder is fsynced. A crash at any instant leaves project.json either the old
or the new file, complete.

A save is three steps so a window can run the slow middle one in a worker
thread: `prepare_save` (caller's thread: conflict check, a snapshot of the
project, tens of ms), `write_save` (any thread: JSON, write, fsync) and
`commit_save` (caller's thread: the project and its journal learn what was
saved; edits made meanwhile stay unsaved and journalled). `save_project` does
all three.

Conflicts: the stamp (mtime, size, SHA-256) of project.json as loaded or saved
is kept; before overwriting, a file whose mtime or size differ and whose hash
differs is someone else's edit, and `save_project` raises ConflictError unless
`force=True`.

Journal: every operation applied through `Project.apply` is appended as a JSON
line and flushed (it survives the app crashing; an fsync at most once per
`FSYNC_INTERVAL_S` bounds what a power loss can take). `recover()` replays it on
top of the file it started from.

Save and journal: project.json is renamed into place (write_save) before the
journal is restarted on it (commit_save), so for a moment the journal names the
old file. Just before the rename, write_save notes in .vertapp/saving.json which
file it is about to install and how many journal lines that file already holds;
recovery replays over either version: the whole journal over the file it names,
or the lines after the note over the file the save installed. When the file is
neither (another program rewrote it), the edits are replayed over
project.json.bak if that is the journal's version, and the project keeps the
backup's stamp, so saving stops with "changed on disk" instead of overwriting
the other version. A journal that cannot be replayed is never deleted: it is
moved to .vertapp/kept/ (see recovery.py).

A journal whose file another session replaced (it opened the project anyway, see
project_lock.py) goes on in a kept folder of its own (`Journal.set_aside`): appending
to the replaced file wrote into a file nobody could read, and restarting over it
destroyed the other session's journal.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vertapp.annotations.coco import (
    ProjectSnapshot,
    parse_project_json,
    project_from_coco,
    snapshot_chunks,
    take_snapshot,
)
from vertapp.annotations.model import Change, ImageRecord, Instance, Project
from vertapp.annotations.opcodec import decode_op, encode_op
from vertapp.annotations.ops import Operation
from vertapp.annotations.validate import (
    MAX_FILE_BYTES,
    Where,
    check_coordinates,
    regular_file_size,
)
from vertapp.errors import FormatError, VertAppError

PROJECT_FILE = "project.json"
IMAGES_DIR = "images"  # the images the annotations are drawn on (MIP / radiograph PNGs)
SOURCES_DIR = "volumes"  # the CT behind each MIP, as NIfTI, so the project travels whole
PREPROCESS_DIR = "preprocess"  # per MIP, named by its image stem: MipResult.save() output
BACKUP_FILE = "project.json.bak"
STATE_DIR = ".vertapp"
JOURNAL_FILE = "journal.jsonl"
AUTOSAVE_FILE = "autosave.json"
SAVING_FILE = "saving.json"  # a save in flight: the file it installs, the journal lines it holds
KEPT_DIR = "kept"  # journals that could not be replayed or were superseded, never deleted
# In a kept folder: why it was kept ("origin", one of the four below), how it relates to
# other kept copies of the same work ("supersedes" / "superseded_by"), and the base name
# of the project folder its window saved all of that work in since ("saved_to", see
# note_saved_elsewhere), for kept_edits.py to describe it in words and never offer the
# same outlines twice.
KEPT_NOTE = "kept.json"
TAKEN_OVER = "taken_over"  # a live session's journal, copied by the session opening it anyway
SET_ASIDE = "set_aside"  # a session's own edits, set aside once its folder was taken over
UNANSWERED = "unanswered"  # left by a session that ended unexpectedly, replayed by nobody
NOT_RECOVERED = "not_recovered"  # a recovery that failed, or a journal too damaged to offer
DISCARDED = "discarded"  # a crashed session's edits the user chose Discard for when offered
SAVED_AS = "saved_as"  # a session's journal left in the folder it saved as a new project
# In a kept folder: a copy of the project.json its journal was made on (keep_journal
# with_base), so the edits still replay once the project was saved twice since (that
# version is then neither project.json nor project.json.bak).
BASE_COPY = "base.json"
FSYNC_INTERVAL_S = 1.0

log = logging.getLogger(__name__)


class ConflictError(VertAppError):
    """project.json was changed on disk by someone else since it was loaded."""


class ChangedOnDisk(ConflictError):
    """The project's own file changed since it was opened (another program wrote it):
    saving with force installs ours and keeps theirs as project.json.bak."""


@dataclass(frozen=True)
class FileStamp:
    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of(cls, path: Path, content: bytes | None = None) -> FileStamp:
        st = path.stat()
        data = content if content is not None else path.read_bytes()
        return cls(st.st_mtime_ns, st.st_size, hashlib.sha256(data).hexdigest())


# =================================================================== atomic IO


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # Windows cannot open a directory for fsync
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _keep_backup(path: Path, backup: Path) -> None:
    """Make `backup` the current content of `path` without ever removing `path`."""
    tmp = backup.with_name(f".{backup.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        os.link(path, tmp)  # a second name for the old file: no copy, no gap
    except OSError:
        shutil.copy2(path, tmp)  # file systems without hard links
    os.replace(tmp, backup)


def atomic_write_bytes(path: Path | str, data: bytes, *, backup: Path | str | None = None) -> None:
    """Write `data` to `path` so that a crash leaves either the old or the new file."""
    atomic_write_chunks(path, (data,), backup=backup)


def atomic_write_chunks(
    path: Path | str,
    chunks: Iterable[bytes],
    *,
    backup: Path | str | None = None,
    before_replace: Callable[[str], None] | None = None,
) -> str:
    """atomic_write_bytes of the concatenated chunks (never joined in memory); their SHA-256.

    before_replace(sha256) runs once the new content is on disk, before the rename.
    """
    path = Path(path)
    folder = path.parent
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            _give_mode(f.fileno(), tmp, _mode_for(path))
            for chunk in chunks:
                digest.update(chunk)
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        if before_replace is not None:
            before_replace(digest.hexdigest())
        if backup is not None and path.exists():
            _keep_backup(path, Path(backup))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(folder)
    return digest.hexdigest()


def _mode_for(path: Path) -> int:
    """The permissions a plain write of `path` would leave: the replaced file's own, else
    read-write for everyone the umask allows (0644 under the usual 022).

    mkstemp makes its file 0600, so every atomically written file (project.json, its
    images, the journal) was readable by its owner alone: a colleague given a copy of
    the project could open its PNGs but not its project.json."""
    with contextlib.suppress(OSError):
        return os.stat(path).st_mode & 0o7777
    return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux:
    setting it to read it back races with files other threads create meanwhile)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return _UMASK_AT_START


def _umask_now() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK_AT_START = _umask_now()  # where /proc does not say it (macOS, Windows)


def _give_mode(fd: int, path: Path, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows: only the read-only flag exists
        os.chmod(path, mode)


def dumps_project(project: Project) -> bytes:
    """project.json's content for the project as it is now."""
    return b"".join(snapshot_chunks(take_snapshot(project)))


# =================================================================== load / save


@contextlib.contextmanager
def bulk_objects() -> Iterator[None]:
    """Pause the cyclic garbage collector while many objects are built at once.

    Parsing or snapshotting a big project allocates hundreds of thousands of lists
    and dicts; the collector's full passes over them (every parsed float visited)
    took 100-350 ms each, holding the interpreter lock, so a worker thread doing
    this froze the window. Paused, garbage is still freed by reference counting,
    and the next pass sees only what survived. Nesting and threads are safe: it
    only ever re-enables a collector that was enabled when it started.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def project_file(project_dir: Path | str) -> Path:
    return Path(project_dir) / PROJECT_FILE


def _read_bytes(path: Path) -> bytes:
    try:
        size = regular_file_size(path)
        if size > MAX_FILE_BYTES:
            raise FormatError(f"{path}: file is {size} bytes, more than {MAX_FILE_BYTES}")
        return path.read_bytes()
    except OSError as err:
        raise FormatError(f"{path}: cannot read ({err.strerror or err})") from None


def load_project(project_dir: Path | str, *, require_images: bool = False) -> Project:
    """Open a project folder. Bad content -> FormatError / UnsafePathError naming the record.

    require_images: also refuse a project whose image files are missing (check_images).
    """
    folder = Path(project_dir)
    project = _load_file(project_file(folder), folder)
    if require_images:
        check_images(project)
    return project


def _load_file(path: Path, folder: Path) -> Project:
    """A project read from `path` (project.json or a copy of it) with `folder` as its root."""
    raw = _read_bytes(path)
    try:
        with bulk_objects():
            data = parse_project_json(raw, str(path))
            project = project_from_coco(data, name=str(path), root=folder)
            del data  # freed before the collector runs again
    except RecursionError:
        raise FormatError(f"{path}: nested too deeply") from None
    project.file_stamp = FileStamp.of(path, raw)
    return project


def missing_images(project: Project) -> list[ImageRecord]:
    """Images whose file is not in the project folder (UnsafePathError for escaping paths)."""
    return [img for img in project.images.values() if not project.image_path(img).is_file()]


def check_images(project: Project) -> None:
    """FormatError naming the first image record whose file is missing."""
    missing = missing_images(project)
    if missing:
        img = missing[0]
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise FormatError(
            f"{project_file(project.root or '.')}: image {img.id} {img.file_name!r} is missing{more}"
        )


def new_project(project_dir: Path | str, *, label_set: str = "vertebrae") -> Project:
    """An empty project for a folder (created, with images/); not saved yet."""
    folder = Path(project_dir)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    return Project(folder, label_set=label_set)


def check_conflict(project: Project, path: Path) -> None:
    """ConflictError if `path` is not the file this project was loaded from / saved to."""
    if not path.exists():
        return
    stamp = project.file_stamp
    if stamp is None:
        raise ConflictError(f"{path} already exists and was not opened in this project")
    st = path.stat()
    if st.st_mtime_ns == stamp.mtime_ns and st.st_size == stamp.size:
        return
    if st.st_size == stamp.size and FileStamp.of(path).sha256 == stamp.sha256:
        return  # touched, not changed
    raise ChangedOnDisk(
        f"{path} was changed on disk since it was opened (another program or window "
        "wrote it); nothing was written"
    )


def save_project(
    project: Project, project_dir: Path | str | None = None, *, force: bool = False
) -> Path:
    """Atomically write project.json (old one kept as project.json.bak); clears the journal.

    Raises ConflictError if the file changed on disk since load/save, unless force.
    """
    pending = prepare_save(project, project_dir, force=force)
    commit_save(project, pending, write_save(pending))
    return pending.path


@dataclass(frozen=True)
class PendingSave:
    """A save under way: what is written and what the project was when it was taken.

    Every prepare_save must be followed by write_save (which ends the sharing of the
    polygon arrays, even when it fails)."""

    project: Project
    folder: Path
    snapshot: ProjectSnapshot
    revision: int
    journal_mark: tuple[int, int] | None
    journal_id: str | None = None  # the journal the mark counts lines of

    @property
    def path(self) -> Path:
        return project_file(self.folder)


def prepare_save(
    project: Project, project_dir: Path | str | None = None, *, force: bool = False
) -> PendingSave:
    """Check for conflicts and take a snapshot (on the thread that edits the project)."""
    folder = Path(project_dir) if project_dir is not None else project.root
    if folder is None:
        raise ValueError("save_project needs a folder for a project that has none")
    _make_folder(project, folder)
    if not force:
        check_conflict(project, project_file(folder))
    journal = project.journal if isinstance(project.journal, Journal) else None
    same = journal is not None and journal.folder == folder
    mark = journal.mark() if journal is not None and same else None
    journal_id = journal.id if journal is not None and same else None
    with bulk_objects():
        snapshot = take_snapshot(project)
    project.share_arrays(True)  # until write_save has read them
    return PendingSave(project, folder, snapshot, project.revision, mark, journal_id)


def _make_folder(project: Project, folder: Path) -> None:
    """Create the folder of a first save or a "save as"; never the project's own again.

    A project folder that vanished while open (moved, renamed, deleted, an unmounted
    share) was silently re-created empty by the next save, which then failed on the
    missing state folder with a message about a previous file that was not there.
    """
    if own_folder_lost(project, folder):
        raise folder_gone(folder)
    folder.mkdir(parents=True, exist_ok=True)


def own_folder_lost(project: Project, folder: Path | str) -> bool:
    """`folder` is the saved project's own, and it is gone (moved, renamed, deleted, an
    unmounted share), or something made a folder of that name again that holds neither
    the project's file, nor its backup, nor any of its images: a save there would make a
    project.json without images ("cannot read the image" on every one once reopened)."""
    folder = Path(folder)
    if project.file_stamp is None or not _same_path(folder, project.root):
        return False
    try:
        if not folder.is_dir():
            return True
        if project_file(folder).exists() or (folder / BACKUP_FILE).exists():
            return False
        return bool(project.images) and len(missing_images(project)) == len(project.images)
    except (OSError, VertAppError):  # cannot tell: the save says what it meets
        return False


def _same_path(a: Path, b: Path | None) -> bool:
    return b is not None and Path(a).resolve() == Path(b).resolve()


def folder_gone(folder: Path) -> VertAppError:
    """The error for saving into a folder that is no longer there, in words."""
    return VertAppError(
        f"{folder}: the project folder is no longer there (it was moved, renamed or "
        "deleted); nothing was written. Use File > Save project as… to keep your work "
        "in another folder."
    )


def write_save(pending: PendingSave) -> FileStamp:
    """Write the snapshot atomically (any thread; touches no Project). Returns its stamp."""
    path = pending.path
    try:
        _remove_stale_temp_files(pending.folder)
        with bulk_objects():
            chunks = snapshot_chunks(pending.snapshot)
            sha = atomic_write_chunks(
                path,
                chunks,
                backup=pending.folder / BACKUP_FILE,
                before_replace=lambda sha: _note_saving(pending, sha),
            )
    except FileNotFoundError:
        if not pending.folder.is_dir():  # it went away while this save was under way
            raise folder_gone(pending.folder) from None
        raise
    finally:
        pending.project.share_arrays(False)
    st = path.stat()
    return FileStamp(st.st_mtime_ns, st.st_size, sha)


def _note_saving(pending: PendingSave, sha: str) -> None:
    """Before the rename: which file this save installs and which journal lines it holds.

    Until commit_save restarts the journal on the new file, the journal still names
    the old one; this note lets recovery replay the remaining lines over the new one.
    """
    if pending.journal_id is None or pending.journal_mark is None:
        return
    note = {"journal_id": pending.journal_id, "lines": pending.journal_mark[1], "sha256": sha}
    state = _state_dir(pending.folder)
    state.mkdir(exist_ok=True)  # removed by hand meanwhile: the note must still be written
    atomic_write_bytes(state / SAVING_FILE, json.dumps(note).encode())


def commit_save(project: Project, pending: PendingSave, stamp: FileStamp) -> None:
    """The file now holds the project as it was at `prepare_save`: record that.

    Edits applied since then keep the project modified, and the journal is restarted
    on the new file with those edits replayed on top, so a crash loses none of them.
    """
    project.root = pending.folder
    project.file_stamp = stamp
    project.saved_revision = pending.revision
    journal = project.journal
    if isinstance(journal, Journal) and pending.journal_mark is not None:
        journal.saved(pending.journal_mark)
    elif isinstance(journal, Journal):
        journal.restart()
    else:
        _retire_journal(pending.folder, project)
    with contextlib.suppress(FileNotFoundError):
        (_state_dir(pending.folder) / SAVING_FILE).unlink()


def _retire_journal(folder: Path, project: Project) -> None:
    """After a save without a journal: drop the one it was recovered from, keep any other.

    A journal with edits that were never replayed (recovery declined by no one, or
    failed) is moved to .vertapp/kept/ rather than deleted: the save does not hold them.
    """
    _keep_unreplayed(folder, project)
    clear_recovery(folder)


def _keep_unreplayed(folder: Path, project: Project) -> None:
    """Copy the folder's journal to .vertapp/kept/ unless `project` holds its edits.

    A journal whose header cannot be read is kept too: nobody replayed it either.
    """
    header = _journal_header(folder)
    replayed = header is not None and _journal_id(header) == project.recovered_journal
    if not replayed and has_recovery(folder):
        keep_journal(folder, UNANSWERED)


def _journal_id(header: dict[str, Any]) -> str:
    return str(header.get("id") or "journal without id")


def _remove_stale_temp_files(
    folder: Path, pattern: str = f".{PROJECT_FILE}*.tmp", min_age_s: float = 60.0
) -> None:
    """Temp files of writes killed mid-way (never those of a write running right now)."""
    now = time.time()
    for tmp in folder.glob(pattern):
        with contextlib.suppress(OSError):
            if now - tmp.stat().st_mtime > min_age_s:
                tmp.unlink()


# =================================================================== journal


def _state_dir(project_dir: Path) -> Path:
    return Path(project_dir) / STATE_DIR


class Journal:
    """Append-only log of the operations applied to a project since its last save.

    journal = Journal(project); journal.attach()   # records every project.apply
    journal.checkpoint()  # after changes that are not operations (images added)
    """

    def __init__(self, project: Project, project_dir: Path | str | None = None) -> None:
        folder = Path(project_dir) if project_dir is not None else project.root
        if folder is None:
            raise ValueError("a journal needs a project folder")
        self.project = project
        self.folder = Path(folder)
        self.state = _state_dir(self.folder)  # where its files are (see set_aside)
        self.path = self.state / JOURNAL_FILE
        # The kept folder it went on in once its file was another session's (set_aside),
        # and who wants to hear of it (called with that folder).
        self.aside: Path | None = None
        self.on_aside: Callable[[Path], None] | None = None
        # Where it goes on when the project's folder itself is gone (moved, deleted, an
        # unmounted share): a folder of the caller's outside the project (the window: its
        # autosave area). A kept folder inside the project made the vanished folder again,
        # holding a journal and no images, and the next save wrote a project.json there.
        self.refuge: Path | None = None
        self._file: Any = None
        self._last_sync = 0.0
        self._unsubscribe: Any = None
        self._lines: list[str] = []  # recorded since the last restart (for `saved`)
        self._epoch = 0  # restarts so far
        self.id = ""  # new at every restart; a save's note names the journal it counted

    def attach(self) -> Journal:
        """Start recording every project.apply; structural changes trigger a snapshot."""
        if self.record not in self.project.apply_hooks:
            self.project.apply_hooks.append(self.record)
            self._unsubscribe = self.project.subscribe(self._on_change)
        self.project.journal = self
        if self.aside is None:  # never overwrite edits nobody replayed
            _keep_unreplayed(self.folder, self.project)
        self.restart()
        return self

    def detach(self) -> None:
        """Stop recording (the files stay: call clear_recovery to drop them)."""
        if self.record in self.project.apply_hooks:
            self.project.apply_hooks.remove(self.record)
            self._unsubscribe()
        if self.project.journal is self:
            self.project.journal = None
        self.close()

    def _on_change(self, change: Change) -> None:
        # Images added/removed are not operations: the journal restarts from a snapshot.
        if change.kind in ("image_added", "image_removed", "reset"):
            self.restart()

    def restart(self, replay: Sequence[str] | None = None) -> None:
        """Begin a new journal on top of project.json as saved now (or a snapshot).

        replay: journal lines of edits applied after the state project.json holds
        (a save that ran while the user kept editing); they start the new journal.
        A journal whose file another session replaced restarts in a kept folder of its
        own instead (set_aside): the file at its path is that session's now.
        """
        moved = self._displaced() or (self.aside is None and not self.folder.is_dir())
        if moved:
            self._go_aside()
        self.close()
        state = self.state
        state.mkdir(exist_ok=True)
        _remove_stale_temp_files(state, ".*.tmp")  # of journal writes killed mid-way
        stamp = self.project.file_stamp
        self.id = uuid.uuid4().hex
        header: dict[str, Any]
        if stamp is None or (replay is None and self.project.modified):
            self._write_snapshot()
            header = {"journal": 1, "base": AUTOSAVE_FILE, "id": self.id}
            replay = None
        else:
            header = {"journal": 1, "base": PROJECT_FILE, "sha256": stamp.sha256, "id": self.id}
            with contextlib.suppress(FileNotFoundError):
                (state / AUTOSAVE_FILE).unlink()
        lines = list(replay or [])
        atomic_write_bytes(self.path, (json.dumps(header) + "\n" + "".join(lines)).encode())
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
        self._lines = lines
        self._epoch += 1
        if moved:
            self._tell_aside()

    def mark(self) -> tuple[int, int]:
        """Where the journal stands now (taken with a save's snapshot)."""
        return self._epoch, len(self._lines)

    def saved(self, mark: tuple[int, int]) -> None:
        """project.json now holds the project as it was at `mark`: restart on it."""
        epoch, n = mark
        if epoch != self._epoch:  # restarted meanwhile (images added): snapshot as usual
            self.restart()
        else:
            self.restart(self._lines[n:])

    def _write_snapshot(self) -> None:
        atomic_write_bytes(self.state / AUTOSAVE_FILE, dumps_project(self.project))

    def _displaced(self) -> bool:
        """The file this journal appends to is no longer the one at its path: another
        session replaced it (a window that opened the project anyway attached its own
        journal) or removed it. One fstat and one stat: cheap enough for every edit."""
        if self._file is None:
            return False
        try:
            mine, there = os.fstat(self._file.fileno()), os.stat(self.path)
        except FileNotFoundError:
            return True
        except OSError:  # cannot tell: appending as before loses nothing more
            return False
        return (mine.st_dev, mine.st_ino) != (there.st_dev, there.st_ino)

    def set_aside(self) -> Path:
        """Go on in a folder of its own, .vertapp/kept/<time>-<id>/: the folder's journal
        is another session's now. It starts from a snapshot of the project as it is (the
        unsaved edits all in it: `recover_edits(folder, that folder)` replays it), and
        later edits and restarts are journalled there. Returns that folder."""
        self._go_aside()
        self.restart()
        return self.state

    def _go_aside(self) -> None:
        self.close()
        replaced = self.id  # the journal the other session copied when it took the folder
        if not self.folder.is_dir():  # the project's folder is gone: never made again
            if self.refuge is None:
                raise FileNotFoundError(
                    errno.ENOENT, "the project folder is no longer there", str(self.folder)
                )
            self.state = _new_kept_dir(self.refuge, under="")
            self.path, self.aside = self.state / JOURNAL_FILE, self.state
            with contextlib.suppress(OSError):  # without it, it only says less of why
                _write_kept_note(self.state, {"origin": SET_ASIDE, "supersedes": replaced})
            return
        self.state = _new_kept_dir(_state_dir(self.folder))
        self.path = self.state / JOURNAL_FILE
        self.aside = self.state
        _note_superseded(self.folder, replaced, self.state)

    @property
    def outside(self) -> bool:
        """It goes on outside the project, in `refuge`: the project's folder was gone."""
        return (
            self.aside is not None
            and self.refuge is not None
            and (self.aside.parent == self.refuge)
        )

    def _tell_aside(self) -> None:
        """It went aside on its own (its file was replaced): `on_aside` hears where."""
        if self.on_aside is not None:
            self.on_aside(self.state)

    def checkpoint(self) -> None:
        """Snapshot the project now and start an empty journal on top of it."""
        self.restart()

    def record(self, op: Operation) -> None:
        if self._file is None:
            return
        if self._displaced():  # its snapshot holds `op`, applied already
            try:
                self.set_aside()
            except OSError as err:  # the edit itself is done: never undone by its journal
                log.warning("%s: the journal stops: %s", self.folder, err)
                self.close()
                return
            self._tell_aside()
            return
        line = json.dumps(encode_op(op), separators=(",", ":")) + "\n"
        self._file.write(line)
        self._file.flush()
        self._lines.append(line)
        now = time.monotonic()
        if now - self._last_sync >= FSYNC_INTERVAL_S:
            os.fsync(self._file.fileno())
            self._last_sync = now

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.flush()
                os.fsync(self._file.fileno())
            self._file.close()
            self._file = None


def has_recovery(project_dir: Path | str) -> bool:
    """True when the folder holds unsaved edits from a session that did not end cleanly.

    A journal whose first line cannot be read counts: it may hold edits, and must be
    kept and the user told (recovery.recovery_plan says DAMAGED), never overwritten.
    """
    path = _state_dir(Path(project_dir)) / JOURNAL_FILE
    try:
        with open(path, "rb") as f:
            first = f.readline()
            has_ops = bool(f.readline().strip())
    except OSError:
        return False
    try:
        header = json.loads(first or b"{}")
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        return True
    if not isinstance(header, dict):
        return True
    return has_ops or header.get("base") == AUTOSAVE_FILE


@dataclass
class Recovery:
    """A recovered project (its edits unsaved) and what the user should be told."""

    project: Project
    edits: int  # journal lines replayed
    notes: list[str]


def recover(project_dir: Path | str) -> Project:
    """The project as it was at the last journalled operation (unsaved: `modified` is True).

    Raises FormatError when the journal fits no version of project.json (it is kept).
    """
    return recover_edits(project_dir).project


def recover_edits(project_dir: Path | str, state_dir: Path | None = None) -> Recovery:
    """`recover` with the count of replayed edits and notes for the user.

    state_dir: where the journal lies (default .vertapp; or a .vertapp/kept/ folder).

    A journal is replayed whole or not at all. One that cannot be (its header damaged,
    made on another version of project.json, an entry damaged or holding what the
    project loader would refuse) raises FormatError naming the line and what is wrong;
    the journal is first copied to .vertapp/kept/, and the message says where.
    Only a last line cut short by the crash is left out without a word.
    """
    folder = Path(project_dir)
    state = state_dir if state_dir is not None else _state_dir(folder)
    path = state / JOURNAL_FILE
    lines = _read_bytes(path).decode("utf-8", errors="replace").split("\n")
    try:
        return _replay_journal(folder, state, path, lines)
    except FormatError as err:
        raise FormatError(f"{err}; {_kept_words(folder, state)}") from None


def _replay_journal(folder: Path, state: Path, path: Path, lines: list[str]) -> Recovery:
    header = _parse_header(lines[0], path)
    project, skip, notes = _journal_base(folder, state, header, path)
    entries = [
        (n, line) for n, line in enumerate(lines[1:], start=2) if line.strip() and n - 2 >= skip
    ]
    replayed = _replay(project, entries, path)
    project.saved_revision = -1  # recovered edits are unsaved
    project.recovered_journal = _journal_id(header)
    return Recovery(project, replayed, notes)


def _parse_header(line: str, path: Path) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict):
        raise FormatError(f"{path}: its first line is damaged (not a journal header)")
    if header.get("journal") != 1:
        raise FormatError(f"{path}: not a VertApp journal")
    return header


def _replay(project: Project, entries: list[tuple[int, str]], path: Path) -> int:
    """Apply the journal's entries (line number, text) in order; how many were applied."""
    for k, (n, line) in enumerate(entries):
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):
            if k == len(entries) - 1:
                return k  # the last line was cut short by the crash: everything before counts
            raise _bad_entry(
                path, n, "the line is damaged (not valid JSON)", len(entries)
            ) from None
        try:
            _replay_entry(project, entry)
        except FormatError as err:
            raise _bad_entry(path, n, str(err), len(entries)) from None
    return len(entries)


def _bad_entry(path: Path, line: int, why: str, total: int) -> FormatError:
    lost = "its 1 edit was not" if total == 1 else f"none of its {total} edits were"
    return FormatError(f"{path}: line {line}: {why}; {lost} recovered")


def _replay_entry(project: Project, entry: Any) -> None:
    """Apply one journal entry; FormatError when it is damaged, does not fit the project,
    or leaves what the project loader would refuse (the save would not open again)."""
    op = decode_op(entry)
    try:
        project.apply(op)
    except Exception as err:  # file content: any failure means a bad entry
        raise FormatError(f"{type(op).__name__}: cannot replay ({err})") from None
    _check_replayed(project, op)


def _check_replayed(project: Project, op: Operation) -> None:
    """The instances `op` touched hold only labels of the project's set (a save looks up
    each one's category) and coordinates the loader accepts (decode_op checked those
    it read; a move can still carry a vertex out of range)."""
    for ident in _touched_instances(op):
        if not project.has_instance(ident):
            continue  # deleted by the edit
        inst = project.instance(ident)
        where = Where(type(op).__name__).sub("instance", id=ident)
        if inst.label not in project.labels:
            raise where.error(f"label {inst.label!r:.40} is not one of the project's labels")
        for ring in (*inst.polygons, *inst.holes):
            check_coordinates(ring, where)


def _touched_instances(op: Operation) -> Iterator[int]:
    for sub in getattr(op, "ops", ()):
        yield from _touched_instances(sub)
    inst = getattr(op, "instance", None)
    ident = inst.id if isinstance(inst, Instance) else getattr(op, "instance_id", None)
    if isinstance(ident, int):
        yield ident


def _journal_base(
    folder: Path, state: Path, header: dict[str, Any], path: Path
) -> tuple[Project, int, list[str]]:
    """The project the journal's lines apply to, how many lines it already holds, notes."""
    main = project_file(folder)
    if header.get("base") == AUTOSAVE_FILE:
        project = _load_file(state / AUTOSAVE_FILE, folder)
        project.file_stamp = FileStamp.of(main) if main.exists() else None
        return project, 0, []
    want = header.get("sha256")
    if main.is_file():
        project = load_project(folder)
        if project.file_stamp.sha256 == want:
            return project, 0, []
        note = _saving_note(state)
        if note.get("journal_id") == header.get("id") and note.get("sha256") == (
            project.file_stamp.sha256
        ):  # killed between the rename and commit_save: the file holds the first lines
            return project, int(note.get("lines", 0)), []
    backup = folder / BACKUP_FILE
    if backup.is_file() and FileStamp.of(backup).sha256 == want:
        project = _load_file(backup, folder)  # its stamp: saving asks before overwriting
        return (
            project,
            0,
            [
                f"{PROJECT_FILE} was changed by another program after these edits; they were "
                f"recovered on the previous version ({BACKUP_FILE}), and saving will ask before "
                f"replacing the other version"
            ],
        )
    copy = state / BASE_COPY  # kept with a copy of its own version (keep_journal with_base)
    if copy.is_file() and FileStamp.of(copy).sha256 == want:
        project = _load_file(copy, folder)  # as a snapshot: the saved file is the one there
        project.file_stamp = FileStamp.of(main) if main.exists() else None
        return project, 0, []
    raise FormatError(f"{path}: journal belongs to another version of {PROJECT_FILE}")


def _kept_words(folder: Path, state: Path) -> str:
    """Keep a journal that could not be replayed (the next one would replace it): where."""
    kept = keep_journal(folder, NOT_RECOVERED) if state == _state_dir(folder) else state
    if kept is None:  # gone meanwhile: nothing left to keep
        return "the journal is no longer there"
    try:
        shown: Path = kept.relative_to(folder)
    except ValueError:  # a kept journal replayed from outside the folder
        shown = kept
    return f"its edits are kept in {shown}"


def _saving_note(state: Path) -> dict[str, Any]:
    try:
        note = json.loads((state / SAVING_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return note if isinstance(note, dict) else {}


def clear_recovery(project_dir: Path | str) -> None:
    """Drop the journal and snapshot (after a clean save, or when the user declines)."""
    state = _state_dir(Path(project_dir))
    for name in (JOURNAL_FILE, AUTOSAVE_FILE, SAVING_FILE):
        with contextlib.suppress(FileNotFoundError):
            (state / name).unlink()


def _journal_header(folder: Path) -> dict[str, Any] | None:
    return journal_header_at(_state_dir(folder) / JOURNAL_FILE)


def journal_header_at(path: Path) -> dict[str, Any] | None:
    """The first line of a journal file as a dict; None when it is missing or damaged."""
    try:
        with open(path, encoding="utf-8") as f:
            header = json.loads(f.readline() or "null")
    except (OSError, ValueError, RecursionError):
        return None
    return header if isinstance(header, dict) else None


def keep_journal(
    project_dir: Path | str, origin: str = UNANSWERED, *, with_base: bool = False
) -> Path | None:
    """Copy the journal (and its snapshot and save note) to .vertapp/kept/<time>/; that folder.

    Used wherever a journal would otherwise be overwritten or removed without its
    edits having been replayed: they stay on disk for a person to recover. `origin`
    (TAKEN_OVER, UNANSWERED, NOT_RECOVERED, DISCARDED) is noted for the list to say why.
    `with_base`: the project.json the journal was made on is copied too (BASE_COPY), for
    edits the user set aside on purpose and goes on saving over: replayed onto neither
    project.json nor its backup after two saves, they could not be recovered at all.
    """
    folder = Path(project_dir)
    state = _state_dir(folder)
    if not (state / JOURNAL_FILE).is_file():
        return None
    same = _kept_copy(state)
    if same is not None:  # a failed recovery kept it, then the next journal wanted to
        return same
    dest = _new_kept_dir(state)
    for name in (JOURNAL_FILE, AUTOSAVE_FILE, SAVING_FILE):
        if (state / name).is_file():
            shutil.copy2(state / name, dest / name)
    if with_base:
        _copy_base(folder, state, dest)
    with contextlib.suppress(OSError):  # without it, the list only says less of why
        _write_kept_note(dest, {"origin": origin})
    _fsync_dir(dest)
    return dest


def _copy_base(folder: Path, state: Path, dest: Path) -> None:
    """The project.json (or backup) the journal in `state` was made on, copied to `dest`."""
    header = _journal_header(folder) or {}
    want = header.get("sha256")
    if header.get("base") != PROJECT_FILE or not want:
        return  # made on a snapshot of its own (copied with it) or unreadable
    for source in (project_file(folder), folder / BACKUP_FILE):
        with contextlib.suppress(OSError):
            if source.is_file() and FileStamp.of(source).sha256 == want:
                shutil.copy2(source, dest / BASE_COPY)
                return


def kept_note(kept: Path) -> dict[str, Any]:
    """A kept folder's note (KEPT_NOTE; {} when it has none: kept before notes were)."""
    try:
        note = json.loads((kept / KEPT_NOTE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return note if isinstance(note, dict) else {}


def _write_kept_note(kept: Path, fields: dict[str, Any]) -> None:
    atomic_write_bytes(kept / KEPT_NOTE, json.dumps({**kept_note(kept), **fields}).encode())


def _note_superseded(folder: Path, replaced: str, aside: Path) -> None:
    """`aside` holds all the unsaved work of journal `replaced` (its snapshot starts from
    it): noted on both sides, so the copy the other session kept of that journal when it
    took the folder is not offered again beside it, nor after this session saved or
    discarded the work (its kept folder is then removed, the copy's note stays). A note
    that cannot be written loses nothing: both copies stay listed."""
    with contextlib.suppress(OSError):
        _write_kept_note(aside, {"origin": SET_ASIDE, "supersedes": replaced})
    root = _state_dir(folder) / KEPT_DIR
    for kept in sorted(root.iterdir()) if replaced else ():
        header = journal_header_at(kept / JOURNAL_FILE)
        if kept != aside and header is not None and header.get("id") == replaced:
            with contextlib.suppress(OSError):
                _write_kept_note(kept, {"superseded_by": aside.name})


def note_saved_elsewhere(
    project_dir: Path | str, journal_ids: Iterable[str], saved_to: Path | str
) -> list[Path]:
    """A session saved its project as a new one in `saved_to` ("save as"), the work of its
    journals `journal_ids` (the one it had in `project_dir` and the one it set aside, if
    any) all in it: the kept folders of `project_dir` holding that work are noted so
    (KEPT_NOTE "saved_to": the folder's base name, never its path), so that they are not
    offered for recovery there as work that is nowhere else. They are the copy another
    session kept of that journal when it opened the project anyway (the taken-over
    session may save elsewhere before it notices, and then sets nothing aside that
    would supersede the copy), and the folders those journals supersede (their notes
    name them). Nothing is said when a note cannot be written (a read-only share):
    the copy stays listed, as before.

    The folder's own journal, when it is one of `journal_ids` (the session's live journal
    there, taken off by the "save as"), goes to a kept folder noted so too: left in
    place, it was offered as a crashed session's edits when the project was next opened,
    and recovering it added the same outlines a second time. Returns the folders noted."""
    root = _state_dir(Path(project_dir)) / KEPT_DIR
    ids = {i for i in journal_ids if i}
    name = Path(saved_to).name
    _retire_saved_journal(Path(project_dir), ids)
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir()) if ids else []
    except OSError:
        return []
    headers = {k: (journal_header_at(k / JOURNAL_FILE) or {}).get("id") for k in folders}
    seen: set[Path] = set()
    noted: list[Path] = []
    while True:  # a folder's note may name a journal it supersedes: that one's copy too
        found = [k for k in folders if k not in seen and headers[k] in ids]
        if not found:
            return noted
        for kept in found:
            seen.add(kept)
            with contextlib.suppress(OSError):
                _write_kept_note(kept, {"saved_to": name})
                noted.append(kept)
            replaced = kept_note(kept).get("supersedes")
            if isinstance(replaced, str) and replaced:
                ids.add(replaced)


def _retire_saved_journal(folder: Path, ids: set[str]) -> None:
    """The folder's journal, if its id is one of `ids`: kept (noted by the caller), then
    removed. Where it cannot be kept it stays (offered again: nothing is lost)."""
    header = _journal_header(folder)
    if header is None or str(header.get("id") or "") not in ids:
        return  # none, damaged, or another session's: not this work's
    try:
        keep_journal(folder, SAVED_AS)
    except OSError as err:
        log.warning("%s: the journal saved elsewhere could not be kept: %s", folder, err)
        return
    with contextlib.suppress(OSError):
        clear_recovery(folder)


def _new_kept_dir(state: Path, under: str = KEPT_DIR) -> Path:
    """A new, empty .vertapp/kept/<time>-<id>/ folder (time first: they sort by age);
    `under` "": right in `state` (a journal's refuge outside its vanished project)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    dest = state / under / f"{stamp}-{uuid.uuid4().hex[:6]}"
    dest.mkdir(parents=True)
    return dest


def _kept_copy(state: Path) -> Path | None:
    """The kept folder already holding this very journal (its bytes), if one does.

    Journals are unique by their header's id, so equal bytes mean the same journal
    and the same snapshot: keeping it again would only make a second copy.
    """
    data = (state / JOURNAL_FILE).read_bytes()
    root = state / KEPT_DIR
    candidates = sorted(root.iterdir()) if root.is_dir() else []
    for folder in candidates:
        kept = folder / JOURNAL_FILE
        with contextlib.suppress(OSError):
            if kept.stat().st_size == len(data) and kept.read_bytes() == data:
                return folder
    return None
