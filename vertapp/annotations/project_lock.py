"""Who has a project folder open for editing: `.vertapp/lock.json` (LibreOffice's `.~lock`).

A second window (or a command writing in place) on a project that one window edits
used to take the first one's live crash journal for a crashed session's: offered to
recover it, deleted it on "No", replaced it with its own, or deleted it on close, and
the first window's later edits were written to a file nobody would ever read.

The lock records which process holds the folder: pid, host, app version, start time
and a random token (no user or patient name). It is created with O_CREAT|O_EXCL, so
of two sessions opening the folder at once only one gets it. A lock whose process is
gone (same host, pid not running) is stale: a crashed session's, taken over at once.
On another host, or with a live pid, the holder is live: the window asks what to do,
a command refuses. A lock file that cannot be read is taken for stale (and logged):
nothing of the user's is in it, and refusing to open would lock the user out for good.

A session that opened the folder anyway replaced the lock: the first session finds
another token in it (`SessionLock.taken_over`) and must write nothing there any more;
the window then turns read-only (its journal goes on in a kept folder of its own).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import secrets
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from vertapp import __version__
from vertapp.annotations.store import STATE_DIR, atomic_write_bytes
from vertapp.errors import VertAppError

LOCK_FILE = "lock.json"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SETTLE_S = 2.0  # a lock file younger than this may still be being written: read again
log = logging.getLogger(__name__)

# Tokens of the locks this process holds. A lock naming this process's pid with a token
# not here was left by an earlier process whose pid the system gave to this one: stale.
_HELD: set[str] = set()


@dataclass(frozen=True)
class LockInfo:
    """What a lock file says about its holder."""

    pid: int
    host: str
    version: str
    started: str  # ISO 8601, local time with its offset
    token: str

    @classmethod
    def mine(cls) -> LockInfo:
        started = datetime.now().astimezone().isoformat(timespec="seconds")
        return cls(os.getpid(), _host(), __version__, started, secrets.token_hex(8))

    def words(self) -> str:
        """'process 4242 on ws-12 since 2024-05-01 10:32': for the log and the command
        line (a window says `where_words` and `when_words`: a pid means nothing there)."""
        return f"process {self.pid} on {self.host} since {self.started[:16].replace('T', ' ')}"

    def elsewhere(self) -> bool:
        """Held from another computer: whether it still runs cannot be asked (is_live)."""
        return self.host != _host()

    def where_words(self) -> str:
        """' on ws-12' for another computer, '' for this one (the user is at it)."""
        return f" on {self.host}" if self.elsewhere() else ""

    def when_words(self, now: datetime | None = None) -> str:
        """When it was opened, as a person says it: '20:02 today', '20:02 yesterday',
        '20:02 on 30 Nov' ('… 30 Nov 2025' in another year); '' when unreadable."""
        try:
            then = datetime.fromisoformat(self.started)
        except ValueError:
            return ""
        now = now or datetime.now().astimezone()
        if then.tzinfo is not None:  # another computer's clock: said in this one's time
            then = then.astimezone(now.tzinfo)
        clock = f"{then.hour:02d}:{then.minute:02d}"
        days = (now.date() - then.date()).days
        if days in (0, 1):
            return f"{clock} {'today' if days == 0 else 'yesterday'}"
        day = f"{then.day} {MONTHS[then.month - 1]}"  # not %b: the locale's, in English words
        return f"{clock} on {day}" + (f" {then.year}" if then.year != now.year else "")

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def parse(cls, data: bytes) -> LockInfo:
        """ValueError when `data` is not a lock file's content."""
        raw = json.loads(data)
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        pid, token = raw.get("pid"), raw.get("token")
        if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or not token:
            raise ValueError("no pid or token")
        host, version, started = (str(raw.get(k, "")) for k in ("host", "version", "started"))
        return cls(pid, host, version, started, str(token))


