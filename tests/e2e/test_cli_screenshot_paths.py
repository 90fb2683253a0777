"""`vertapp gui --screenshot PNG` with a path no image can be saved to: refused in words
before the window opens (it exited 1 without a word, or crashed in the event loop and
never exited), and a save that fails anyway is reported and the process exits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.gui, pytest.mark.slow]

LIMIT_S = 60  # the old crash never exited: a hang shows as TimeoutExpired


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="1")
    cmd = [sys.executable, *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=LIMIT_S)


def _in_words(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 1, done.stderr
    for w in words:
        assert w in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr


def test_paths_no_image_can_be_saved_to_are_refused_before_the_window(tmp_path: Path) -> None:
    (tmp_path / "adir").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    cases = {
        "adir": "adir is a folder; give an image file name",
        "shot.txt": ".txt is not an image format; end the name with .png",
        "shot": "a name without extension is not an image format",
        "notes.txt/sub/shot.png": "notes.txt is a file, not a folder",
    }
    for name, words in cases.items():
        done = _python("-m", "vertapp", "gui", "--screenshot", str(tmp_path / name))
        _in_words(done, f"vertapp gui: error: --screenshot {tmp_path / name}", words)
        assert "window starting" not in done.stderr  # refused before any long work
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "x" and not any((tmp_path / "adir").iterdir())


def test_a_save_that_fails_after_the_check_is_said_and_the_process_exits(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    shot = tmp_path / "notes.txt" / "shot.png"
    # The check passed, then the path broke (a file appeared where its folder should be).
    script = (
        "import sys; from pathlib import Path; import vertapp.gui.app as app; "
        "app.check_screenshot_path = Path; from vertapp.cli import main; "
        f"sys.exit(main(['gui', '--screenshot', {str(shot)!r}]))"
    )
    _in_words(_python("-c", script), f"--screenshot {shot}: cannot make its folder")
    assert (tmp_path / "notes.txt").read_text() == "x"
