"""What to offer when a project folder is opened after a crash, and the user's answers.

`recovery_plan(folder)` looks at the folder and says, in words, what can be offered:
unsaved journalled edits, a project.json that is missing while its backup is
there, journals kept aside earlier. The window asks the question it holds and then
calls `recover_edits` (store), `discard_journal` or `restore_backup`; a journal too
damaged to offer is set aside (`set_aside_journal`) and the user told. Nothing here
deletes edits the user did not choose to discard.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from vertapp.annotations.store import (
    AUTOSAVE_FILE,
    BACKUP_FILE,
    JOURNAL_FILE,
    KEPT_DIR,
    NOT_RECOVERED,
    PROJECT_FILE,
    SAVING_FILE,
    STATE_DIR,
    _journal_header,
    _read_bytes,
    atomic_write_bytes,
    has_recovery,
    keep_journal,
)
from vertapp.errors import FormatError

NOTHING = "nothing"
JOURNAL = "journal"  # unsaved edits: offer recover_edits / discard_journal
BACKUP_ONLY = "backup_only"  # project.json missing, project.json.bak there: offer restore_backup
DAMAGED = "damaged"  # a journal whose first line cannot be read: set_aside_journal, say so

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecoveryPlan:
    """What a folder offers: `kind` (NOTHING / JOURNAL / BACKUP_ONLY / DAMAGED) and the
    question (for DAMAGED: what is wrong, nothing to ask)."""

    kind: str
    message: str
    edits: int = 0  # journalled edits waiting (JOURNAL, DAMAGED)
    kept: list[Path] = field(default_factory=list)  # journals set aside earlier, newest last


def recovery_plan(project_dir: Path | str) -> RecoveryPlan:
    """What to offer the user for this folder (no file is changed)."""
    folder = Path(project_dir)
    kept = kept_journals(folder)
    main, backup = folder / PROJECT_FILE, folder / BACKUP_FILE
    if not main.exists() and backup.is_file():
        return RecoveryPlan(
            BACKUP_ONLY,
            f"{folder.name} has no {PROJECT_FILE}, only its previous version {BACKUP_FILE} "
            "(a save was interrupted or the file was removed). Restore the previous version?",
            kept=kept,
        )
    if has_recovery(folder):
        return _journal_plan(folder, kept)
    return RecoveryPlan(NOTHING, "", kept=kept)


def _journal_plan(folder: Path, kept: list[Path]) -> RecoveryPlan:
    """Unsaved edits to offer (JOURNAL), or a journal too damaged to offer (DAMAGED)."""
    edits = count_journal_edits(folder / STATE_DIR / JOURNAL_FILE)
    if _journal_header(folder) is None:
        what = f"{edits} unsaved edit{'s' if edits != 1 else ''}" if edits else "unsaved edits"
        return RecoveryPlan(
            DAMAGED,
            f"The crash journal of {folder.name} is damaged (its first line cannot be "
            f"read), so its {what} cannot be recovered",
            edits,
            kept,
        )
    what = f"{edits} edit{'s' if edits != 1 else ''}" if edits else "a new project's edits"
    return RecoveryPlan(
        JOURNAL,
        f"{what} to {folder.name} were not saved (VertApp did not close normally). Recover them?",
        edits,
        kept,
    )


def count_journal_edits(path: Path) -> int:
    """Operation lines in a journal (its header excluded), damaged ones too: recovery
    replays all or none of them. Only a last line cut short by the crash is not one."""
    try:
        lines = [line for line in _read_bytes(path).split(b"\n")[1:] if line.strip()]
    except FormatError:
        return 0
    if lines and not _is_entry(lines[-1]):
        lines.pop()
    return len(lines)


def _is_entry(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        return False


def kept_journals(project_dir: Path | str) -> list[Path]:
    """Folders under .vertapp/kept/ holding a journal (store.recover_edits(folder, that))."""
    root = Path(project_dir) / STATE_DIR / KEPT_DIR
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / JOURNAL_FILE).is_file())


def discard_journal(project_dir: Path | str) -> str:
    """The user chose to discard the unsaved edits: remove them so they are never offered again.

    Removes the journal, its snapshot and a save's note (kept journals stay: the user
    was not asked about them). Returns "" or, when a file could not be removed (a
    read-only folder), why in words: the edits are then offered again next time, and
    the caller goes on (a window closing must still close).
    """
    state = Path(project_dir) / STATE_DIR
    problem = ""
    for name in (JOURNAL_FILE, AUTOSAVE_FILE, SAVING_FILE):
        try:
            (state / name).unlink()
        except FileNotFoundError:
            pass
        except OSError as err:
            problem = problem or (
                f"{state / name}: the discarded edits could not be removed "
                f"({err.strerror or err}); they will be offered again when the project "
                "is next opened"
            )
    for tmp in state.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()
    if problem:
        log.warning("%s", problem)
    return problem


def set_aside_journal(project_dir: Path | str) -> str:
    """Copy a journal that cannot be offered (DAMAGED) to .vertapp/kept/, so the next
    journal does not replace it; where it is, in words."""
    folder = Path(project_dir)
    kept = keep_journal(folder, NOT_RECOVERED)
    if kept is None:
        return "the journal is no longer there"
    return f"it is kept in {kept.relative_to(folder)}"


def restore_backup(project_dir: Path | str) -> Path:
    """Make project.json a copy of project.json.bak again (the backup stays); project.json."""
    folder = Path(project_dir)
    main = folder / PROJECT_FILE
    if main.exists():
        raise FormatError(f"{folder.name}: {PROJECT_FILE} exists; nothing to restore")
    atomic_write_bytes(main, _read_bytes(folder / BACKUP_FILE))
    return main
