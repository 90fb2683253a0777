"""The app's log file, the redaction that keeps patient identifiers out of it, and the
crash-handler core.

- `log_dir()`: `$VERTAPP_LOG_DIR`, else the platform's place for logs (XDG state dir on
  Linux, ~/Library/Logs on macOS, %LOCALAPPDATA% on Windows).
- `setup_file_logging()`: a rotating `vertapp.log` there (2 MB x 5), every record passed
  through `RedactionFilter` first. A frozen app has no console: this file is where
  a user's "it crashed" report comes from, so it must be safe to send on.
- `install_excepthook(flush_autosave, show)`: what an uncaught exception does. Qt-free;
  the window passes its autosave flush and a dialog as the two callables.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

LOG_NAME = "vertapp.log"
NATIVE_CRASH_NAME = "native-crash.log"
MAX_BYTES = 2_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"

log = logging.getLogger(__name__)


def log_dir() -> Path:
    """Where the log files go (created if missing)."""
    env = os.environ.get("VERTAPP_LOG_DIR")
    if env:
        base = Path(env)
    elif sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        base = base / "VertApp" / "Logs"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Logs" / "VertApp"
    else:
        state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        base = Path(state) / "vertapp" / "log"
    base.mkdir(parents=True, exist_ok=True)
    return base


def log_path() -> Path:
    return log_dir() / LOG_NAME


# --- redaction ------------------------------------------------------------------------

# DICOM attribute names (keywords and the words pydicom prints) that carry identity.
_ID_KEYS = (
    r"patient'?s?[ _]?name|patient[ _]?id|other[ _]?patient[ _]?ids|patient'?s?[ _]?birth[ _]?date"
    r"|birth[ _]?date|accession[ _]?number|referring[ _]?physician'?s?[ _]?name"
    r"|institution[ _]?name|patient'?s?[ _]?address"
)
_KEY_VALUE = re.compile(
    rf"(?i)\b({_ID_KEYS})(\s*(?:\([A-Z]{{2}}\))?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;)\]}}]+)"
)
# Group 0010 is the patient module; a printed tag line of it is dropped whole.
_PATIENT_TAG = re.compile(r"(?i)\(0010,\s*[0-9a-f]{4}\)[^\n]*")
# A DICOM person name: components joined by carets (DOE^JOHN, Doe^Jane^^Dr).
_PERSON_NAME = re.compile(r"[^\s^'\"/\\:=,;()\[\]{}]+(?:\^[^\s'\"/\\:=,;()\[\]{}]*)+")
# The folders of a data path may name the patient (/data/Doe_John/CT/...): keep the last
# part only. Source files (.py) in tracebacks keep their full path, it names no one.
_QUOTED_PATH = re.compile(
    r"(?P<q>['\"])(?:/|[A-Za-z]:\\)[^'\"\n]*?[/\\](?P<leaf>[^/\\'\"\n]*)(?P=q)"
)
_POSIX_PATH = re.compile(r"(?<![\w.~])/(?:[^\s/'\"]+/)+(?P<leaf>[^\s/'\"]*)")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\(?:[^\s\\'\"]+\\)+(?P<leaf>[^\s\\'\"]*)")

_registered: set[str] = set()
_registered_lock = threading.Lock()


def register_identifier(value: str) -> None:
    """Scrub `value` (a patient name or ID the app has seen) from every later log line.

    A DICOM name is also scrubbed as its parts (DOE^JOHN -> DOE, JOHN) when they are
    long enough not to erase common words.
    """
    parts = [value.strip()] + [p.strip() for p in value.split("^")]
    with _registered_lock:
        _registered.update(p for p in parts if len(p) >= 3)


def register_path(path: str | Path) -> None:
    """Scrub a scan's file and folder names from every later log line: the user opened
    it with names hidden, and those names are often the patient's (DOE_JANE/DOE_JANE_CT.dcm).
    Paths in log lines keep only their last part; that part, a relative path typed, or
    the folder's name in a message ("MUSTERMANN_HANS: no such file") went through."""
    where = Path(path)
    names = [where.name, where.name.split(".")[0], where.parent.name]
    for name in names:
        if name not in ("", ".", ".."):
            register_identifier(name)


def _shorten_path(match: re.Match[str]) -> str:
    text = match.group(0)
    return text if text.endswith(".py") else f"…/{match.group('leaf')}"


def _shorten_quoted(match: re.Match[str]) -> str:
    text, quote = match.group(0), match.group("q")
    return text if text.endswith(".py" + quote) else f"{quote}…/{match.group('leaf')}{quote}"


