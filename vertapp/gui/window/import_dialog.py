"""File > Import labelled CT…: which CT, which label map, and what its ids mean.

The dialog only gathers a `CaseSpec`; the import itself runs in the window's job runner
(`import_controller.py`), so the dialog never sees the window or the project.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QWidget,
)

from vertapp.ctimport import CaseSpec
from vertapp.gui.widgets.browse_row import browse_row

VOCABULARIES = {
    "verse": "VerSe (20-24 = L1-L5)",
    "totalseg": "TotalSegmentator v2 (27-31 = L5-L1)",
    "totalseg_v1": "TotalSegmentator v1 (18-22 = L5-L1)",
    "table": "My own table (JSON or CSV file)",
}
VOLUMES = "Volumes (*.nii *.nii.gz *.mha *.mhd *.nrrd *.dcm);;All files (*)"


class ImportCTDialog(QDialog):
    def __init__(self, parent: QWidget | None, start: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import labelled CT")
        self._start = str(start or Path.home())
        self.ct = QLineEdit()
        self.ct.setToolTip("A CT file, or a DICOM folder")
        self.labels = QLineEdit()
        self.labels.setToolTip("A label volume, a TotalSegmentator folder or a DICOM SEG")
        self.vocabulary = QComboBox()
        for key, text in VOCABULARIES.items():
            self.vocabulary.addItem(text, key)
        self.table = QLineEdit()
        self.table.setEnabled(False)
        self.vocabulary.currentIndexChanged.connect(
            lambda _i: self.table.setEnabled(self.vocabulary.currentData() == "table")
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("CT", browse_row(self.ct, lambda: self._browse(self.ct, "CT")))
        form.addRow("Labels", browse_row(self.labels, lambda: self._browse(self.labels, "Labels")))
        form.addRow("Label ids", self.vocabulary)
        form.addRow("Table", browse_row(self.table, lambda: self._browse(self.table, "Table")))
        form.addRow(buttons)

    def _browse(self, edit: QLineEdit, what: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"{what} file", self._start, VOLUMES)
        if path:
            edit.setText(path)

    def spec(self) -> CaseSpec:
        """What was chosen; the core checks the files and says what is wrong in words."""
        vocabulary = str(self.vocabulary.currentData())
        table = self.table.text().strip()
        return CaseSpec(
            ct=Path(self.ct.text().strip()),
            labels=Path(self.labels.text().strip()),
            vocabulary=vocabulary,
            table=Path(table) if vocabulary == "table" and table else None,
        )
