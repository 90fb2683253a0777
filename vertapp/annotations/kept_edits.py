"""Edits kept aside in .vertapp/kept/: describe each for a list, recover one, delete one.

A kept folder holds a journal nobody replayed (store.KEPT_NOTE says why, where it was
written): a copy of a live window's journal taken by the window that opened its project
anyway (TAKEN_OVER), that window's own unsaved work once it noticed (SET_ASIDE:
`store.Journal.set_aside`, from a copy of the project of its own), a journal left by a
session that ended unexpectedly (UNANSWERED), one whose recovery failed or that was too
damaged to offer (NOT_RECOVERED), or a crashed session's edits the user discarded when
offered (DISCARDED: kept in case that was a mistake, never told of again). Folders kept
before notes were have no origin.

`describe_kept` says, per folder and newest first, when it was kept, why, what it was
made on (the project as saved now, its previous version, a copy of its own, or a version
that is gone) and what recovering it does to the project as saved now (`kept_effect`:
the replayed project compared with project.json; the journal's own count of lines said
"0 edits" for two new outlines). Nothing is written to try it. An entry whose work is
all in a later kept copy (the safety copy of a journal whose window then set the same
work aside), or all in the project already, is said so and not offered: recovering
both copies added the same outlines twice. `recover_kept` replays one for the window to
show as unsaved edits; nothing here deletes a kept folder except `delete_kept`, which
the user asked for. The words are in `kept_words`.

A safety copy whose window then saved the same work as a new project ("save as": before
it noticed the take-over, it set nothing aside that would supersede the copy) is noted
so by that window (`store.note_saved_elsewhere`), and is said "already saved to <that
folder's name>" and not offered either: the work is safe in the saved copy.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path, PureWindowsPath

from vertapp.annotations.kept_effect import Effect, effect_of
from vertapp.annotations.model import Project
from vertapp.annotations.recovery import count_journal_edits, kept_journals
from vertapp.annotations.store import (
    AUTOSAVE_FILE,
    BACKUP_FILE,
    BASE_COPY,
    DISCARDED,
    JOURNAL_FILE,
    KEPT_DIR,
    PROJECT_FILE,
    STATE_DIR,
    FileStamp,
    Recovery,
    _saving_note,
    journal_header_at,
    kept_note,
    load_project,
    recover_edits,
)
from vertapp.errors import FormatError

CURRENT = "current"  # made on project.json as saved now: replayed onto it
PREVIOUS = "previous"  # made on project.json.bak: replayed onto that version (saving asks)
SNAPSHOT = "snapshot"  # starts from a copy of its own or of its version: replayed onto that
OTHER = "other"  # made on a version that is gone, no copy of its own: cannot be replayed
DAMAGED = "damaged"  # its first line cannot be read: cannot be replayed
STAMP_FORMAT = "%Y%m%d-%H%M%S"  # the UTC time that starts a kept folder's name (store)


@dataclass(frozen=True)
class KeptEdits:
    """One kept folder as the list shows it.

    `effect`: what recovering changes in the project as saved now (None: not known, the
    replay was not possible or no project is saved); `problem`: why it cannot be
    recovered, in words ("" when it can); `origin`: why it was kept (store.TAKEN_OVER, …;
    "" when not noted); `later`: a later kept folder holding all of this work (it is
    then not offered); `overtaken`: its window went on with this work after this copy
    was made (its later folder is gone: saved elsewhere, discarded, or home again);
    `saved_to`: its window saved all of this work as a new project since, in the folder
    of that base name (None: not noted so; "": a folder without a name)."""

    folder: Path
    kept_at: datetime  # UTC
    edits: int  # journal lines; what recovering does is `effect`
    base: str
    effect: Effect | None = None
    problem: str = ""
    origin: str = ""
    later: Path | None = None
    overtaken: bool = False
    saved_to: str | None = None

    @property
    def images(self) -> tuple[str, ...] | None:
        """File names of the images whose annotations recovering changes (None: not known)."""
        return None if self.effect is None else self.effect.images

    @property
    def recoverable(self) -> bool:
        """It can be replayed."""
        return not self.problem

    @property
    def offered(self) -> bool:
        """Recovering it is offered: it replays, and brings something that is not in the
        project nor in a later kept copy, and that its window did not go on with (saved
        elsewhere, discarded, or back in the project: replayed onto the version it was
        made on, it would take away what was saved since)."""
        return (
            self.recoverable
            and self.later is None
            and not self.overtaken
            and self.saved_to is None
            and not self.nothing
        )

    @property
    def nothing(self) -> bool:
        """Replayed, it changes nothing in the project as saved now."""
        return self.effect is not None and self.effect.nothing

    @property
    def worth_telling(self) -> bool:
        """Said when the project opens: work that is nowhere else (an entry that cannot be
        replayed too: a person must look at it). Not edits the user discarded: kept in
        case that was a mistake, said when discarded, listed, never brought up again."""
        return self.origin != DISCARDED and (not self.recoverable or self.offered)


def describe_kept(project_dir: Path | str, names: Collection[str] | None = None) -> list[KeptEdits]:
    """The kept folders of the project (only those `names` name, when given), newest
    first, each tried (nothing is written)."""
    folder = Path(project_dir)
    kept = kept_journals(folder)
    chosen = [k for k in kept if names is None or k.name in names]
    if not chosen:
        return []
    saved = _saved_project(folder)
    entries = [_describe(folder, k, saved, kept) for k in reversed(chosen)]  # names: by time
    # kept in the same second, a safety copy comes after the later copy of its work
    return sorted(entries, key=lambda e: (-e.kept_at.timestamp(), e.later is not None))


def _saved_project(folder: Path) -> Project | None:
    try:
        return load_project(folder)
    except (FormatError, OSError):  # recovering may still work (onto a copy of its own)
        return None


def _describe(folder: Path, kept: Path, saved: Project | None, every: list[Path]) -> KeptEdits:
    base = kept_base(folder, kept)
    later, overtaken = later_copy(folder, kept, every)
    note = kept_note(kept)
    entry = KeptEdits(
        kept,
        kept_time(kept),
        count_journal_edits(kept / JOURNAL_FILE),
        base,
        problem=_base_problem(base),
        origin=str(note.get("origin") or ""),
        later=later,
        overtaken=overtaken,
        saved_to=saved_to(note),
    )
    if entry.problem:
        return entry
    try:
        recovery = _replay(folder, kept)
    except FormatError as err:
        return replace(entry, problem=str(err))
    effect = effect_of(saved, recovery.project) if saved is not None else None
    return replace(entry, effect=effect)


def later_copy(
    project_dir: Path | str, kept: Path, every: list[Path] | None = None
) -> tuple[Path | None, bool]:
    """The later kept folder holding all of `kept`'s work, and whether its window went
    on with that work since (the later folder is gone). Only a safety copy taken when
    the project was opened anyway has one: the window it was taken from set the same
    work aside later (store._note_superseded notes it on both sides). A later folder
    that cannot be replayed supersedes nothing."""
    folder = Path(project_dir)
    every = kept_journals(folder) if every is None else every
    named = str(kept_note(kept).get("superseded_by") or "")
    later = kept.parent / named if named else _superseding(kept, every)
    if later is None:
        return None, False
    if later not in every:  # removed on purpose: the window went on with the work
        return None, True
    return (later, False) if kept_base(folder, later) not in (OTHER, DAMAGED) else (None, False)


def saved_to(note: dict[str, object]) -> str | None:
    """The base name of the folder a kept folder's note says its work was saved in since
    (store.note_saved_elsewhere); None when not noted. A name only, never a path: the
    folders above may name a patient."""
    value = note.get("saved_to")
    if not isinstance(value, str):
        return None
    name = PureWindowsPath(value).name  # the last part, whichever the separator
    return "" if name in ("..", ".") else name


def _superseding(kept: Path, every: list[Path]) -> Path | None:
    """A folder whose note says it supersedes `kept`'s journal (the note on `kept`'s side
    is missing when the other window set its work aside before this copy was made)."""
    ident = (journal_header_at(kept / JOURNAL_FILE) or {}).get("id")
    if not ident:
        return None
    for other in every:
        if other != kept and kept_note(other).get("supersedes") == ident:
            return other
    return None


def copies_of(project_dir: Path | str, kept: Path) -> list[Path]:
    """The kept folders whose work is all in `kept` (see later_copy): they go with it
    when the user deletes it, or they would be offered again without it."""
    every = kept_journals(Path(project_dir))
    return [k for k in every if k != kept and later_copy(project_dir, k, every)[0] == kept]


def _replay(folder: Path, kept: Path) -> Recovery:
    """store.recover_edits, its errors naming files inside the project by their path
    from there: shown in the window, the project's folder name may be a patient's."""
    try:
        return recover_edits(folder, kept)
    except FormatError as err:
        raise FormatError(_inside_words(str(err), folder)) from None
    except OSError as err:
        raise FormatError(
            f"{_shown(folder, kept)}: cannot be read ({err.strerror or err})"
        ) from None


def _inside_words(text: str, folder: Path) -> str:
    return text.replace(f"{folder}{os.sep}", "")


def kept_base(project_dir: Path | str, kept: Path) -> str:
    """What the kept journal was made on, compared with the project's files now
    (store._journal_base replays by the same rules)."""
    folder = Path(project_dir)
    header = journal_header_at(kept / JOURNAL_FILE)
    if header is None or header.get("journal") != 1:
        return DAMAGED
    if header.get("base") == AUTOSAVE_FILE:
        return SNAPSHOT if (kept / AUTOSAVE_FILE).is_file() else OTHER
    want = header.get("sha256")
    main = _sha(folder / PROJECT_FILE)
    if main is not None and main == want:
        return CURRENT
    note = _saving_note(kept)  # kept between a save's rename and its end
    if (
        main is not None
        and note.get("journal_id") == header.get("id")
        and note.get("sha256") == main
    ):
        return CURRENT
    if _sha(folder / BACKUP_FILE) == want:
        return PREVIOUS
    # kept with a copy of the version it was made on (store.BASE_COPY): replayed onto it
    return SNAPSHOT if want and _sha(kept / BASE_COPY) == want else OTHER


def _sha(path: Path) -> str | None:
    try:
        return FileStamp.of(path).sha256
    except OSError:
        return None


def _base_problem(base: str) -> str:
    if base == OTHER:
        return (
            f"these edits were made on another version of {PROJECT_FILE}, and they hold no "
            "copy of the project to start from: they cannot be replayed onto the project "
            "as it is now"
        )
    if base == DAMAGED:
        return "its first line cannot be read (not a VertApp journal): it cannot be replayed"
    return ""


def kept_time(kept: Path) -> datetime:
    """When the folder was kept: the UTC time its name starts with (store._new_kept_dir),
    or its journal's modification time for a name in another form."""
    with contextlib.suppress(ValueError):
        return datetime.strptime(kept.name[:15], STAMP_FORMAT).replace(tzinfo=UTC)
    try:
        mtime = (kept / JOURNAL_FILE).stat().st_mtime
    except OSError:
        mtime = 0.0
    return datetime.fromtimestamp(mtime, UTC)


