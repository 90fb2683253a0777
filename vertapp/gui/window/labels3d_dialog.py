"""File > Export 3D labels…: where to write and what (NIfTI always; centroids, DICOM SEG).

The files get a neutral name the user may change (never the scan's file name, which may
name the patient); the DICOM SEG blanks the patient's identifiers unless the user ticks
the box (a PACS needs them to file the SEG with the patient). A SEG is offered only for a
CT read from DICOM: it must reference the source series.

A project image's CT is the project's LPS copy, and the project does not know where the
original lies (its path may name the patient), so the dialog says so and offers an
"Original CT" field: what the user chooses there is only read, to export on its grid
and reference its series in a SEG, as `vertapp backproject` does.

While View > Hide names and paths is on, the Folder field shows "…" for the folder (the
project's folder is often named after the patient), as the Train dialog shows
"…/model.pt" (`vertapp.review.hidden_paths`); what is typed there is read against the real
folder, which the export writes into. The Original CT field shows "…" for the CT picked
(a DICOM folder is often named after the patient), and the export reads the real one.
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

from vertapp.gui.widgets.browse_row import browse_buttons, browse_row
from vertapp.gui.window.labels3d_jobs import COPY_NAME, NIFTI_NAME, CtSource, ExportChoice
from vertapp.gui.window.last_folder import EXPORTS, SCANS, last_folder, remember_choice
from vertapp.review.hidden_paths import shown_chosen, shown_folder, typed_chosen, typed_folder

HIDDEN_FOLDER_TIP = (
    "The folder is not shown while View > Hide names and paths is on (its path may name "
    "the patient): … stands for it. Type …/NAME for a folder inside it, or a full path."
)
COPY_NOTE = (
    "This image's CT is the project's copy (volumes/, turned to LPS). Where the original "
    "CT lies is not recorded (its path may name the patient): choose it below to export "
    "on its grid and for a DICOM SEG. It is only read."
)


def folder_words(project: bool) -> str:
    """Under the Folder field while names are hidden: what "…" is."""
    where = "this project's folder" if project else "the folder of the last export"
    return f"… is {where} (not shown: names are hidden)"


def grid_words(source: CtSource, original: bool) -> str:
    """The NIfTI row: on which grid the label map is written."""
    if not source.copy:
        return "VerSe ids on the CT's own grid (always written)"
    if original:
        return "VerSe ids on the grid of the original CT chosen below (always written)"
    if source.orientation:
        return (
            f"VerSe ids on the original CT's grid (stored {source.orientation}), from the "
            "project's copy (always written)"
        )
    return (
        "VerSe ids on the grid of the project's LPS copy of the CT: the project does not "
        "record how the original was stored (always written)"
    )


def seg_tip(source: CtSource, original: bool) -> str:
    """Why the SEG box is off, '' when it is on."""
    if not source.copy:
        return "" if source.dicom else "Only for a CT opened from a DICOM folder"
    if source.original_dicom is False:
        return "This image's CT was imported from a file, not a DICOM series"
    return "" if original else "A SEG must reference the original DICOM series: choose it above"


class Export3DDialog(QDialog):
    def __init__(
        self,
        parent: QWidget | None,
        folder: Path | None,
        dicom: bool,
        source: CtSource | None = None,
        *,
        names_hidden: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export 3D labels")
        self.source = source or CtSource(dicom=dicom)
        # the project's folder, else where the last export went (never the working folder)
        self._folder = Path(folder or last_folder(EXPORTS))
        self._names_hidden = names_hidden
        self.folder = QLineEdit(shown_folder(self._folder, names_hidden))
        # which folder "…" stands for: an untitled CT has no project folder
        self.folder_note = QLabel(folder_words(folder is not None))
        self.folder_note.setVisible(names_hidden)
        if names_hidden:
            self.folder.setToolTip(HIDDEN_FOLDER_TIP)
        self.stem = QLineEdit(NIFTI_NAME)
        self.stem.setToolTip("File name without extension: NAME.nii.gz, NAME_centroids.json…")
        self.grid = QLabel()
        self.grid.setWordWrap(True)
        self.original = QLineEdit()
        self.original.setPlaceholderText("not chosen: the project's copy is used")
        self._original = ""  # the CT picked (the field shows "…" for it while names are hidden)
        self.centroids = QCheckBox("VerSe centroids (JSON)")
        self.centroids.setChecked(True)
        self.seg = QCheckBox("DICOM SEG referencing the source series")
        self.seg.setEnabled(False)  # `_update` offers it (ticked) where a series is known
        self.keep_ids = QCheckBox("Keep the patient's name, ID and birth date in the SEG")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Folder", browse_row(self.folder, self._browse))
        form.addRow("", self.folder_note)
        form.addRow("File name", self.stem)
        if self.source.copy:
            self._add_original_rows(form)
        form.addRow("NIfTI", self.grid)
        form.addRow("", self.centroids)
        form.addRow("", self.seg)
        form.addRow("", self.keep_ids)
        form.addRow(buttons)
        self.original.textChanged.connect(lambda _t: self._update())
        self.seg.toggled.connect(lambda _on: self._update())
        self._update()
        # as tall as the rows need at this width: the dialog took the wrapped paragraphs'
        # height at their own narrow width, a gap of empty lines around the note
        width = max(self.minimumWidth(), self.sizeHint().width())
        self.resize(width, form.totalHeightForWidth(width))

    def _add_original_rows(self, form: QFormLayout) -> None:
        self.setMinimumWidth(560)  # room for a path beside File… and Folder…
        note = QLabel(COPY_NOTE)
        note.setWordWrap(True)
        # across both columns: beside an empty label its row kept the note's height for
        # a 240 px width (six lines), three empty lines around it
        form.addRow(note)
        tips = {
            "File…": ("The original CT file (NIfTI, MHA, NRRD, DICOM)", self._browse_file),
            "Folder…": ("The original DICOM series' folder", self._browse_series),
        }
        form.addRow("Original CT", browse_buttons(self.original, tips))

    def _has_original(self) -> bool:
        return self.source.copy and bool(self._original_path())

    def _original_path(self) -> str:
        return typed_chosen(self.original.text(), self._original, self._names_hidden)

    def _update(self) -> None:
        """Words, SEG boxes and the default name follow the original CT field."""
        original = self._has_original()
        self.grid.setText(grid_words(self.source, original))
        tip = seg_tip(self.source, original)
        if self.seg.isEnabled() != (not tip):
            self.seg.setEnabled(not tip)
            self.seg.setChecked(not tip)  # offered: ticked, as for a DICOM CT
        self.seg.setToolTip(tip)
        self.keep_ids.setEnabled(self.seg.isEnabled() and self.seg.isChecked())
        # a label map on the copy's grid is named so: it does not fit the original scan
        on_copy = self.source.on_copy_grid and not original
        if self.stem.text().strip() in (NIFTI_NAME, COPY_NAME):
            self.stem.setText(COPY_NAME if on_copy else NIFTI_NAME)

    def _chosen_folder(self) -> Path:
        return typed_folder(self.folder.text(), self._folder, self._names_hidden)

    def _browse(self) -> None:
        start = str(self._chosen_folder())
        path = QFileDialog.getExistingDirectory(self, "Export 3D labels into", start)
        if path:
            self._folder = Path(path)
            self.folder.setText(shown_folder(self._folder, self._names_hidden))
            self.folder_note.setText("… is the folder chosen (not shown: names are hidden)")

    def _browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Original CT", last_folder(SCANS))
        self._set_original(path)

    def _browse_series(self) -> None:
        self._set_original(
            QFileDialog.getExistingDirectory(self, "Original CT", last_folder(SCANS))
        )

    def _set_original(self, path: str) -> None:
        if path:
            remember_choice(SCANS, path)  # its folder, never the series' own name
            self._original = path
            self.original.setText(shown_chosen(path, self._names_hidden, keep_name=False))
            if self._names_hidden:
                self.original.setToolTip("The CT picked (not shown while names are hidden)")

    def choice(self) -> ExportChoice:
        stem = self.stem.text().strip() or NIFTI_NAME
        for ext in (".nii.gz", ".nii"):
            stem = stem.removesuffix(ext)
        return ExportChoice(
            folder=self._chosen_folder(),
            stem=stem,
            centroids=self.centroids.isChecked(),
            seg=self.seg.isChecked() and self.seg.isEnabled(),
            keep_identifiers=self.keep_ids.isChecked() and self.keep_ids.isEnabled(),
            original=Path(self._original_path()) if self._has_original() else None,
        )
