"""Driving the main window in end-to-end tests: open a path and wait until it is shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def open_and_wait(qtbot: Any, window: Any, path: str | Path, timeout: int = 120_000) -> None:
    """Open `path` as File > Open does and wait for the window's `loaded` signal (after
    the source CT, when one is read); fails with the window's last error message."""
    with qtbot.waitSignal(window.loaded, timeout=timeout) as blocker:
        window.open_path(path)
    assert blocker.args == [True], window._last_error
    # the layout the new image asked for (the axial dock hidden beside a film, shown for
    # a CT) is applied at the next turn of the event loop: a user never acts before it
    qtbot.wait(1)


def leave_as_killed(window: Any) -> None:
    """Leave the window's project as a killed process leaves it: the lock file names a
    process that has ended (a real one, just run). The window object stays for pytest-qt
    to close, but no longer holds the folder: its close releases and discards nothing
    another window holds."""
    import json
    import subprocess
    import sys

    from vertapp.annotations.project_lock import lock_path

    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    path = lock_path(window.doc.project.root)
    info = json.loads(path.read_text())
    info.update(pid=ended.pid, token="killed")
    path.write_text(json.dumps(info))


def new_window(qtbot: Any) -> Any:
    """A second main window, shown, closed by pytest-qt at the end of the test."""
    from vertapp.gui.window.main_window import MainWindow

    win = MainWindow()
    win.setProperty("headless", True)
    qtbot.addWidget(win)
    win.show()
    return win


def answer_by_title(
    window: Any, monkeypatch: Any, titles: dict[str, str], **answers: Any
) -> list[str]:
    """The window's questions answered by title: `titles` maps a title to a key of
    `answers`; other questions get the unattended default. Returns the titles asked."""
    asked: list[str] = []

    def ask(title: str, text: str, buttons: Any, default: Any) -> Any:
        asked.append(title)
        return answers.get(titles.get(title, ""), default)

    monkeypatch.setattr(window, "ask", ask)
    return asked


def holder_files(folder: Path) -> tuple[bytes, bytes, bytes]:
    """The journal, lock and project.json of the session holding `folder`, as bytes: what
    another window must leave alone."""
    from vertapp.annotations import store
    from vertapp.annotations.project_lock import lock_path

    state = folder / store.STATE_DIR
    return (
        (state / store.JOURNAL_FILE).read_bytes(),
        lock_path(folder).read_bytes(),
        (folder / store.PROJECT_FILE).read_bytes(),
    )
