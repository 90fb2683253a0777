"""Never lose work: atomic saves, a backup, conflict detection and an autosave journal.

Project folder layout::

    project.json          the project (a COCO file, see coco.py)
    project.json.bak      the previous version, kept by every save
    images/               PNG MIPs / radiographs
    .vertapp/journal.jsonl  operations applied since the last save (autosave journal)
    .vertapp/autosave.json  snapshot the journal starts from, when it is not project.json

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
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
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
from vertapp.annotations.model import Change, ImageRecord, Project
from vertapp.annotations.opcodec import decode_op, encode_op
from vertapp.annotations.ops import Operation
from vertapp.annotations.validate import MAX_FILE_BYTES, parse_json
from vertapp.errors import FormatError, VertAppError

PROJECT_FILE = "project.json"
IMAGES_DIR = "images"  # the images the annotations are drawn on (MIP / radiograph PNGs)
SOURCES_DIR = "volumes"  # the CT behind each MIP, as NIfTI, so the project travels whole
PREPROCESS_DIR = "preprocess"  # per MIP, named by its image stem: MipResult.save() output
BACKUP_FILE = "project.json.bak"
STATE_DIR = ".vertapp"
JOURNAL_FILE = "journal.jsonl"
AUTOSAVE_FILE = "autosave.json"
FSYNC_INTERVAL_S = 1.0


class ConflictError(VertAppError):
    """project.json was changed on disk by someone else since it was loaded."""


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
    path: Path | str, chunks: Iterable[bytes], *, backup: Path | str | None = None
) -> str:
    """atomic_write_bytes of the concatenated chunks (never joined in memory); their SHA-256."""
    path = Path(path)
    folder = path.parent
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                digest.update(chunk)
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        if backup is not None and path.exists():
            _keep_backup(path, Path(backup))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(folder)
    return digest.hexdigest()


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
        size = path.stat().st_size
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
    path = project_file(folder)
    raw = _read_bytes(path)
    try:
        with bulk_objects():
            data = parse_project_json(raw, str(path))
            project = project_from_coco(data, name=str(path), root=folder)
            del data  # freed before the collector runs again
    except RecursionError:
        raise FormatError(f"{path}: nested too deeply") from None
    project.file_stamp = FileStamp.of(path, raw)
    if require_images:
        check_images(project)
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
    raise ConflictError(
        f"{path} was changed on disk since it was opened; reload it or save with force"
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
    folder.mkdir(parents=True, exist_ok=True)
    if not force:
        check_conflict(project, project_file(folder))
    journal = project.journal if isinstance(project.journal, Journal) else None
    mark = journal.mark() if journal is not None and journal.folder == folder else None
    with bulk_objects():
        snapshot = take_snapshot(project)
    project.share_arrays(True)  # until write_save has read them
    return PendingSave(project, folder, snapshot, project.revision, mark)


def write_save(pending: PendingSave) -> FileStamp:
    """Write the snapshot atomically (any thread; touches no Project). Returns its stamp."""
    path = pending.path
    try:
        _remove_stale_temp_files(pending.folder)
        with bulk_objects():
            chunks = snapshot_chunks(pending.snapshot)
            sha = atomic_write_chunks(path, chunks, backup=pending.folder / BACKUP_FILE)
    finally:
        pending.project.share_arrays(False)
    st = path.stat()
    return FileStamp(st.st_mtime_ns, st.st_size, sha)


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
        clear_recovery(pending.folder)


def _remove_stale_temp_files(folder: Path, min_age_s: float = 60.0) -> None:
    """Temp files of saves killed mid-way (never those of a save running right now)."""
    now = time.time()
    for tmp in folder.glob(f".{PROJECT_FILE}*.tmp"):
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
        self.path = _state_dir(self.folder) / JOURNAL_FILE
        self._file: Any = None
        self._last_sync = 0.0
        self._unsubscribe: Any = None
        self._lines: list[str] = []  # recorded since the last restart (for `saved`)
        self._epoch = 0  # restarts so far

    def attach(self) -> Journal:
        """Start recording every project.apply; structural changes trigger a snapshot."""
        if self.record not in self.project.apply_hooks:
            self.project.apply_hooks.append(self.record)
            self._unsubscribe = self.project.subscribe(self._on_change)
        self.project.journal = self
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
        """
        self.close()
        _state_dir(self.folder).mkdir(exist_ok=True)
        stamp = self.project.file_stamp
        if stamp is None or (replay is None and self.project.modified):
            self._write_snapshot()
            header = {"journal": 1, "base": AUTOSAVE_FILE}
            replay = None
        else:
            header = {"journal": 1, "base": PROJECT_FILE, "sha256": stamp.sha256}
            with contextlib.suppress(FileNotFoundError):
                (_state_dir(self.folder) / AUTOSAVE_FILE).unlink()
        lines = list(replay or [])
        atomic_write_bytes(self.path, (json.dumps(header) + "\n" + "".join(lines)).encode())
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
        self._lines = lines
        self._epoch += 1

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
        atomic_write_bytes(_state_dir(self.folder) / AUTOSAVE_FILE, dumps_project(self.project))

    def checkpoint(self) -> None:
        """Snapshot the project now and start an empty journal on top of it."""
        self.restart()

    def record(self, op: Operation) -> None:
        if self._file is None:
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
    """True when the folder holds unsaved edits from a session that did not end cleanly."""
    path = _state_dir(Path(project_dir)) / JOURNAL_FILE
    try:
        with open(path, encoding="utf-8") as f:
            header = json.loads(f.readline() or "{}")
            has_ops = bool(f.readline().strip())
    except (OSError, ValueError):
        return False
    return has_ops or header.get("base") == AUTOSAVE_FILE


def recover(project_dir: Path | str) -> Project:
    """The project as it was at the last journalled operation (unsaved: `modified` is True).

    Raises FormatError when the journal does not belong to the current project.json.
    """
    folder = Path(project_dir)
    path = _state_dir(folder) / JOURNAL_FILE
    lines = _read_bytes(path).decode("utf-8", errors="replace").split("\n")
    header = parse_json(lines[0], str(path))
    if not isinstance(header, dict) or header.get("journal") != 1:
        raise FormatError(f"{path}: not a VertApp journal")
    project = _journal_base(folder, header, path)
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            break  # the last line was cut short by the crash: everything before it counts
        try:
            project.apply(decode_op(entry))
        except VertAppError as err:
            raise FormatError(f"{path}: line {n}: cannot replay ({err})") from None
    project.saved_revision = -1  # recovered edits are unsaved
    return project


def _journal_base(folder: Path, header: dict[str, Any], path: Path) -> Project:
    if header.get("base") == AUTOSAVE_FILE:
        snap = _state_dir(folder) / AUTOSAVE_FILE
        raw = _read_bytes(snap)
        data = parse_project_json(raw, str(snap))
        project = project_from_coco(data, name=str(snap), root=folder)
        main = project_file(folder)
        project.file_stamp = FileStamp.of(main) if main.exists() else None
        return project
    project = load_project(folder)
    if project.file_stamp.sha256 != header.get("sha256"):
        raise FormatError(f"{path}: journal belongs to another version of {PROJECT_FILE}")
    return project


def clear_recovery(project_dir: Path | str) -> None:
    """Drop the journal and snapshot (after a clean save, or when the user declines)."""
    state = _state_dir(Path(project_dir))
    for name in (JOURNAL_FILE, AUTOSAVE_FILE):
        with contextlib.suppress(FileNotFoundError):
            (state / name).unlink()
