"""File > Export 3D labels…: where to write and what (NIfTI always; centroids, DICOM SEG).

The files get a neutral name the user may change (never the scan's file name, which may
name the patient); the DICOM SEG blanks the patient's identifiers unless the user ticks
the box (a PACS needs them to file the SEG with the patient). A SEG is offered only for a
CT read from DICOM: it must reference the source series.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from vertapp.gui.widgets.browse_row import browse_row
from vertapp.gui.window.labels3d_jobs import NIFTI_NAME, ExportChoice
from vertapp.gui.window.last_folder import EXPORTS, last_folder


class Export3DDialog(QDialog):
    def __init__(self, parent: QWidget | None, folder: Path | None, dicom: bool) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export 3D labels")
        # the project's folder, else where the last export went (never the working folder)
        self.folder = QLineEdit(str(folder or last_folder(EXPORTS)))
        self.stem = QLineEdit(NIFTI_NAME)
        self.stem.setToolTip("File name without extension: NAME.nii.gz, NAME_centroids.json…")
        self.centroids = QCheckBox("VerSe centroids (JSON)")
        self.centroids.setChecked(True)
        self.seg = QCheckBox("DICOM SEG referencing the source series")
        self.seg.setEnabled(dicom)
        self.seg.setChecked(dicom)
        if not dicom:
            self.seg.setToolTip("Only for a CT opened from a DICOM folder")
        self.keep_ids = QCheckBox("Keep the patient's name, ID and birth date in the SEG")
        self.keep_ids.setEnabled(dicom)
        self.seg.toggled.connect(self.keep_ids.setEnabled)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Folder", browse_row(self.folder, self._browse))
        form.addRow("File name", self.stem)
        form.addRow("NIfTI", QLabel("VerSe ids on the CT's own grid (always written)"))
        form.addRow("", self.centroids)
        form.addRow("", self.seg)
        form.addRow("", self.keep_ids)
        form.addRow(buttons)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export 3D labels into", self.folder.text())
        if path:
            self.folder.setText(path)

    def choice(self) -> ExportChoice:
        stem = self.stem.text().strip() or NIFTI_NAME
        for ext in (".nii.gz", ".nii"):
            stem = stem.removesuffix(ext)
        return ExportChoice(
            folder=Path(self.folder.text().strip() or "."),
            stem=stem,
            centroids=self.centroids.isChecked(),
            seg=self.seg.isChecked() and self.seg.isEnabled(),
            keep_identifiers=self.keep_ids.isChecked() and self.seg.isChecked(),
        )
