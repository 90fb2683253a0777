"""The log file, its redaction of patient identifiers, and the crash-handler core."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from vertapp import logs


@pytest.fixture
def log_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private log folder and a root logger with nothing of ours attached afterwards."""
    folder = tmp_path / "logs"
    monkeypatch.setenv("VERTAPP_LOG_DIR", str(folder))
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield folder
    for handler in root.handlers:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def _flush_handlers() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def test_log_dir_honours_the_environment(log_folder: Path) -> None:
    assert logs.log_dir() == log_folder and log_folder.is_dir()
    assert logs.log_path() == log_folder / "vertapp.log"


def test_linux_log_dir_is_the_xdg_state_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("VERTAPP_LOG_DIR", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert logs.log_dir() == tmp_path / "state" / "vertapp" / "log"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("PatientName=DOE^JOHN read", "JOHN"),
        ("patient_id: 'A-123456' kept", "A-123456"),
        ("(0010,0010) Patient's Name                 PN: 'Mustermann^Erika'", "Erika"),
        ("Patient's Birth Date: 19700101", "19700101"),
        ("cannot read /data/Mustermann_Erika/ct/series1.dcm: truncated", "Mustermann"),
        ("cannot read 'C:\\Scans\\Doe John\\ct.nii.gz'", "Doe John"),
        ("AccessionNumber = ACC998877", "ACC998877"),
        ("loaded DOE^JANE^^^ from disk", "JANE"),
    ],
)
def test_redact_hides_identifiers(text: str, secret: str) -> None:
    redacted = logs.redact(text)
    assert secret not in redacted
    assert any(mark in redacted for mark in ("[redacted]", "[name]", "…/"))  # said, not dropped


def test_redact_keeps_what_names_no_one() -> None:
    text = 'File "/opt/vertapp/vertapp/io/readers.py", line 12: shape 512 x 512, ratio 3/4'
    assert logs.redact(text) == text
    assert logs.redact("opened …/ct.nii.gz") == "opened …/ct.nii.gz"
    assert logs.redact("loaded /data/case7/ct.nii.gz") == "loaded …/ct.nii.gz"


def test_registered_identifier_is_scrubbed_in_any_case(log_folder: Path) -> None:
    logs.register_identifier("Brightwater^Ottilie")
    assert logs.redact("seen ottilie BRIGHTWATER today") == "seen [redacted] [redacted] today"


def test_log_file_carries_no_patient_name(log_folder: Path) -> None:
    path = logs.setup_file_logging()
    log = logging.getLogger("vertapp.test")
    log.warning("series of %s has %d slices", "PatientName=ROE^RICHARD", 20)
    try:
        raise ValueError("cannot read /scans/Roe_Richard/0001.dcm")
    except ValueError:
        log.exception("load failed")
    _flush_handlers()
    text = path.read_text(encoding="utf-8")
    assert "has 20 slices" in text and "load failed" in text
    assert "Traceback" in text and "ValueError" in text and "…/0001.dcm" in text
    assert "RICHARD" not in text and "Roe_Richard" not in text


def test_setup_is_idempotent_and_the_file_rotates(
    log_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2_000)
    path = logs.setup_file_logging()
    assert logs.setup_file_logging() == path
    ours = [h for h in logging.getLogger().handlers if getattr(h, "vertapp_file", False)]
    assert len(ours) == 1
    for i in range(100):
        logging.getLogger("vertapp.test").info("line %03d %s", i, "x" * 40)
    _flush_handlers()
    rotated = sorted(p.name for p in log_folder.glob("vertapp.log.*"))
    assert rotated[: logs.BACKUPS] == [f"vertapp.log.{i}" for i in range(1, logs.BACKUPS + 1)]
    assert path.stat().st_size <= 2_000
    assert "line 099" in path.read_text(encoding="utf-8")


class _Recorder:
    """Stands in for the window: records the order of autosave flush and dialog."""

    def __init__(self, flush_fails: bool = False, show_fails: bool = False) -> None:
        self.events: list[str] = []
        self.shown: list[tuple[str, Path]] = []
        self.flush_fails, self.show_fails = flush_fails, show_fails
        self.log_at_flush = ""

    def flush(self) -> None:
        self.events.append("flush")
        self.log_at_flush = logs.log_path().read_text(encoding="utf-8")
        if self.flush_fails:
            raise OSError("disk full")

    def show(self, message: str, path: Path) -> None:
        self.events.append("show")
        self.shown.append((message, path))
        if self.show_fails:
            raise RuntimeError("no display")


def _raise_into_hook(exc: BaseException) -> None:
    """What the interpreter (or PySide6, for a slot) does with an uncaught exception."""
    try:
        raise exc
    except BaseException as caught:
        sys.excepthook(type(caught), caught, caught.__traceback__)


