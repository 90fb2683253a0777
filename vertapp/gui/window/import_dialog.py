"""File > Import labelled CT…: which CT, which label map, what its ids mean, and a name.

The dialog only gathers a `CaseSpec`; the import itself runs in the window's job runner
(`import_controller.py`), so the dialog never sees the window or the project. The CT
and the labels may each be a file or a folder (a DICOM series, TotalSegmentator's
segmentations/), so each has a File… and a Folder… button: a Qt dialog picks one or the
other. Dialogs start where the user last chose a scan (`last_folder.py`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QWidget,
)

from vertapp.ctimport import CaseSpec
from vertapp.gui.widgets.browse_row import browse_buttons
from vertapp.gui.window.last_folder import SCANS, last_folder, remember_choice

VOCABULARIES = {
    "verse": "VerSe (20-24 = L1-L5)",
    "totalseg": "TotalSegmentator v2 (27-31 = L5-L1)",
    "totalseg_v1": "TotalSegmentator v1 (18-22 = L5-L1)",
    "table": "My own table (JSON or CSV file)",
}
VOLUMES = "Volumes (*.nii *.nii.gz *.mha *.mhd *.nrrd *.dcm);;All files (*)"
TABLES = "Label tables (*.json *.csv);;All files (*)"
MIN_WIDTH = 760  # room for a real path of ~90 characters (it was 336 px: every path was cut)
NAME_TIP = (
    "The image's name in the project, its file names and exports. Empty: from the CT's "
    "file name; a DICOM folder, or a file named just ct.nii.gz in a folder that may be "
    "named after the patient, gets a neutral name (ct-1a2b3c4d)."
)
# While View > Hide names and paths is on, an empty Name gives no word of the CT's name
HIDDEN_PLACEHOLDER = "a neutral name (ct-1a2b3c4d5e6f): names are hidden"
HIDDEN_NAME_TIP = (
    "The image's name in the project, its file names and exports. Empty: a neutral name "
    "(ct-1a2b3c4d5e6f, as File > Open names the CT) while View > Hide names and paths is "
    "on, since a CT's file name is often the patient's."
)


class ImportCTDialog(QDialog):
    def __init__(
        self, parent: QWidget | None, start: Path | None = None, *, names_hidden: bool = False
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import labelled CT")
        self.setMinimumWidth(MIN_WIDTH)
        self._start = str(start) if start is not None else ""  # else: the last scan folder
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
        self.name = QLineEdit()
        self.name.setPlaceholderText(
            HIDDEN_PLACEHOLDER if names_hidden else "from the CT's file name"
        )
        self.name.setToolTip(HIDDEN_NAME_TIP if names_hidden else NAME_TIP)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("CT", self._row(self.ct, "A CT volume file", "A DICOM folder (one series)"))
        form.addRow(
            "Labels",
            self._row(self.labels, "A label volume or a DICOM SEG", "TotalSegmentator's folder"),
        )
        form.addRow("Label ids", self.vocabulary)
        table_tip = ("A JSON or CSV table of label ids", lambda: self._file(self.table, TABLES))
        form.addRow("Table", browse_buttons(self.table, {"File…": table_tip}))
        form.addRow("Name", self.name)
        form.addRow(buttons)

    def _row(self, edit: QLineEdit, file_tip: str, folder_tip: str) -> QHBoxLayout:
        return browse_buttons(
            edit,
            {
                "File…": (file_tip, lambda: self._file(edit, VOLUMES)),
                "Folder…": (folder_tip, lambda: self._folder(edit)),
            },
        )

    def _file(self, edit: QLineEdit, pattern: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file", self._from(), pattern)
        self._chosen(edit, path)

    def _folder(self, edit: QLineEdit) -> None:
        self._chosen(edit, QFileDialog.getExistingDirectory(self, "Choose a folder", self._from()))

    def _from(self) -> str:
        return self._start or last_folder(SCANS)

    def _chosen(self, edit: QLineEdit, path: str) -> None:
        if path:
            edit.setText(path)
            remember_choice(SCANS, path)
            self._start = ""  # the next one starts beside this choice

    def spec(self) -> CaseSpec:
        """What was chosen; the core checks the files and says what is wrong in words."""
        vocabulary = str(self.vocabulary.currentData())
        table = self.table.text().strip()
        return CaseSpec(
            ct=Path(self.ct.text().strip()),
            labels=Path(self.labels.text().strip()),
            vocabulary=vocabulary,
            table=Path(table) if vocabulary == "table" and table else None,
            name=self.name.text().strip() or None,
        )