class ProjectInUse(VertAppError):
    """The folder is held by a live session (another window, process or host)."""

    def __init__(self, folder: Path, holder: LockInfo) -> None:
        self.folder, self.holder = folder, holder
        super().__init__(f"{folder}: {in_use_words(holder)}")


def in_use_words(holder: LockInfo) -> str:
    return f"this project is open in another VertApp window ({holder.words()})"


def taken_away_words(holder: LockInfo) -> str:
    """Why a session whose folder was taken over writes nothing there any more, in plain
    words: 'Another VertApp window opened this project at 20:02 today, so this window is
    read-only now' (who exactly, and where its edits went, is for the log)."""
    when = holder.when_words()
    return (
        f"Another VertApp window{holder.where_words()} opened this project"
        + (f" at {when}" if when else "")
        + ", so this window is read-only now"
    )


@dataclass
class ProjectLock:
    """A lock this process holds on `folder`."""

    folder: Path
    info: LockInfo

    def held(self) -> bool:
        """The file still names this holder (another session may have taken it over)."""
        found = read_lock(self.folder)
        return found is not None and found.token == self.info.token

    def release(self) -> bool:
        """Remove the lock file if it is still this holder's; another's is left alone."""
        _HELD.discard(self.info.token)
        if not self.held():
            return False
        with contextlib.suppress(FileNotFoundError):
            lock_path(self.folder).unlink()
        return True


def lock_path(folder: Path | str) -> Path:
    return Path(folder) / STATE_DIR / LOCK_FILE


def read_lock(folder: Path | str) -> LockInfo | None:
    """The folder's lock, or None: no lock file, or one that cannot be read (logged)."""
    path = lock_path(folder)
    for _ in range(20):  # a lock just created is written a moment later (see acquire)
        try:
            data = path.read_bytes()
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            return None
        except OSError as err:
            log.warning("%s: cannot read the lock file (%s); taken for stale", path, err)
            return None
        try:
            return LockInfo.parse(data)
        except (ValueError, RecursionError) as err:
            if age > SETTLE_S:
                log.warning("%s: damaged lock file (%s); taken for stale", path, err)
                return None
        time.sleep(SETTLE_S / 20)
    return None


def is_live(info: LockInfo) -> bool:
    """Whether the holder may still be running: always on another host (it cannot be
    asked); on this one, whether its process exists."""
    if info.host != _host():
        return True
    if info.pid == os.getpid():
        return info.token in _HELD
    return _process_exists(info.pid)


def live_holder(folder: Path | str) -> LockInfo | None:
    """The live session holding the folder (this process's other windows too), or None."""
    info = read_lock(folder)
    return info if info is not None and is_live(info) else None


def acquire(folder: Path | str, *, take_over: bool = False) -> ProjectLock:
    """Lock `folder` for this process. A stale lock is taken over (logged); a live one
    raises ProjectInUse, or with `take_over` is replaced (the user chose "Open anyway").
    OSError when the folder cannot be written (the caller goes on without a lock)."""
    folder = Path(folder)
    path = lock_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    mine = LockInfo.mine()
    for _ in range(3):  # a stale lock removed, and another session quicker to create one
        try:
            _create_exclusive(path, mine.to_bytes())
            break
        except FileExistsError:
            holder = read_lock(folder)
            if holder is not None and is_live(holder):
                if not take_over:
                    raise ProjectInUse(folder, holder) from None
                log.warning("%s: taken over from %s (Open anyway)", path, holder.words())
                atomic_write_bytes(path, mine.to_bytes())
                break
            if holder is not None:
                log.info("%s: stale lock of %s taken over", path, holder.words())
            # Two sessions taking over one stale lock at the same instant could both
            # remove and create; the loser is told at its release (held() is False).
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    else:  # each time removed, each time back: leave it to the caller as unlockable
        raise FileExistsError(errno.EEXIST, "the lock file keeps coming back", str(path))
    _HELD.add(mine.token)
    return ProjectLock(folder, mine)