def test_crash_flushes_first_logs_then_shows(log_folder: Path) -> None:
    path = logs.setup_file_logging()
    rec = _Recorder()
    hook = logs.install_excepthook(rec.flush, rec.show)
    try:
        _raise_into_hook(KeyError("PatientID=123-45-678"))
    finally:
        hook.uninstall()
    _flush_handlers()
    assert rec.events == ["flush", "show"]
    assert "Traceback" not in rec.log_at_flush  # the work was saved before anything else
    (message, shown_path), = rec.shown  # fmt: skip
    assert shown_path == path
    assert message.startswith("VertApp hit an unexpected error (KeyError")
    assert "saved to the autosave" in message and "123-45-678" not in message
    text = path.read_text(encoding="utf-8")
    assert "uncaught exception" in text and "_raise_into_hook" in text
    assert "123-45-678" not in text


def test_a_failed_flush_is_said_and_the_dialog_still_shows(log_folder: Path) -> None:
    path = logs.setup_file_logging()
    rec = _Recorder(flush_fails=True)
    hook = logs.install_excepthook(rec.flush, rec.show)
    try:
        _raise_into_hook(RuntimeError("boom"))
    finally:
        hook.uninstall()
    _flush_handlers()
    assert rec.events == ["flush", "show"]
    assert "could not be written" in rec.shown[0][0]
    text = path.read_text(encoding="utf-8")
    assert "autosave flush after a crash failed" in text and "disk full" in text


def test_a_failing_dialog_falls_back_to_stderr(
    log_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.setup_file_logging()
    rec = _Recorder(show_fails=True)
    hook = logs.install_excepthook(rec.flush, rec.show)
    try:
        _raise_into_hook(RuntimeError("boom"))
    finally:
        hook.uninstall()
    err = capsys.readouterr().err
    assert "VertApp hit an unexpected error (RuntimeError: boom)" in err
    assert str(logs.log_path()) in err


def test_an_error_while_the_dialog_is_open_is_logged_not_stacked(log_folder: Path) -> None:
    path = logs.setup_file_logging()
    rec = _Recorder()

    def show_and_fail_again(message: str, log_path: Path) -> None:
        rec.show(message, log_path)
        _raise_into_hook(ValueError("second"))  # a slot run by the dialog's event loop

    hook = logs.install_excepthook(rec.flush, show_and_fail_again)
    try:
        _raise_into_hook(RuntimeError("first"))
    finally:
        hook.uninstall()
    _flush_handlers()
    assert rec.events == ["flush", "show"]
    assert "ValueError: second" in path.read_text(encoding="utf-8")


def test_keyboard_interrupt_goes_to_the_previous_hook(log_folder: Path) -> None:
    seen: list[type[BaseException]] = []
    previous = sys.excepthook
    sys.excepthook = lambda kind, exc, tb: seen.append(kind)
    rec = _Recorder()
    hook = logs.install_excepthook(rec.flush, rec.show)
    try:
        _raise_into_hook(KeyboardInterrupt())
    finally:
        hook.uninstall()
        restored = sys.excepthook
        sys.excepthook = previous
    assert seen == [KeyboardInterrupt] and rec.events == []
    assert restored is not hook


def test_a_worker_thread_error_is_logged_without_a_dialog(log_folder: Path) -> None:
    path = logs.setup_file_logging()
    rec = _Recorder()
    hook = logs.install_excepthook(rec.flush, rec.show)
    try:
        thread = threading.Thread(target=lambda: 1 / 0, name="loader")
        thread.start()
        thread.join()
    finally:
        hook.uninstall()
    _flush_handlers()
    assert rec.events == []
    text = path.read_text(encoding="utf-8")
    assert "uncaught exception in thread loader" in text and "ZeroDivisionError" in text


@pytest.mark.slow
def test_a_real_uncaught_exception_in_a_fresh_interpreter(tmp_path: Path) -> None:
    """No test scaffolding between the interpreter and the hook: a script that crashes."""
    script = tmp_path / "crash.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path
            from vertapp import logs
            out = Path({str(tmp_path)!r})
            logs.setup_file_logging()
            logs.install_excepthook(
                lambda: (out / "autosave").write_text("flushed"),
                lambda msg, path: (out / "shown").write_text(
                    (out / "autosave").read_text() + "|" + msg + "|" + str(path)),
            )
            raise LookupError("PatientName=DOE^JOHN not found")
            """
        )
    )
    env = {"VERTAPP_LOG_DIR": str(tmp_path / "logs"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and done.stderr == ""
    flushed, message, path = (tmp_path / "shown").read_text().split("|")
    assert flushed == "flushed" and "LookupError" in message and "JOHN" not in message
    log_text = Path(path).read_text(encoding="utf-8")
    assert "LookupError" in log_text and "JOHN" not in log_text


@pytest.mark.gui
@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_qt_slot_reaches_the_hook(log_folder: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    """PySide6 hands a slot's uncaught exception to sys.excepthook: the window's dialog
    will be called through this core, with the autosave flushed first."""
    from PySide6.QtCore import QTimer

    path = logs.setup_file_logging()
    rec = _Recorder()
    hook = logs.install_excepthook(rec.flush, rec.show)

    def slot() -> None:
        raise RuntimeError("raised in a slot")

    try:
        QTimer.singleShot(0, slot)
        qtbot.waitUntil(lambda: rec.events == ["flush", "show"], timeout=5000)
    finally:
        hook.uninstall()
    _flush_handlers()
    assert "RuntimeError: raised in a slot" in rec.shown[0][0]
    assert "raised in a slot" in path.read_text(encoding="utf-8")
