"""Kept edits in words: the list's lines, what recovering one does, the note when a
project opens, and the lines Recover and Delete say.

Each entry is named by where it came from and said by what it does to the project as
saved now ("Unsaved work from another window, 30 Nov 20:03: 2 outlines added, 1 changed
on 1 image"): the journal's own count said "0 edits" for two new outlines. The file
names of the app's insides (journal, snapshot, project.json.bak) are not the user's
words and are not said. An action name that ends in "…" never ends a sentence: its
full stop read as a double one.
"""

from __future__ import annotations

import time
from datetime import datetime

from vertapp.annotations.kept_edits import PREVIOUS, SNAPSHOT, KeptEdits, kept_time
from vertapp.annotations.kept_effect import effect_words
from vertapp.annotations.recovery_words import MENU
from vertapp.annotations.store import (
    DISCARDED,
    NOT_RECOVERED,
    SAVED_AS,
    SET_ASIDE,
    TAKEN_OVER,
    UNANSWERED,
)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# What each entry is, by why it was kept (store.KEPT_NOTE); "": kept before that was noted.
ORIGINS = {
    SET_ASIDE: "unsaved work from another window",
    TAKEN_OVER: "safety copy of another window's unsaved work",
    UNANSWERED: "edits from a session that ended unexpectedly",
    NOT_RECOVERED: "edits that could not be recovered automatically",
    DISCARDED: "edits discarded after a crash",
    SAVED_AS: "edits saved as a new project",
    "": "edits kept aside",
}
ORIGIN_DETAILS = {
    SET_ASIDE: "The unsaved work of a window whose project was opened anyway in another window.",
    TAKEN_OVER: (
        "A safety copy of the other window's unsaved work, made when this project was "
        "opened anyway, in case that window crashes."
    ),
    UNANSWERED: "Unsaved edits of a VertApp session that ended unexpectedly, never recovered.",
    NOT_RECOVERED: "Unsaved edits that could not be recovered automatically.",
    DISCARDED: (
        "Unsaved edits of a VertApp session that ended unexpectedly, discarded when they "
        "were offered, and kept here in case that was a mistake."
    ),
    SAVED_AS: "The unsaved edits of a window that then saved its project as a new one.",
    "": "Edits set aside earlier.",
}


def when_words(kept_at: datetime, now: float | None = None) -> str:
    """ "29 Nov 14:05" in local time ("29 Nov 2023" when not this year)."""
    local = time.localtime(kept_at.timestamp())
    this_year = time.localtime(time.time() if now is None else now).tm_year
    day = f"{local.tm_mday} {MONTHS[local.tm_mon - 1]}"  # not %b: the locale's
    if local.tm_year != this_year:
        return f"{day} {local.tm_year}"
    return f"{day} {local.tm_hour:02d}:{local.tm_min:02d}"


def origin_words(entry: KeptEdits) -> str:
    return ORIGINS.get(entry.origin, ORIGINS[""])


def state_words(entry: KeptEdits, names: bool) -> str:
    """What recovering it does, shortly: "2 outlines added on 1 image", "already in the
    project", "cannot be recovered". names: image file names may be shown (they can
    carry a patient's name)."""
    if not entry.recoverable:
        return "cannot be recovered"
    if entry.later is not None:
        return f"already in the later entry of {when_words(_later_time(entry))}"
    if entry.nothing:
        return "already in the project"
    if entry.saved_to is not None:
        return f"already saved to {saved_words(entry, names)}"
    if entry.effect is None:  # no project saved to compare with
        return f"{entry.edits} edit{'' if entry.edits == 1 else 's'}"
    if entry.overtaken:
        return "out of date: its window went on with this work"
    return effect_words(entry.effect, names)


def saved_words(entry: KeptEdits, names: bool) -> str:
    """Where its window saved this work: the folder's base name (the project folder the
    user chose in "Save as"), or "another project folder" while names are hidden (the
    name may be a patient's, as the window's title is then)."""
    if names and entry.saved_to:
        return entry.saved_to
    return "another project folder"


def _later_time(entry: KeptEdits) -> datetime:
    assert entry.later is not None
    return kept_time(entry.later)


def summary_words(entry: KeptEdits, names: bool) -> str:
    """One line for the list: "Unsaved work from another window, 30 Nov 20:03: 2 outlines
    added on 1 image"."""
    origin = origin_words(entry)
    return (
        f"{origin[0].upper()}{origin[1:]}, {when_words(entry.kept_at)}: {state_words(entry, names)}"
    )


def detail_words(entry: KeptEdits, names: bool = False) -> str:
    """What the entry is and what recovering it does, or why it is not offered."""
    if entry.problem:
        return f"It cannot be recovered: {entry.problem}."
    if entry.later is not None:
        return (
            f"{ORIGIN_DETAILS[TAKEN_OVER]} That window kept all of this work again later "
            f"(the entry of {when_words(_later_time(entry))}): recovering this copy too "
            "would add the same outlines twice, so it is not offered. Delete removes it."
        )
    origin = ORIGIN_DETAILS.get(entry.origin, ORIGIN_DETAILS[""])
    if entry.nothing:
        return (
            f"{origin} All of it is in the project as saved now: recovering it would change "
            "nothing. Delete removes it."
        )
    if entry.saved_to is not None:
        return (
            f"{origin} Its window saved this work as a new project in "
            f"{saved_words(entry, names)} after this copy was made, so it is safe there and "
            "not offered here: open that project to go on with it. Delete removes this copy."
        )
    if entry.overtaken:
        return (
            f"{origin} Its window went on with this work after this copy was made (saved it "
            "elsewhere, discarded it or went on editing the project), so this copy is out of "
            "date and not offered. Delete removes it."
        )
    return f"{origin} {_recovering_words(entry, names)}"


def _recovering_words(entry: KeptEdits, names: bool) -> str:
    effect = state_words(entry, names)
    if entry.base == SNAPSHOT:
        return (
            "Recovering shows the project as that window had it: compared with the project "
            f"as saved now, {effect}."
        )
    if entry.base == PREVIOUS:
        return (
            "These edits were made on the version of the project saved before the last "
            "save: recovering puts them on that version (compared with the project as saved "
            f"now: {effect}), and saving then asks before replacing the newer version."
        )
    return f"Recovering applies them to the project as saved now: {effect}."


def notice_words(entries: list[KeptEdits]) -> str:
    """Said once when a project opens with kept work the user was not told of."""
    if len(entries) == 1:
        [entry] = entries
        what = f"{origin_words(entry)}, {when_words(entry.kept_at)} ({state_words(entry, False)})"
        return f"Not in the project: {what}. {MENU} recovers or deletes it."
    newest = max(e.kept_at for e in entries)
    return (
        f"Not in the project: {len(entries)} sets of kept edits (newest kept "
        f"{when_words(newest)}). {MENU} recovers or deletes them."
    )


def recovered_words(entry: KeptEdits, names: bool) -> str:
    """The status line once recovered (said by what it did, as the list said it)."""
    return (
        f"Recovered the {origin_words(entry)}: {state_words(entry, names)}. Not saved yet: "
        "File > Save keeps it."
    )


def delete_words(entry: KeptEdits, copies: int, names: bool) -> str:
    """The question before deleting: what goes, said as the list says it."""
    text = (
        f"Delete the {origin_words(entry)}, kept {when_words(entry.kept_at)} "
        f"({state_words(entry, names)})?"
    )
    if copies:
        text += (
            " The earlier safety copy of the same work goes too."
            if copies == 1
            else f" The {copies} earlier safety copies of the same work go too."
        )
    return f"{text} Deleted edits cannot be recovered."
