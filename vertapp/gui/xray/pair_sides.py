"""Which image of a pair is the low dose: said where the pair is chosen and over its view,
with a Swap beside it.

The two ways round align differently (the fused image takes the high dose's grey values),
and a wrong guess was neither shown nor correctable. What decides is the core's
(`vertapp.xray.pair_roles`: dose tags, exposure, "low"/"high" in the names); here it is
shown: plain when the clues agree with the chosen order, marked for a check when nothing
tells, as a warning when they say the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QWidget,
)

from vertapp.jobs import Job
from vertapp.xray.pair import PairState
from vertapp.xray.pair_roles import DoseClue, Verdict, verdict

STYLES = {  # agrees -> the frame's look (as the main window's warning bar for a warning)
    True: "",
    None: "QFrame#pair_roles { background: #e8f1fb; border: 1px solid #7aa7d6; }",
    False: "QFrame#pair_roles { background: #fff3cd; border: 1px solid #d39e00; }",
}
MARKS = {True: "", None: "", False: "⚠ "}


@dataclass(frozen=True)
class Sides:
    """A pair's other way round: the job aligning it so, and each image's dose clues as
    it is now (low, high)."""

    other_way: Callable[[], Job[PairState]]
    low: DoseClue
    high: DoseClue

    def verdict(self) -> Verdict:
        return verdict(self.low, self.high)

    def swapped(self, this_way: Callable[[], Job[PairState]]) -> Sides:
        """The sides once the pair is aligned the other way (`this_way`: the job now)."""
        return Sides(this_way, self.high, self.low)


class RolesLine(QFrame):
    """The verdict in a line of its own (word-wrapped), and optionally a Swap button."""

    def __init__(self, swap: QAction | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pair_roles")
        self.label = QLabel()
        self.label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 2, 2)
        layout.addWidget(self.label, 1)
        self.swap_button = QToolButton()
        if swap is not None:
            self.swap_button.setDefaultAction(swap)
            layout.addWidget(self.swap_button)
        self.agrees: bool | None = None

    def show_verdict(self, found: Verdict | None) -> None:
        """`found` None: nothing to say (no images chosen, or no clues known): hidden."""
        self.setVisible(found is not None)
        if found is None:
            return
        self.agrees = found.agrees
        self.setStyleSheet(STYLES[found.agrees])
        self.label.setText(MARKS[found.agrees] + found.text)


def beside(roles: RolesLine, swap: QPushButton) -> QWidget:
    """The verdict and a dialog's Swap button in one row: a widget, as a form's row grows
    with a wrapped line only then. The button keeps its own size at the right end: with
    the verdict hidden (nothing chosen yet) it filled the whole row."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(roles, 1)
    layout.addWidget(swap, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)
    return row


def grow_to_fit(dialog: QDialog) -> None:
    """Make a shown dialog tall enough for its rows as they wrap now: a verdict that came
    (or grew to two lines) once the dialog was shown was cut to the one line it had room
    for, as a window does not grow for a word-wrapped line by itself. Never shrunk: the
    user may have made it taller."""
    layout = dialog.layout()
    if layout is None or not dialog.isVisible():
        return
    # the rows' new heights reach the dialog's layout through posted layout requests
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    needed = layout.totalHeightForWidth(dialog.width())
    if needed > dialog.height():
        dialog.resize(dialog.width(), needed)
