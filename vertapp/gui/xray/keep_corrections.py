"""The question the pair view asks before hand corrections are lost.

A pair's hand corrections live only in its window until they are exported (there is no
project file behind it), and closing the window, aligning again or swapping low and high
dose drops them. Before any of these, the window asks: export them first, go on without
them, or cancel. The words are here; when to ask is the window's (`pair_window`).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QMessageBox, QWidget

Answer = QMessageBox.StandardButton
EXPORT, DISCARD, CANCEL = Answer.Save, Answer.Discard, Answer.Cancel


@dataclass(frozen=True)
class Question:
    title: str
    text: str
    discard: str  # the label of the button that goes on without the corrections


def named(levels: list[str]) -> str:
    """The vertebrae as a sentence names them: "L1", "L1 and L2", "T12, L1 and L2"."""
    if len(levels) < 2:
        return "".join(levels)
    return f"{', '.join(levels[:-1])} and {levels[-1]}"


def closing(levels: list[str]) -> Question:
    return Question(
        "Hand corrections not exported",
        f"You corrected {named(levels)} by hand and have not exported the result since. "
        "Closing this window loses these corrections.\n\nExport them first?",
        "Close without exporting",
    )


# Steps that align the pair anew: title, what the step does, its go-on button.
ALIGN_AGAIN = (
    "Align again?",
    "Aligning again starts over from the automatic alignment",
    "Align again without them",
)
SWAP = (
    "Swap low and high dose?",
    "Swapping aligns the pair again the other way round",
    "Swap without them",
)


def aligning_again(levels: list[str]) -> Question:
    return _redo(ALIGN_AGAIN, levels)


def swapping(levels: list[str]) -> Question:
    return _redo(SWAP, levels)


def _redo(step: tuple[str, str, str], levels: list[str]) -> Question:
    """A step that aligns the pair anew, dropping the hand corrections of `levels`."""
    title, what, discard = step
    lost = f"your hand corrections of {named(levels)} (not exported) are lost and cannot be undone"
    return Question(title, f"{what}: {lost}.\n\nExport them first?", discard)


def ask_box(parent: QWidget, question: Question) -> Answer:
    """A modal box: Export… (the default, so Enter loses nothing), discard, Cancel (Esc)."""
    box = QMessageBox(
        QMessageBox.Icon.Question, question.title, question.text, EXPORT | DISCARD | CANCEL, parent
    )
    box.button(EXPORT).setText("Export…")
    box.button(DISCARD).setText(question.discard)
    box.setDefaultButton(EXPORT)
    box.setEscapeButton(CANCEL)
    box.exec()
    clicked = box.clickedButton()
    return box.standardButton(clicked) if clicked is not None else CANCEL
