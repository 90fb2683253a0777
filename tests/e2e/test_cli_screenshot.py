"""`vertapp gui PATH --screenshot PNG` (DESIGN contract) renders once loaded and exits."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    cmd = [sys.executable, "-m", "vertapp", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def test_screenshot_of_a_project(small_project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    png = tmp_path / "shot.png"
    done = _run("gui", str(small_project), "--screenshot", str(png), "--size", "1000x700")
    assert done.returncode == 0, done.stderr
    with Image.open(png) as im:
        assert im.size == (1000, 700)
        # the window drew the image: not a blank grab
        assert len(np.unique(np.asarray(im.convert("L")))) > 20


def test_screenshot_of_a_missing_path_fails_with_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    png = tmp_path / "shot.png"
    done = _run("gui", str(tmp_path / "nothing.nii.gz"), "--screenshot", str(png))
    assert done.returncode == 1
    assert "nothing.nii.gz: no such file or folder" in done.stderr