def recover_kept(project_dir: Path | str, kept: Path) -> Recovery:
    """The project with the kept edits replayed (unsaved), for the window to show.

    FormatError in words when it cannot be: made on another version of project.json
    without a copy of its own to start from, damaged, or an entry that does not replay
    (store.recover_edits); all of its work in a later kept copy (recovering both added
    the same outlines twice) or in the project as saved now. Files are named by their
    path inside the project. The kept folder stays either way (see delete_kept).
    """
    folder = Path(project_dir)
    kept = _inside_kept(folder, kept)
    problem = _base_problem(kept_base(folder, kept)) or _later_problem(folder, kept)
    if problem:
        raise FormatError(f"{_shown(folder, kept)}: {problem}; the kept edits stay where they are")
    recovery = _replay(folder, kept)
    saved = _saved_project(folder)
    if saved is not None and effect_of(saved, recovery.project).nothing:
        raise FormatError(
            f"{_shown(folder, kept)}: all of it is in the project as saved now, so recovering "
            "it would change nothing"
        )
    return recovery


def _later_problem(folder: Path, kept: Path) -> str:
    if saved_to(kept_note(kept)) is not None:  # its name: for the list, not in errors
        return (
            "its window saved this work as a new project in another folder after this "
            "copy was made; open that project to go on with it"
        )
    later, overtaken = later_copy(folder, kept)
    if overtaken:
        return (
            "its window went on with this work after this copy was made, so the copy is out of date"
        )
    if later is None:
        return ""
    return (
        f"all of its work is in the later kept copy {_shown(folder, later)}; recovering "
        "both would add the same outlines twice"
    )


def delete_kept(project_dir: Path | str, kept: Path) -> None:
    """Remove a kept folder (the user asked for it). OSError when it cannot be."""
    shutil.rmtree(_inside_kept(Path(project_dir), kept))


def _inside_kept(folder: Path, kept: Path) -> Path:
    """`kept` when it is one of the project's kept folders (FormatError otherwise: a
    path from elsewhere is never replayed or deleted as one)."""
    root = (folder / STATE_DIR / KEPT_DIR).resolve()
    path = Path(kept)
    if path.resolve().parent != root or not (path / JOURNAL_FILE).is_file():
        raise FormatError(f"{path}: not a folder of kept edits of this project")
    return path


def _shown(folder: Path, kept: Path) -> str:
    try:
        return str(kept.relative_to(folder))
    except ValueError:
        return str(kept)
