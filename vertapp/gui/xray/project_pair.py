"""File > Pair two radiographs of the project…: the annotations of two radiographs of the
open project become their ZOIs (the `--zois-low` / `--zois-high` of `vertapp xray align`),
and the pair view aligns them in its worker (`open_pair.show_pair`).

The two images selected in the project list are proposed as low- and high-dose (in list
order); a dialog lets the user confirm or swap them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from vertapp.gui.document.document import Document
from vertapp.gui.document.raw_pixels import stored_path
from vertapp.gui.xray.open_pair import show_pair
from vertapp.gui.xray.pair_window import PairWindow
from vertapp.xray.project_pair import ImageOutlines, outlines_of, project_pair_job

Choice = tuple[int, str]  # image id, what the list calls it


class ProjectPairDialog(QDialog):
    def __init__(
        self, choices: list[Choice], low: int, high: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pair two radiographs")
        self.ids = [image_id for image_id, _ in choices]
        self.low, self.high = QComboBox(), QComboBox()
        for box, chosen in ((self.low, low), (self.high, high)):
            box.addItems([text for _, text in choices])
            box.setCurrentIndex(self.ids.index(chosen))
        swap = QPushButton("Swap")
        swap.clicked.connect(self.swap)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel("Their outlines, each naming its vertebra, are the vertebrae to align."))
        form.addRow("Low-dose image", self.low)
        form.addRow("High-dose image", self.high)
        form.addRow(swap)
        form.addRow(buttons)

    def swap(self) -> None:
        a, b = self.low.currentIndex(), self.high.currentIndex()
        self.low.setCurrentIndex(b)
        self.high.setCurrentIndex(a)

    def chosen(self) -> tuple[int, int]:
        return self.ids[self.low.currentIndex()], self.ids[self.high.currentIndex()]


def radiographs(doc: Document) -> list[Choice]:
    """The project's radiographs, named as the project list names them."""
    out = []
    for row, image_id in enumerate(doc.image_ids, start=1):
        rec = doc.project.images[image_id]
        if rec.kind == "radiograph":
            name = rec.file_name.rsplit("/", 1)[-1]
            out.append((image_id, f"{row}: {name} ({len(rec.instances)} outlines)"))
    return out


def pair_from_project(
    doc: Document, selected_rows: list[int], parent: QWidget, say: Callable[[str], None]
) -> PairWindow | None:
    """Ask which two radiographs (the selected ones proposed), then open the pair view."""
    choices = radiographs(doc)
    if len(choices) < 2:
        say(
            "The project holds fewer than two radiographs: open or import a low- and a high-dose one"
        )
        return None
    ids = [i for i, _ in choices]
    picked = [doc.image_ids[r] for r in selected_rows if doc.image_ids[r] in ids]
    low, high = (picked + [i for i in ids if i not in picked])[:2]
    dialog = ProjectPairDialog(choices, low, high, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    low, high = dialog.chosen()
    if low == high:
        say("Choose two different radiographs: one low-dose, one high-dose")
        return None
    images = (_outlines(doc, low), _outlines(doc, high))
    return show_pair(lambda: project_pair_job(*images), parent)


def _outlines(doc: Document, image_id: int) -> ImageOutlines:
    """The image's outlines now (edits made later are not in this pair), and its values:
    in memory until the project is saved, else read by the worker."""
    pixels = doc.raw.unsaved.get(image_id)
    path = None if pixels is not None else stored_path(doc.project, doc.project.images[image_id])
    return outlines_of(doc.project, image_id, path, pixels)
