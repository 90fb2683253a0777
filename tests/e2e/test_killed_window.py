"""The window killed (SIGKILL) while the user works: what the next start offers back.

A real child process runs the window offscreen (tests/e2e/app_child.py): it opens CT A,
draws, lets the autosave timer write it, opens CT B choosing Discard for A, draws, lets
the timer autosave B, and is then killed. A new window must offer B's edit and recover
it, and must not offer A's discarded edit again.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from tests.e2e.window_driver import open_and_wait as _open

pytestmark = pytest.mark.gui
Button = QMessageBox.StandardButton
CHILD = Path(__file__).with_name("app_child.py")


def _run_child_until_ready(scan_a: Path, scan_b: Path, tmp_path: Path) -> subprocess.Popen:  # type: ignore[type-arg]
    ready = tmp_path / "ready"
    log = open(tmp_path / "child.log", "wb")  # noqa: SIM115 (the child writes until killed)
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(scan_a), str(scan_b), str(ready)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    end = time.monotonic() + 240
    while not ready.exists():
        code = child.poll()
        if code is not None or time.monotonic() > end:
            child.kill()
            pytest.fail(f"child ended ({code}): {(tmp_path / 'child.log').read_text()[-2000:]}")
        time.sleep(0.2)
    assert ready.read_text() == "1"  # B holds its one polygon
    return child


def test_killed_window_offers_b_and_not_discarded_a(
    qtbot, window, phantom_nifti, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    scan_a = tmp_path / "a" / "ct.nii.gz"
    scan_b = tmp_path / "b" / "ct.nii.gz"  # the same name elsewhere: keys are per path
    for scan in (scan_a, scan_b):
        scan.parent.mkdir()
        shutil.copyfile(phantom_nifti, scan)
    child = _run_child_until_ready(scan_a, scan_b, tmp_path)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(30) == -signal.SIGKILL

    asked: list[str] = []

    def ask(title, text, buttons, default):  # type: ignore[no-untyped-def]
        asked.append(title)
        return Button.Yes if title.startswith("Recover") else Button.Discard

    monkeypatch.setattr(window, "ask", ask)
    _open(qtbot, window, scan_b)
    assert asked == ["Recover unsaved edits?"]
    (inst,) = window.doc.current.instances
    np.testing.assert_allclose(inst.polygons[0], [[20, 20], [50, 20], [50, 50]], atol=0.6)
    assert window.isWindowModified()  # recovered, not saved
    # A's edit was discarded by the user before the kill: never offered again.
    asked.clear()
    _open(qtbot, window, scan_a)
    assert asked == ["Unsaved edits"]  # only the question about B's recovered edit
    assert window.doc.current.instances == []
