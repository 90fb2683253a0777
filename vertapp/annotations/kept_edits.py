"""Edits kept aside in .vertapp/kept/: describe each for a list, recover one, delete one.

A kept folder holds a journal nobody replayed: a crash recovery that failed, a journal
too damaged to offer, one attached over or saved past without an answer
(store.keep_journal), or the journal of a window whose project another window opened
anyway (store.Journal.set_aside: it starts from a copy of the project of its own).
Until now only `store.recover_edits(folder, kept)` by hand got them back.

`describe_kept` says, per folder and newest first, when it was kept, how many edits it
holds, what it was made on (the project as saved now, its previous version, a copy of
its own, or a version that is gone) and which images recovering changes; it tries the
replay (nothing is written) so a journal that cannot be replayed says why before the
user chooses it. `recover_kept` replays one for the window to show as unsaved edits;
nothing here deletes a kept folder except `delete_kept`, which the user asked for.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vertapp.annotations.model import Project
from vertapp.annotations.recovery import count_journal_edits, kept_journals
from vertapp.annotations.store import (
    AUTOSAVE_FILE,
    BACKUP_FILE,
    JOURNAL_FILE,
    KEPT_DIR,
    PROJECT_FILE,
    STATE_DIR,
    FileStamp,
    Recovery,
    _saving_note,
    load_project,
    recover_edits,
)
from vertapp.errors import FormatError

CURRENT = "current"  # made on project.json as saved now: replayed onto it
PREVIOUS = "previous"  # made on project.json.bak: replayed onto that version (saving asks)
SNAPSHOT = "snapshot"  # starts from a copy of its own: that copy and its edits replace
OTHER = "other"  # made on a version that is gone, no copy of its own: cannot be replayed
DAMAGED = "damaged"  # its first line cannot be read: cannot be replayed
STAMP_FORMAT = "%Y%m%d-%H%M%S"  # the UTC time that starts a kept folder's name (store)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class KeptEdits:
    """One kept folder as the list shows it. `images`: file names of the images whose
    annotations recovering changes (None: not known, the replay was not possible);
    `problem`: why it cannot be recovered, in words ("" when it can)."""

    folder: Path
    kept_at: datetime  # UTC
    edits: int
    base: str
    images: tuple[str, ...] | None = None
    problem: str = ""

    @property
    def recoverable(self) -> bool:
        return not self.problem


def describe_kept(project_dir: Path | str) -> list[KeptEdits]:
    """Every kept folder of the project, newest first, each tried (nothing is written)."""
    folder = Path(project_dir)
    kept = kept_journals(folder)
    if not kept:
        return []
    saved = _saved_project(folder)
    return [_describe(folder, k, saved) for k in reversed(kept)]  # names sort by time


def _saved_project(folder: Path) -> Project | None:
    try:
        return load_project(folder)
    except (FormatError, OSError):  # recovering may still work (onto a copy of its own)
        return None


def _describe(folder: Path, kept: Path, saved: Project | None) -> KeptEdits:
    base = kept_base(folder, kept)
    when = kept_time(kept)
    edits = count_journal_edits(kept / JOURNAL_FILE)
    problem = _base_problem(base)
    if problem:
        return KeptEdits(kept, when, edits, base, None, problem)
    try:
        recovery = _replay(folder, kept)
    except FormatError as err:
        return KeptEdits(kept, when, edits, base, None, str(err))
    return KeptEdits(kept, when, recovery.edits, base, changed_images(saved, recovery.project))


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
    header = _header(kept / JOURNAL_FILE)
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
    return PREVIOUS if _sha(folder / BACKUP_FILE) == want else OTHER


def _header(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as f:
            header = json.loads(f.readline() or "null")
    except (OSError, ValueError, RecursionError):
        return None
    return header if isinstance(header, dict) else None


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


def changed_images(saved: Project | None, recovered: Project) -> tuple[str, ...] | None:
    """File names of the images whose annotations differ between the project as saved
    and as recovered (added or removed ones too); None without a saved project."""
    if saved is None:
        return None
    names = []
    for image_id in sorted(set(saved.images) | set(recovered.images)):
        before, after = saved.images.get(image_id), recovered.images.get(image_id)
        if before is None or after is None or before.state() != after.state():
            names.append((after or before).file_name)  # type: ignore[union-attr]
    return tuple(names)


def recover_kept(project_dir: Path | str, kept: Path) -> Recovery:
    """The project with the kept edits replayed (unsaved), for the window to show.

    FormatError in words when it cannot be: made on another version of project.json
    without a copy of its own to start from, damaged, or an entry that does not replay
    (store.recover_edits); files are named by their path inside the project. The kept
    folder stays either way (see delete_kept).
    """
    folder = Path(project_dir)
    kept = _inside_kept(folder, kept)
    problem = _base_problem(kept_base(folder, kept))
    if problem:
        raise FormatError(f"{_shown(folder, kept)}: {problem}; the kept edits stay where they are")
    return _replay(folder, kept)


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


# =================================================================== words


def when_words(kept_at: datetime, now: float | None = None) -> str:
    """ "29 Nov 14:05" in local time ("29 Nov 2023" when not this year)."""
    local = time.localtime(kept_at.timestamp())
    this_year = time.localtime(time.time() if now is None else now).tm_year
    day = f"{local.tm_mday} {MONTHS[local.tm_mon - 1]}"  # not %b: the locale's
    if local.tm_year != this_year:
        return f"{day} {local.tm_year}"
    return f"{day} {local.tm_hour:02d}:{local.tm_min:02d}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_words(entry: KeptEdits, names: bool) -> str:
    """One line for the list: "kept 29 Nov 14:05 · 3 edits · changes 1 image".

    names: image file names may be shown (they can carry a patient's name)."""
    edits = _count(entry.edits, "edit")
    if entry.base == SNAPSHOT:
        edits = f"its own copy + {edits}"
    parts = [f"kept {when_words(entry.kept_at)}", edits]
    if entry.images is not None:
        parts.append(_images_words(entry.images, names))
    if not entry.recoverable:
        parts.append("cannot be recovered")
    return " · ".join(parts)


def _images_words(images: tuple[str, ...], names: bool) -> str:
    if not images:
        return "changes no image"
    if names:
        return "changes " + ", ".join(Path(n).name for n in images)
    return f"changes {_count(len(images), 'image')}"


BASE_WORDS = {
    CURRENT: "Made on the project as it is saved now: recovering replays {edits} onto it.",
    PREVIOUS: (
        f"Made on the previous version of the project ({BACKUP_FILE}; another program "
        "changed it since): recovering replays {edits} onto that version, and saving asks "
        "before replacing the other one."
    ),
    SNAPSHOT: (
        "Starts from a copy of the project taken when it was kept (a window whose project "
        "was opened in another window): recovering shows that copy with {edits}; saving "
        f"replaces {PROJECT_FILE} with it (the file saved now is kept as {BACKUP_FILE})."
    ),
}


def detail_words(entry: KeptEdits) -> str:
    """What recovering this one does, or why it cannot be recovered, in words."""
    if entry.problem:
        return f"It cannot be recovered: {entry.problem}."
    return BASE_WORDS[entry.base].format(edits=_count(entry.edits, "edit"))


def notice_words(count: int, newest: datetime) -> str:
    """Said once when a project opens with kept folders the user was not told of."""
    sets = "1 set of edits was" if count == 1 else f"{count} sets of edits were"
    return (
        f"{sets} kept aside earlier and {'is' if count == 1 else 'are'} not in the project "
        f"(newest kept {when_words(newest)}): File > Recover kept edits… shows them."
    )
