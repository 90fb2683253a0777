"""The project folder's in-use lock (`annotations.project_lock`), without Qt.

The live holders are real child processes (tests/unit/lock_holder.py); a stale lock is
one whose process was killed or has ended."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.unit.lock_holder import holding, kill
from vertapp import __version__
from vertapp.annotations import project_lock
from vertapp.annotations.project_lock import (
    ProjectInUse,
    SessionLock,
    acquire,
    live_holder,
    lock_path,
    locked_for_command,
    read_lock,
)
from vertapp.errors import VertAppError


def _ended_pid() -> int:
    """The pid of a process that has run and ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _write_lock(folder: Path, **fields: object) -> None:
    info = {
        "pid": _ended_pid(),
        "host": project_lock._host(),
        "version": "0.0.1",
        "started": "2024-05-01T10:32:05+02:00",
        "token": "f" * 16,
        **fields,
    }
    lock_path(folder).parent.mkdir(parents=True, exist_ok=True)
    lock_path(folder).write_text(json.dumps(info))


def test_the_lock_says_who_holds_it_and_nothing_else(tmp_path: Path) -> None:
    lock = acquire(tmp_path)
    data = json.loads(lock_path(tmp_path).read_text())
    assert set(data) == {"pid", "host", "version", "started", "token"}  # no user, no patient
    assert data["pid"] == os.getpid() and data["host"] == project_lock._host()
    assert data["version"] == __version__
    assert datetime.fromisoformat(data["started"]).tzinfo is not None
    assert lock.held() and live_holder(tmp_path) == lock.info
    assert lock.release() and not lock_path(tmp_path).exists()


def test_a_held_lock_is_exclusive(tmp_path: Path) -> None:
    first = acquire(tmp_path)
    with pytest.raises(ProjectInUse) as err:
        acquire(tmp_path)
    assert err.value.holder == first.info
    assert f"process {os.getpid()} on {project_lock._host()} since " in str(err.value)
    assert first.held()
    first.release()


def test_a_live_process_holds_it_until_killed_then_it_is_taken_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with holding(tmp_path) as child:
        holder = live_holder(tmp_path)
        assert holder is not None and holder.pid == child.pid
        with pytest.raises(ProjectInUse):
            acquire(tmp_path)
        kill(child)
        assert live_holder(tmp_path) is None  # its process is gone: stale
        with caplog.at_level(logging.INFO, logger=project_lock.__name__):
            lock = acquire(tmp_path)
    assert read_lock(tmp_path) == lock.info
    assert f"stale lock of process {child.pid}" in caplog.text
    lock.release()


def test_a_lock_of_an_ended_process_on_this_host_is_stale(tmp_path: Path) -> None:
    _write_lock(tmp_path)
    assert read_lock(tmp_path) is not None and live_holder(tmp_path) is None
    lock = acquire(tmp_path)  # silently: a crashed session's
    assert read_lock(tmp_path) == lock.info
    lock.release()


def test_a_lock_naming_this_pid_that_this_process_never_took_is_stale(tmp_path: Path) -> None:
    """Left by an earlier process whose pid the system gave to this one."""
    _write_lock(tmp_path, pid=os.getpid())
    assert live_holder(tmp_path) is None
    acquire(tmp_path).release()


def test_a_lock_of_another_host_counts_as_live(tmp_path: Path) -> None:
    """Its process cannot be asked: even a pid that is free here may run there."""
    _write_lock(tmp_path, host="ws-12.hospital.example")
    holder = live_holder(tmp_path)
    assert holder is not None and holder.host == "ws-12.hospital.example"
    with pytest.raises(ProjectInUse, match="on ws-12.hospital.example since 2024-05-01 10:32"):
        acquire(tmp_path)


def test_a_damaged_lock_file_is_stale_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = lock_path(tmp_path)
    path.parent.mkdir()
    path.write_bytes(b'{"pid": 12')
    old = time.time() - 60
    os.utime(path, (old, old))
    with caplog.at_level(logging.WARNING, logger=project_lock.__name__):
        assert read_lock(tmp_path) is None
        lock = acquire(tmp_path)
    assert "damaged lock file" in caplog.text
    assert read_lock(tmp_path) == lock.info
    lock.release()


def test_a_lock_file_being_written_is_waited_for(tmp_path: Path) -> None:
    """Created empty (O_EXCL), written a moment later: not taken for damaged."""
    _write_lock(tmp_path, host="elsewhere")
    content = lock_path(tmp_path).read_bytes()
    lock_path(tmp_path).write_bytes(b"")
    writer = threading.Timer(0.3, lambda: lock_path(tmp_path).write_bytes(content))
    writer.start()
    holder = read_lock(tmp_path)
    writer.join()
    assert holder is not None and holder.host == "elsewhere"


def test_release_removes_only_its_own_lock(tmp_path: Path) -> None:
    mine = acquire(tmp_path)
    theirs = acquire(tmp_path, take_over=True)  # "Open anyway" elsewhere
    assert not mine.held() and theirs.held()
    assert not mine.release()
    assert read_lock(tmp_path) == theirs.info  # still theirs
    assert theirs.release() and read_lock(tmp_path) is None


def test_a_command_refuses_a_folder_held_by_a_live_process(tmp_path: Path) -> None:
    with holding(tmp_path) as child:
        refused = pytest.raises(VertAppError, match="close it in the window first")
        with refused as err, locked_for_command(tmp_path):
            pytest.fail("ran under another session's lock")
        assert f"process {child.pid}" in str(err.value) and str(tmp_path) in str(err.value)
        assert read_lock(tmp_path).pid == child.pid  # type: ignore[union-attr]
    with locked_for_command(tmp_path) as lock:  # killed: stale, taken for the write
        assert lock is not None and read_lock(tmp_path) == lock.info
    assert read_lock(tmp_path) is None  # and released after it


def test_a_session_lock_follows_its_window_from_folder_to_folder(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    session = SessionLock()
    assert not session.take(a)
    assert session.owns(a) and session.holder_of(a) is None  # its own: no one else's
    assert not session.take(a)  # again: the same lock
    session.keep_only(a)  # a recovery in the same folder keeps it
    assert session.owns(a)
    session.moved(b)  # "Save as"
    assert read_lock(a) is None and session.owns(b)
    session.keep_only(None)  # an untitled scan opened instead
    assert read_lock(b) is None and session.lock is None


def test_a_session_taking_over_a_live_lock_says_so(tmp_path: Path) -> None:
    other = acquire(tmp_path)  # another window of this process
    session = SessionLock()
    assert session.holder_of(tmp_path) == other.info
    with pytest.raises(ProjectInUse):
        session.take(tmp_path)
    assert session.take(tmp_path, take_over=True)  # taken from a live session
    assert session.owns(tmp_path) and not other.held()
    session.release()
