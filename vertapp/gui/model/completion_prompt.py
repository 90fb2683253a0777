"""Mark image completed while predictions are still undecided: the question and its words.

"Completed" decides every prediction of the image (vertapp.review.completion), so the
reviewer chooses what becomes of those still undecided; Cancel, the default, changes
nothing (Enter pressed without reading must not accept seven vertebrae).
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from vertapp.review import completion
from vertapp.review.wording import count


def undecided_box(parent: QWidget | None, n: int) -> QMessageBox:
    """Mark completed with `n` shown predictions undecided: accept them, reject them, or
    cancel. Cancel is the default (Enter) and the Escape answer: the one that loses no
    decision when pressed without reading."""
    box = QMessageBox(
        QMessageBox.Icon.Question, "Predictions still undecided", undecided_text(n), parent=parent
    )
    box.addButton("Accept them", QMessageBox.ButtonRole.AcceptRole).setObjectName(completion.ACCEPT)
    box.addButton("Reject them", QMessageBox.ButtonRole.DestructiveRole).setObjectName(
        completion.REJECT
    )
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    return box


def undecided_text(n: int) -> str:
    verb = "is" if n == 1 else "are"
    return (
        f"{count(n, 'prediction')} of this image {verb} still undecided. Accept them or "
        "reject them to complete the image, or cancel to decide them one by one."
    )


def ask_undecided(parent: QWidget, n: int) -> str:
    """completion.ACCEPT, completion.REJECT or "cancel"."""
    box = undecided_box(parent, n)
    box.exec()
    clicked = box.clickedButton()
    return clicked.objectName() if clicked is not None and clicked.objectName() else "cancel"


def completed_words(shown: int, answer: str | None, hidden: int) -> str:
    """What Mark completed did, in one sentence."""
    done = []
    if shown:
        verb = "accepted" if answer == completion.ACCEPT else "rejected"
        done.append(f"{count(shown, 'prediction')} {verb}")
    if hidden:
        done.append(f"{count(hidden, 'prediction')} below the threshold rejected")
    return "Image completed" + (f": {', '.join(done)}." if done else ".")
