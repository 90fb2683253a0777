"""Issue #17: an uncaught exception in a slot flushes the work, logs, and says where the log is."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from mouse_driver import draw_triangle
from PySide6.QtWidgets import QMessageBox

from tests.e2e.window_driver import open_and_wait as _open
from vertapp import logs
from vertapp.annotations import store
from vertapp.gui.widgets.actions import make_action
from vertapp.gui.window import crash_dialog
from vertapp.gui.window.crash_dialog import CrashDialog, install_crash_handler

pytestmark = [pytest.mark.gui, pytest.mark.qt_no_exception_capture]
SECRET = "PatientName=DOE^JOHN"


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The real rotating log file in a private folder, detached from the root logger after."""
    monkeypatch.setenv("VERTAPP_LOG_DIR", str(tmp_path / "logs"))
    root = logging.getLogger()
    before = list(root.handlers)
    yield logs.setup_file_logging()
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """Every crash dialog the window would show, recorded instead of waiting for a click."""
    seen: list[dict[str, str]] = []

    def record(dialog: CrashDialog) -> int:
        seen.append({"text": dialog.text(), "info": dialog.informativeText()})
        return int(QMessageBox.StandardButton.Ok)

    monkeypatch.setattr(CrashDialog, "exec", record)
    return seen


def _crash_in_a_slot(window) -> None:  # type: ignore[no-untyped-def]
    """A menu command whose slot raises, triggered as a click would (PySide6 hands the
    exception to sys.excepthook and returns)."""

    def broken() -> None:
        raise RuntimeError(f"cannot read {SECRET} from /scans/Doe_John/ct.nii.gz")

    make_action(window, "Broken command", broken).trigger()


@pytest.fixture
def radiograph_png(tmp_path: Path) -> Path:
    from PIL import Image

    path = tmp_path / "spine_xray.png"
    Image.fromarray((np.arange(80 * 60).reshape(80, 60) % 200).astype(np.uint8)).save(path)
    return path


def test_slot_exception_shows_the_dialog_and_keeps_the_journal(
    qtbot, window, small_project, log_file, shown
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)
    window.setProperty("headless", False)  # a user at the screen: the dialog is shown
    hook = install_crash_handler(window.doc, window)
    try:
        _crash_in_a_slot(window)
    finally:
        hook.uninstall()
        window.setProperty("headless", True)  # closing at teardown must not ask
    (dialog,) = shown
    assert "RuntimeError" in dialog["text"] and "autosave" in dialog["text"]
    assert log_file.name in dialog["info"] and str(log_file.parent) in dialog["info"]
    assert "JOHN" not in dialog["text"] + dialog["info"]
    for handler in logging.getLogger().handlers:
        handler.flush()
    logged = log_file.read_text(encoding="utf-8")
    assert "Traceback" in logged and "RuntimeError" in logged and "broken" in logged
    assert "JOHN" not in logged and "Doe_John" not in logged
    # The journal is untouched: the edit before the crash is recoverable...
    assert store.has_recovery(small_project)
    assert len(store.recover(small_project).images[1].instances) == 2
    # ...and the window goes on journalling the edits made after it.
    draw_triangle(qtbot, window, x0=60)
    assert len(store.recover(small_project).images[1].instances) == 3


def test_untitled_scan_is_autosaved_before_the_dialog(
    qtbot, window, radiograph_png, shown, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, radiograph_png)
    draw_triangle(qtbot, window)
    autosave = window.doc.untitled_autosave_dir() / store.PROJECT_FILE
    assert not autosave.exists()  # the 30 s timer has not run yet
    written_before_dialog = []
    monkeypatch.setattr(
        CrashDialog,
        "exec",
        lambda d: written_before_dialog.append(autosave.is_file()) or shown.append({}),
    )
    window.setProperty("headless", False)
    hook = install_crash_handler(window.doc, window)
    try:
        _crash_in_a_slot(window)
    finally:
        hook.uninstall()
        window.setProperty("headless", True)  # closing at teardown must not ask
    assert written_before_dialog == [True]
    # The next start offers the triangle back.
    from vertapp.gui.window.main_window import MainWindow

    second = MainWindow()
    second.setProperty("headless", True)
    qtbot.addWidget(second)
    monkeypatch.setattr(second, "ask", lambda *a: QMessageBox.StandardButton.Yes)
    _open(qtbot, second, radiograph_png)
    (inst,) = second.doc.current.instances
    np.testing.assert_allclose(inst.polygons[0], [[10, 10], [40, 10], [40, 40]], atol=0.6)
    second.doc._recovered = False


def test_failed_autosave_says_to_save_under_a_new_name(
    qtbot, window, radiograph_png, shown, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, radiograph_png)
    draw_triangle(qtbot, window)

    def disk_full(doc) -> None:  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(crash_dialog, "flush_work", disk_full)
    window.setProperty("headless", False)
    hook = install_crash_handler(window.doc, window)
    try:
        _crash_in_a_slot(window)
    finally:
        hook.uninstall()
        window.setProperty("headless", True)  # closing at teardown must not ask
    (dialog,) = shown
    assert "could not be written" in dialog["text"] and "new name" in dialog["text"]


def test_unattended_runs_print_instead_of_waiting_for_a_click(window, shown, capsys) -> None:  # type: ignore[no-untyped-def]
    assert window.property("headless")  # as in `vertapp gui --screenshot` and package checks
    hook = install_crash_handler(window.doc, window)
    try:
        _crash_in_a_slot(window)
    finally:
        hook.uninstall()
        window.setProperty("headless", True)  # closing at teardown must not ask
    assert shown == []
    err = capsys.readouterr().err
    assert "RuntimeError" in err and "Details:" in err and "JOHN" not in err


def test_dialog_button_opens_the_log_folder(window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    opened = []
    dialog = CrashDialog("msg", tmp_path / "vertapp.log", lambda: opened.append(1))
    assert dialog.open_logs_button is not None
    dialog.open_logs_button.click()
    assert opened == [1]
    assert not dialog.windowIcon().isNull()
