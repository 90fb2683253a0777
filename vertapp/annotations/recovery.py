"""What to offer when a project folder is opened after a crash, and the user's answers.

`recovery_plan(folder)` looks at the folder and says, in words, what can be offered:
unsaved journalled edits (said by what recovering them changes, `journal_effect`), a
project.json that is missing while its backup is there, journals kept aside earlier.
The window asks the question it holds and then calls `recover_edits` (store),
`keep_for_later` (Decide later, Esc, or nobody answered), `discard_into_kept` (Discard:
kept aside all the same, in case that was a mistake) or `restore_backup`; a journal too
damaged to offer is set aside (`set_aside_journal`) and the user told. Nothing here
deletes edits the user did not choose to discard, and the question's answers never do:
`discard_journal` alone removes (the close prompt's Discard of this session's own work).
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from vertapp.annotations.kept_effect import Effect, effect_of
from vertapp.annotations.model import Project
from vertapp.annotations.recovery_words import journal_question
from vertapp.annotations.store import (
    AUTOSAVE_FILE,
    BACKUP_FILE,
    DISCARDED,
    JOURNAL_FILE,
    KEPT_DIR,
    NOT_RECOVERED,
    PROJECT_FILE,
    SAVING_FILE,
    STATE_DIR,
    UNANSWERED,
    _journal_header,
    _read_bytes,
    _replay_journal,
    atomic_write_bytes,
    has_recovery,
    keep_journal,
    load_project,
)
from vertapp.errors import FormatError, VertAppError

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
    edits: int = 0  # journal lines waiting (JOURNAL, DAMAGED): not the user's words
    kept: list[Path] = field(default_factory=list)  # journals set aside earlier, newest last
    # JOURNAL: what recovering changes in the project as saved (None: it would not replay)
    effect: Effect | None = None


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
    effect = journal_effect(folder)
    return RecoveryPlan(JOURNAL, journal_question(folder.name, effect, edits), edits, kept, effect)


def journal_effect(project_dir: Path | str) -> Effect | None:
    """What recovering the folder's journal changes in the project as saved now, counted
    as the user sees it (outlines added, changed, removed); None when the journal would
    not replay (recovering then says why). Nothing is written: it is replayed in memory."""
    folder = Path(project_dir)
    state = folder / STATE_DIR
    path = state / JOURNAL_FILE
    try:
        lines = _read_bytes(path).decode("utf-8", errors="replace").split("\n")
        recovered = _replay_journal(folder, state, path, lines).project
        main = folder / PROJECT_FILE
        saved = load_project(folder) if main.is_file() else _empty_like(recovered)
    except (VertAppError, OSError, ValueError):
        return None
    return effect_of(saved, recovered)


def untitled_effect(opened: Project, autosaved: Project) -> Effect:
    """What adopting an untitled scan's autosaved work changes in the scan as just opened
    (images matched by file name, as Document.adopt_untitled matches them)."""
    ids = {r.file_name: r.id for r in opened.images.values()}
    keyed = _empty_like(opened)
    keyed.images = {ids.get(r.file_name, -r.id): r for r in autosaved.images.values()}
    return effect_of(opened, keyed)


def _empty_like(project: Project) -> Project:
    """A project without images, with `project`'s settings (compared: not a difference)."""
    empty = Project(label_set=project.label_set, categories=project.categories)
    empty.extra, empty.app_extra = project.extra, project.app_extra
    return empty


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


def keep_for_later(project_dir: Path | str) -> Path | None:
    """The user answered the recovery question with Decide later (Esc, closed the box), or
    nobody answered it (an unattended run): the journal is copied to .vertapp/kept/ with
    the version of project.json it was made on (so it replays however often the project
    is saved since), for File > Recover kept edits…; the next journal then replaces it.
    The kept folder (None: no journal). OSError when it cannot be copied."""
    return keep_journal(project_dir, UNANSWERED, with_base=True)


def discard_into_kept(project_dir: Path | str) -> tuple[Path | None, str]:
    """The user chose Discard for the offered edits: they are no longer offered when the
    project opens, but kept in .vertapp/kept/ (noted DISCARDED: listed in File > Recover
    kept edits…, never brought up again) in case that was a mistake. The kept folder and,
    as discard_journal, why the journal could not be removed. OSError when it cannot be
    kept: then nothing is removed."""
    kept = keep_journal(project_dir, DISCARDED, with_base=True)
    return kept, discard_journal(project_dir)


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