def _create_exclusive(path: Path, data: bytes) -> None:
    """Create `path` holding `data`; FileExistsError if it is there (O_EXCL: atomic)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    os.close(fd)


@contextlib.contextmanager
def locked_for_command(folder: Path | str, option: str = "--out") -> Iterator[ProjectLock | None]:
    """Hold the lock of a project folder a command writes into in place.

    A live holder: VertAppError in words (the command's exit status is then 1). A
    folder that cannot be written: no lock; the command's own write then says why."""
    try:
        lock = acquire(folder)
    except ProjectInUse as err:
        raise VertAppError(
            f"{option} {folder}: {in_use_words(err.holder)}; close it in the window first, "
            "then run this again (nothing was written)"
        ) from None
    except OSError as err:
        log.warning("%s: no lock (%s)", folder, err)
        lock = None
    try:
        yield lock
    finally:
        if lock is not None:
            lock.release()


def _host() -> str:
    return socket.gethostname() or "this computer"


def _process_exists(pid: int) -> bool:
    if sys.platform == "win32":
        return _windows_process_exists(pid)
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, run by another user
        return True
    except OSError:  # cannot tell: a live holder is the safe guess
        return True
    return True


def _windows_process_exists(pid: int) -> bool:
    # os.kill(pid, 0) on Windows would send CTRL_C_EVENT (0) to the process: ask instead.
    import ctypes

    kernel32: Any = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # type: ignore[attr-defined]  # access denied: exists
    try:
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return not ok or code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


class SessionLock:
    """The lock of the one folder a session (a window) edits, following it from folder
    to folder: taken on open, moved on "Save as", released on close or when the
    session turns to something else. A folder that cannot be written goes unlocked
    (logged): the window says that such a folder is unprotected."""

    def __init__(self) -> None:
        self.lock: ProjectLock | None = None

    def owns(self, folder: Path | str) -> bool:
        lock = self.lock
        return lock is not None and _same_folder(lock.folder, folder) and lock.held()

    def taken_over(self, folder: Path | str) -> LockInfo | None:
        """The session that took `folder` from this one: the lock file this session made
        names another holder now ("Open anyway" there, or a crashed session's lock a third
        one took over since). None while it is still this session's, when this session
        never locked `folder` (an unwritable folder), or when the file is gone or cannot
        be read: another token is the only proof that someone else writes there."""
        lock = self.lock
        if lock is None or not _same_folder(lock.folder, folder):
            return None
        found = read_lock(folder)
        return found if found is not None and found.token != lock.info.token else None

    def holder_of(self, folder: Path | str) -> LockInfo | None:
        """The live session, other than this one, holding `folder` (None: free, stale,
        or this session's own)."""
        return None if self.owns(folder) else live_holder(folder)

    def take(self, folder: Path | str, *, take_over: bool = False) -> bool:
        """Hold `folder` instead of the folder held so far; whether it was taken from a
        live session (`take_over`). ProjectInUse when a live session holds it and not
        `take_over`; then the folder held so far stays held."""
        if self.owns(folder):
            return False
        live = live_holder(folder) is not None
        try:
            lock: ProjectLock | None = acquire(folder, take_over=take_over)
        except OSError as err:
            log.warning("%s: not locked (%s)", folder, err)
            lock = None
        self.release()
        self.lock = lock
        return live

    def moved(self, folder: Path | str) -> None:
        """The project was saved into `folder` ("Save as"): hold that one instead."""
        try:
            self.take(folder)
        except ProjectInUse as err:  # opened elsewhere in the instant since it was written
            log.warning("%s", err)
            self.release()

    def keep_only(self, folder: Path | str | None) -> None:
        """Release the lock unless it is `folder`'s (a recovery replaces the project of
        the same folder; anything else leaves it)."""
        if self.lock is not None and (folder is None or not _same_folder(self.lock.folder, folder)):
            self.release()

    def release(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None


def _same_folder(a: Path | str, b: Path | str) -> bool:
    return Path(a).resolve() == Path(b).resolve()
