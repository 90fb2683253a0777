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
