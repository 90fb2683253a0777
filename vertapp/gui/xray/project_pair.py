"""File > Pair two radiographs of the project…: the annotations of two radiographs of the
open project become their ZOIs (the `--zois-low` / `--zois-high` of `vertapp xray align`),
and the pair view aligns them in its worker (`open_pair.show_pair`).

The two images selected in the project list are proposed as low- and high-dose: the one
whose name says "low" (or not "high") as the low dose (`vertapp.xray.pair_roles`), else in
list order. The dialog says what decided, or that nothing did, and the user confirms or
swaps them before anything is aligned; the pair view can still swap them later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)

from vertapp.gui.document.document import Document
from vertapp.gui.document.raw_pixels import stored_path
from vertapp.gui.xray.open_pair import show_pair
from vertapp.gui.xray.pair_home import Folders, home_of
from vertapp.gui.xray.pair_sides import RolesLine, Sides, beside, grow_to_fit
from vertapp.gui.xray.pair_window import PairWindow
from vertapp.xray.pair_roles import DoseClue, decide, name_word, verdict
from vertapp.xray.pair_sizes import size_refusal
from vertapp.xray.project_pair import ImageOutlines, outlines_of, project_pair_job


@dataclass(frozen=True)
class Choice:
    image_id: int
    text: str  # what the list calls it
    clue: DoseClue  # what its name says of its dose (a project keeps no dose tags)


class ProjectPairDialog(QDialog):
    def __init__(
        self, choices: list[Choice], low: int, high: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pair two radiographs")
        self.choices = choices
        self.ids = [c.image_id for c in choices]
        self.low, self.high = QComboBox(), QComboBox()
        for box, chosen in ((self.low, low), (self.high, high)):
            box.addItems([c.text for c in choices])
            box.setCurrentIndex(self.ids.index(chosen))
            box.currentIndexChanged.connect(lambda _i: self.check_roles())
        self.swap_button = QPushButton("Swap low ↔ high")
        self.swap_button.clicked.connect(lambda _checked=False: self.swap())
        self.roles = RolesLine()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel("Their outlines, each naming its vertebra, are the vertebrae to align."))
        form.addRow("Low-dose image", self.low)
        form.addRow("High-dose image", self.high)
        form.addRow(beside(self.roles, self.swap_button))
        form.addRow(buttons)
        self.setMinimumWidth(560)  # the verdict reads in two or three lines
        self.check_roles()

    def swap(self) -> None:
        a, b = self.low.currentIndex(), self.high.currentIndex()
        self.low.setCurrentIndex(b)
        self.high.setCurrentIndex(a)

    def chosen(self) -> tuple[int, int]:
        return self.ids[self.low.currentIndex()], self.ids[self.high.currentIndex()]

    def clues(self) -> tuple[DoseClue, DoseClue]:
        low, high = self.low.currentIndex(), self.high.currentIndex()
        return self.choices[low].clue, self.choices[high].clue

    def check_roles(self) -> None:
        self.roles.show_verdict(verdict(*self.clues()))
        grow_to_fit(self)


def radiographs(doc: Document) -> list[Choice]:
    """The project's radiographs, named as the project list names them."""
    out = []
    for row, image_id in enumerate(doc.image_ids, start=1):
        rec = doc.project.images[image_id]
        if rec.kind == "radiograph":
            name = rec.file_name.rsplit("/", 1)[-1]
            text = f"{row}: {name} ({len(rec.instances)} outlines)"
            out.append(Choice(image_id, text, DoseClue(name_word(name))))
    return out


def proposed(choices: list[Choice], picked: list[int]) -> tuple[int, int]:
    """(low, high) image ids: the selected ones first, then the list's, the way round
    their names tell (list order when they do not)."""
    ids = [c.image_id for c in choices]
    first, second = (picked + [i for i in ids if i not in picked])[:2]
    clue = {c.image_id: c.clue for c in choices}
    roles = decide(clue[first], clue[second])
    return (first, second) if roles.low == 0 else (second, first)


def pair_from_project(
    doc: Document,
    selected_rows: list[int],
    parent: QWidget,
    say: Callable[[str], None],
    folders: Folders | None = None,
) -> PairWindow | None:
    """Ask which two radiographs (the selected ones proposed), then open the pair view.
    `folders`: the main window's last folders (the pair's export starts there)."""
    choices = radiographs(doc)
    if len(choices) < 2:
        say(
            "The project holds fewer than two radiographs: open or import a low- and a high-dose one"
        )
        return None
    ids = [c.image_id for c in choices]
    picked = [doc.image_ids[r] for r in selected_rows if doc.image_ids[r] in ids]
    dialog = ProjectPairDialog(choices, *proposed(choices, picked), parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    low, high = dialog.chosen()
    if low == high:
        say("Choose two different radiographs: one low-dose, one high-dose")
        return None
    lo, hi = _outlines(doc, low), _outlines(doc, high)
    refusal = size_refusal(lo, hi)
    if refusal:  # said before any window opens: three black panes said nothing
        say(refusal)
        if not parent.window().property("headless"):
            QMessageBox.warning(parent, "Cannot pair these radiographs", refusal)
        return None
    sides = Sides(lambda: project_pair_job(hi, lo), *dialog.clues())
    return show_pair(lambda: project_pair_job(lo, hi), parent, sides, home_of(doc, folders))


def _outlines(doc: Document, image_id: int) -> ImageOutlines:
    """The image's outlines now (edits made later are not in this pair), and its values:
    in memory until the project is saved, else read by the worker."""
    pixels = doc.raw.unsaved.get(image_id)
    path = None if pixels is not None else stored_path(doc.project, doc.project.images[image_id])
    return outlines_of(doc.project, image_id, path, pixels)