def redact(text: str) -> str:
    """`text` with patient identifiers replaced by placeholders."""
    text = _PATIENT_TAG.sub("(0010,xxxx) [redacted]", text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
    with _registered_lock:
        values = sorted(_registered, key=len, reverse=True)
    for value in values:
        text = re.sub(re.escape(value), "[redacted]", text, flags=re.IGNORECASE)
    text = _QUOTED_PATH.sub(_shorten_quoted, text)
    text = _POSIX_PATH.sub(_shorten_path, text)
    text = _WINDOWS_PATH.sub(_shorten_path, text)
    return _PERSON_NAME.sub("[name]", text)


class RedactionFilter(logging.Filter):
    """Rewrites a record's message and traceback through `redact` before any handler."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# --- the log file ------------------------------------------------------------------------

_native_crash_file: IO[str] | None = None


def setup_file_logging(level: int = logging.INFO) -> Path:
    """Send the root logger to the rotating log file (once per process); returns its path.

    Also routes native crashes (a segfault in a Qt or torch library, which no Python
    hook sees) to `native-crash.log` beside it through `faulthandler`.
    """
    global _native_crash_file
    path = log_path()
    root = logging.getLogger()
    if not any(getattr(h, "vertapp_file", False) for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
        handler.vertapp_file = True  # type: ignore[attr-defined]
        handler.addFilter(RedactionFilter())
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.setLevel(level)
        root.addHandler(handler)
        if root.level > level or root.level == logging.NOTSET:
            root.setLevel(level)
    if _native_crash_file is None:
        _native_crash_file = open(path.with_name(NATIVE_CRASH_NAME), "a", encoding="utf-8")  # noqa: SIM115
        faulthandler.enable(file=_native_crash_file)
    return path


# --- the crash handler -------------------------------------------------------------------

ShowCrash = Callable[[str, Path], None]


@dataclass
class CrashHook:
    """The installed hook; `uninstall()` puts the previous hooks back (tests, shutdown)."""

    flush_autosave: Callable[[], object]
    show: ShowCrash
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("vertapp.crash"))
    _previous: Any = None
    _previous_thread: Any = None
    _busy: bool = False

    def __call__(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt) or self._busy:
            # Ctrl+C keeps its usual meaning; an error raised while the dialog of an
            # earlier one is open (its event loop runs slots) is logged, not stacked.
            self.logger.error("uncaught exception", exc_info=(kind, exc, tb))
            if issubclass(kind, KeyboardInterrupt) and self._previous:
                self._previous(kind, exc, tb)
            return
        self._busy = True
        try:
            self._handle(kind, exc, tb)
        finally:
            self._busy = False

    def _handle(self, kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        saved = self._flush()  # first: the user's work matters more than the report
        self.logger.critical("uncaught exception", exc_info=(kind, exc, tb))
        message = crash_message(exc, saved)
        path = log_path()
        try:
            self.show(message, path)
        except Exception:  # the dialog itself failed: say it where we still can
            self.logger.exception("the crash dialog failed")
            _print_fallback(message, path)

    def _flush(self) -> bool:
        try:
            self.flush_autosave()
        except Exception:
            self.logger.exception("autosave flush after a crash failed")
            return False
        return True

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        # Worker threads must not open dialogs or touch the document: log only; the
        # worker's own failed signal tells the window.
        if args.exc_type is SystemExit:
            return
        self.logger.error(
            "uncaught exception in thread %s",
            getattr(args.thread, "name", "?"),
            exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback),
        )

    def uninstall(self) -> None:
        if sys.excepthook is self:
            sys.excepthook = self._previous or sys.__excepthook__
        if threading.excepthook == self._thread_hook:
            threading.excepthook = self._previous_thread or threading.__excepthook__


def crash_message(exc: BaseException, saved: bool) -> str:
    """The short words the dialog shows: what failed, and whether the work is safe."""
    detail = redact(str(exc)).strip().splitlines()
    what = type(exc).__name__ + (f": {detail[0][:160]}" if detail else "")
    work = (
        "Your work was saved to the autosave; it is offered again at the next start."
        if saved
        else "The autosave could not be written: save the project under a new name now."
    )
    return f"VertApp hit an unexpected error ({what}). {work}"


def _print_fallback(message: str, path: Path) -> None:
    stream = sys.stderr or sys.__stderr__  # None in a windowed frozen app
    if stream is not None:
        print(f"{message}\nDetails: {path}", file=stream)


def install_excepthook(flush_autosave: Callable[[], object], show: ShowCrash) -> CrashHook:
    """Make an uncaught exception flush the autosave, log its traceback, then call
    `show(short_message, log_path)`; returns the hook (keep it to `uninstall()`).

    Call `setup_file_logging()` first, or the traceback goes only to the handlers the
    process already has.
    """
    hook = CrashHook(flush_autosave, show)
    hook._previous = sys.excepthook
    hook._previous_thread = threading.excepthook
    sys.excepthook = hook
    threading.excepthook = hook._thread_hook
    return hook


def format_exception(exc: BaseException) -> str:
    """A redacted traceback, for reports shown in the window."""
    return redact("".join(traceback.format_exception(exc)))
