"""What to offer when a project folder is opened after a crash, and the user's answers.

`recovery_plan(folder)` looks at the folder and says, in words, what can be offered:
unsaved journalled edits, a project.json that is missing while its backup is
there, journals kept aside earlier. The window asks the question it holds and then
calls `recover_edits` (store), `discard_journal` or `restore_backup`. Nothing here
deletes edits the user did not choose to discard.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from vertapp.annotations.store import (
    AUTOSAVE_FILE,
    BACKUP_FILE,
    JOURNAL_FILE,
    KEPT_DIR,
    PROJECT_FILE,
    SAVING_FILE,
    STATE_DIR,
    _read_bytes,
    atomic_write_bytes,
    has_recovery,
)
from vertapp.errors import FormatError

NOTHING = "nothing"
JOURNAL = "journal"  # unsaved edits: offer recover_edits / discard_journal
BACKUP_ONLY = "backup_only"  # project.json missing, project.json.bak there: offer restore_backup


@dataclass(frozen=True)
class RecoveryPlan:
    """What a folder offers: `kind` (NOTHING / JOURNAL / BACKUP_ONLY) and the question."""

    kind: str
    message: str
    edits: int = 0  # journalled edits waiting (JOURNAL)
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
        edits = count_journal_edits(folder / STATE_DIR / JOURNAL_FILE)
        what = f"{edits} edit{'s' if edits != 1 else ''}" if edits else "a new project's edits"
        return RecoveryPlan(
            JOURNAL,
            f"{what} to {folder.name} were not saved (VertApp did not close normally). "
            "Recover them?",
            edits,
            kept,
        )
    return RecoveryPlan(NOTHING, "", kept=kept)


def count_journal_edits(path: Path) -> int:
    """Complete operation lines in a journal (its header excluded)."""
    try:
        lines = _read_bytes(path).split(b"\n")[1:]
    except FormatError:
        return 0
    count = 0
    for line in lines:
        with contextlib.suppress(ValueError):
            if line.strip() and isinstance(json.loads(line), dict):
                count += 1
    return count


def kept_journals(project_dir: Path | str) -> list[Path]:
    """Folders under .vertapp/kept/ holding a journal (store.recover_edits(folder, that))."""
    root = Path(project_dir) / STATE_DIR / KEPT_DIR
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / JOURNAL_FILE).is_file())


def discard_journal(project_dir: Path | str) -> None:
    """The user chose to discard the unsaved edits: remove them so they are never offered again.

    Removes the journal, its snapshot and a save's note (kept journals stay: the user
    was not asked about them).
    """
    state = Path(project_dir) / STATE_DIR
    for name in (JOURNAL_FILE, AUTOSAVE_FILE, SAVING_FILE):
        with contextlib.suppress(FileNotFoundError):
            (state / name).unlink()
    for tmp in state.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def restore_backup(project_dir: Path | str) -> Path:
    """Make project.json a copy of project.json.bak again (the backup stays); project.json."""
    folder = Path(project_dir)
    main = folder / PROJECT_FILE
    if main.exists():
        raise FormatError(f"{folder.name}: {PROJECT_FILE} exists; nothing to restore")
    atomic_write_bytes(main, _read_bytes(folder / BACKUP_FILE))
    return main
