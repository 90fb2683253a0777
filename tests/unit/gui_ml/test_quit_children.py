"""Closing the window and quitting the app end the child processes it keeps (the
prediction child, the 3D-labels child): a running job is dropped first (its `finally`
blocks run), a child that does not stop within `STOP_S` is ended, and a close the user
cancelled leaves them running. Before, nothing stopped them: daemons, they ended only
as Python exited (the prediction child outlived every window of a test session)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QMessageBox  # noqa: E402

from tests.unit.gui_ml.test_ml_process import drain  # noqa: E402
from tests.unit.gui_ml.test_warm_process import pid_job  # noqa: E402
from vertapp.errors import CancelledError, VertAppError  # noqa: E402
from vertapp.gui.model import jobs  # noqa: E402
from vertapp.gui.model.persistent_child import STOP_S, PersistentChild, close_all  # noqa: E402
from vertapp.gui.model.warm_process import _run_target  # noqa: E402
from vertapp.jobs import Progress  # noqa: E402


def long_job(started: str, closed: str, step_s: float):
    """Module-level (the child imports it): marks its start, runs until dropped, and
    marks that its `finally` ran."""
    try:
        Path(started).write_text("started")
        while True:
            time.sleep(step_s)
            yield Progress("step")
    finally:
        Path(closed).write_text("closed")


def alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(path: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never came"
        time.sleep(0.02)


@pytest.fixture
def window(qtbot):  # type: ignore[no-untyped-def]
    from tests.unit.gui_ml.test_close_running_jobs import review_window

    yield review_window(qtbot, lambda w: w.doc.stack.setClean())
    close_all()  # whatever a failed test left running


def start_children(window) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The prediction child (a cheap job run in it) and the 3D-labels child."""
    pid = drain(jobs.PREDICTIONS.run(pid_job, "x"))[1][0]
    window.labels3d.process.child.start()
    labels_pid = window.labels3d.process.child.pid
    assert alive(pid) and alive(labels_pid) and pid != labels_pid
    return pid, labels_pid


def test_closing_the_window_ends_its_children_and_drops_their_job_first(window, tmp_path):
    pids = start_children(window)
    started, closed = tmp_path / "started.txt", tmp_path / "closed.txt"
    outcome: dict[str, object] = {}

    def predict() -> None:  # the prediction worker's thread, waiting on the child
        try:
            drain(jobs.PREDICTIONS.run(long_job, str(started), str(closed), 0.01))
        except VertAppError as err:
            outcome["error"] = err

    thread = threading.Thread(target=predict)
    thread.start()
    wait_for(started)
    t0 = time.monotonic()
    assert window.close()
    took = time.monotonic() - t0
    thread.join(5)
    assert not thread.is_alive()
    assert closed.read_text() == "closed"  # the job was dropped in the child, not killed
    assert isinstance(outcome["error"], CancelledError)  # a cancel, not "stopped unexpectedly"
    assert not any(alive(pid) for pid in pids)
    assert jobs.PREDICTIONS.pid is None and window.labels3d.process.child.pid is None
    assert took < STOP_S + 2  # never longer than the deadline and an ending (SIGTERM)


def test_a_cancelled_close_leaves_the_children_running(window, monkeypatch):
    pids = start_children(window)
    window.doc.stack.resetClean()  # unsaved edits: the close asks
    asked: list[str] = []

    def cancel(title, *_args):  # type: ignore[no-untyped-def]
        asked.append(title)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(window, "ask", cancel)
    assert not window.close()
    assert asked == ["Unsaved edits"] and window.isVisible()
    assert all(alive(pid) for pid in pids)
    assert (jobs.PREDICTIONS.pid, window.labels3d.process.child.pid) == pids
    window.doc.stack.setClean()


def stuck_job(started: str):
    """Module-level: one step that outlasts any stop (a long C call, say)."""
    Path(started).write_text("started")
    time.sleep(60)
    yield Progress("never")


def test_children_that_do_not_stop_are_ended_within_one_deadline(tmp_path):
    children = [PersistentChild(_run_target, name=f"child {i}") for i in range(2)]
    for i, child in enumerate(children):
        child.post("job", stuck_job, (str(tmp_path / f"{i}.txt"),), None)
    for i in range(2):
        wait_for(tmp_path / f"{i}.txt")
    pids = [child.pid for child in children]
    t0 = time.monotonic()
    close_all(0.5, children)
    took = time.monotonic() - t0
    assert not any(alive(pid) for pid in pids)
    assert took < 0.5 + 2  # one deadline for both, then SIGTERM: not 0.5 s per child


QUIT = """
import os
from PySide6.QtCore import QTimer
from vertapp.gui.app import _application, end_children_on_quit
from vertapp.gui.model.persistent_child import PersistentChild
from vertapp.gui.model.warm_process import _run_target

app = _application()
end_children_on_quit(app)
child = PersistentChild(_run_target)
child.start()
pid = child.pid
QTimer.singleShot(0, app.quit)
app.exec()
try:
    os.kill(pid, 0)
    print("alive")
except ProcessLookupError:
    print("gone")
"""


def test_quitting_the_app_ends_the_children():
    """A quit no window close came before (QApplication.aboutToQuit), in a process of
    its own: the child is gone once the event loop returns, not only as Python exits."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(QUIT)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    ).stdout.split()
    assert out == ["gone"]
