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
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vertapp.annotations.coco import project_from_coco, project_to_coco
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
    path = Path(path)
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
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


def dumps_project(project: Project) -> bytes:
    # json.dumps (C encoder on the whole document) is several times faster than json.dump.
    return json.dumps(project_to_coco(project), separators=(",", ":")).encode("utf-8")


# =================================================================== load / save


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
        project = project_from_coco(parse_json(raw, str(path)), name=str(path), root=folder)
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
    folder = Path(project_dir) if project_dir is not None else project.root
    if folder is None:
        raise ValueError("save_project needs a folder for a project that has none")
    folder.mkdir(parents=True, exist_ok=True)
    path = project_file(folder)
    if not force:
        check_conflict(project, path)
    data = dumps_project(project)
    _remove_stale_temp_files(folder)
    atomic_write_bytes(path, data, backup=folder / BACKUP_FILE)
    project.root = folder
    project.file_stamp = FileStamp.of(path, data)
    project.saved_revision = project.revision
    if isinstance(project.journal, Journal):
        project.journal.restart()  # the journal now starts from the file just written
    else:
        clear_recovery(folder)
    return path


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

    def restart(self) -> None:
        """Begin a new journal on top of project.json as saved now (or a snapshot)."""
        self.close()
        _state_dir(self.folder).mkdir(exist_ok=True)
        stamp = self.project.file_stamp
        if self.project.modified or stamp is None:
            self._write_snapshot()
            header = {"journal": 1, "base": AUTOSAVE_FILE}
        else:
            header = {"journal": 1, "base": PROJECT_FILE, "sha256": stamp.sha256}
            with contextlib.suppress(FileNotFoundError):
                (_state_dir(self.folder) / AUTOSAVE_FILE).unlink()
        atomic_write_bytes(self.path, (json.dumps(header) + "\n").encode())
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open)

    def _write_snapshot(self) -> None:
        atomic_write_bytes(_state_dir(self.folder) / AUTOSAVE_FILE, dumps_project(self.project))

    def checkpoint(self) -> None:
        """Snapshot the project now and start an empty journal on top of it."""
        self.restart()

    def record(self, op: Operation) -> None:
        if self._file is None:
            return
        self._file.write(json.dumps(encode_op(op), separators=(",", ":")) + "\n")
        self._file.flush()
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
        project = project_from_coco(parse_json(raw, str(snap)), name=str(snap), root=folder)
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
