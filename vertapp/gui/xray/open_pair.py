"""File > Open low-/high-dose pair…: choose the two images and where their vertebrae come
from (a COCO file each, or the radiograph model), then open the pair view and align."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from vertapp.gui.widgets.browse_row import browse_row
from vertapp.gui.xray.pair_window import PairWindow
from vertapp.jobs import Job
from vertapp.xray.pair import PairState
from vertapp.xray.pair_files import PairPaths, load_and_align_job

IMAGES = "Radiographs (*.dcm *.png *.jpg *.jpeg *.tif *.tiff);;All files (*)"
FIELDS = (  # attribute, label, filter
    ("low", "Low-dose image", IMAGES),
    ("high", "High-dose image", IMAGES),
    ("low_zois", "Low-dose vertebrae (COCO)", "COCO (*.json)"),
    ("high_zois", "High-dose vertebrae (COCO)", "COCO (*.json)"),
    ("model", "…or a radiograph model", "Model (*.pt)"),
)


class OpenPairDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open low-/high-dose pair")
        self.edits: dict[str, QLineEdit] = {}
        form = QFormLayout(self)
        form.addRow(
            QLabel(
                "Vertebrae come from a COCO file per image (annotations or a prediction), or the model finds them on both."
            )
        )
        for name, label, pattern in FIELDS:
            edit = self.edits[name] = QLineEdit()
            form.addRow(label, browse_row(edit, partial(self._browse, edit, pattern)))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self, edit: QLineEdit, pattern: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file", edit.text(), pattern)
        if path:
            edit.setText(path)

    def paths(self) -> PairPaths:
        def get(name: str) -> Path | None:
            text = self.edits[name].text().strip()
            return Path(text) if text else None

        low, high = get("low"), get("high")
        return PairPaths(
            low or Path(), high or Path(), get("low_zois"), get("high_zois"), get("model")
        )


def open_pair(parent: QWidget) -> PairWindow | None:
    """Ask for the pair, then show its view (a window of its own) and align it."""
    dialog = OpenPairDialog(parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    paths = dialog.paths()
    return show_pair(lambda: load_and_align_job(paths), parent)


def show_pair(factory: Callable[[], Job[PairState]], parent: QWidget) -> PairWindow:
    """The pair view (a window of its own), aligning the pair `factory` reads in its worker."""
    win = PairWindow(factory, parent)
    win.show()
    win.start()
    return win
