"""The crash-recovery question and what its answers say, in the user's words.

The question used to count the journal's lines ("4 edits to this project were not
saved": a prediction run and three review decisions) or nothing at all ("Unsaved
annotations of untitled CT … were found"); it says what recovering brings back, as the
kept-edits list does (`kept_effect.effect_words`: "2 outlines added on 1 image"). It
also says what each answer does: Recover, Decide later (Esc, closing the box, and an
unattended run: the edits are kept aside and the work goes on journalled) and Discard
(for a project, kept aside too, in case that was a mistake).
"""

from __future__ import annotations

from vertapp.annotations.kept_effect import Effect, effect_words

MENU = "File > Recover kept edits…"  # where kept edits are listed (kept_words says it too)
RECOVER = "Recover"
LATER = "Decide later"
DISCARD = "Discard"
DISCARD_FOR_GOOD = "Discard…"  # an untitled scan's: asks again, nothing keeps them


def unsaved_words(effect: Effect | None, edits: int, names: bool) -> str:
    """What the unsaved edits change, in words: "2 outlines added on 1 image"; the
    journal's own count only when it cannot be replayed to tell ("3 unsaved edits")."""
    if effect is None:
        return f"{edits} unsaved edit{'' if edits == 1 else 's'}" if edits else "unsaved edits"
    return effect_words(effect, names) or "nothing that differs from the project as saved"


def journal_question(name: str, effect: Effect | None, edits: int, names: bool = False) -> str:
    """The question for a project folder whose journal holds unsaved edits."""
    return (
        f"Edits to {name} were not saved (VertApp did not close normally): "
        f"{unsaved_words(effect, edits, names)}. Recover them?"
    )


def journal_answers() -> str:
    """What the answers do, below the project question."""
    return (
        f"{RECOVER} puts them back as unsaved edits. {LATER} (or Esc) keeps them aside: "
        f"{MENU} brings them back. {DISCARD} keeps them there too, and does not remind you "
        "of them again."
    )


def untitled_question(title: str, effect: Effect, names: bool = False) -> str:
    """The question for a scan opened again whose untitled work was autosaved."""
    return (
        f"Unsaved annotations of {title} from a previous session were found: "
        f"{unsaved_words(effect, 0, names)}. Recover them?"
    )


def untitled_answers() -> str:
    return (
        f"{RECOVER} puts them back as unsaved edits. {LATER} (or Esc) keeps them: they are "
        f"offered again the next time this scan is opened. {DISCARD} deletes them for "
        "good (it asks first)."
    )


def discard_untitled_question(title: str, effect: Effect, names: bool = False) -> str:
    return (
        f"Delete the unsaved annotations of {title} for good "
        f"({unsaved_words(effect, 0, names)})? Nothing keeps a copy of them."
    )


def recovered_status(effect: Effect | None, edits: int, names: bool = False) -> str:
    return (
        f"Recovered unsaved edits: {unsaved_words(effect, edits, names)}. Not saved yet: "
        "File > Save keeps them."
    )


def later_status(effect: Effect | None, edits: int, names: bool = False) -> str:
    return (
        f"Unsaved edits kept for later ({unsaved_words(effect, edits, names)}): {MENU} "
        "brings them back."
    )


def discarded_status(effect: Effect | None, edits: int, names: bool = False) -> str:
    return (
        f"Discarded the unsaved edits ({unsaved_words(effect, edits, names)}). Changed your "
        f"mind? {MENU} still has them."
    )


def untitled_later_status(title: str) -> str:
    return (
        f"Unsaved annotations of {title} kept for later: they are offered again the next "
        "time this scan is opened."
    )


def untitled_discarded_status(title: str) -> str:
    return f"Discarded the unsaved annotations of {title}."
