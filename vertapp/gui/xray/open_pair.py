"""File > Open low-/high-dose pair…: choose the two images and where their vertebrae come
from (a COCO file each, or the radiograph model), then open the pair view and align.

The dialog checks which image is the low dose against what their files say (dose tags,
exposure, "low"/"high" in the names: `vertapp.xray.pair_roles`) and says it under the
images, with a Swap that exchanges the images and their COCO files (offered once both
images are chosen); a wrong order is put right before anything is aligned. Each kind of
file starts its dialog where that kind was last chosen (`pair_home.Folders`).
"""

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
    QPushButton,
    QWidget,
)

from vertapp.gui.document.document import Document
from vertapp.gui.widgets.browse_row import browse_row
from vertapp.gui.xray.pair_home import (
    IMAGES,
    MODELS,
    ZOI_FILES,
    Folders,
    NoMemory,
    PairHome,
    home_of,
)
from vertapp.gui.xray.pair_sides import RolesLine, Sides, beside, grow_to_fit
from vertapp.gui.xray.pair_window import PairWindow
from vertapp.jobs import Job
from vertapp.xray.pair import PairState
from vertapp.xray.pair_files import PairPaths, load_and_align_job
from vertapp.xray.pair_roles import DoseClue, clue_of, verdict

IMAGE_FILES = "Radiographs (*.dcm *.png *.jpg *.jpeg *.tif *.tiff);;All files (*)"
FIELDS = (  # attribute, label, filter, the kind of folder its dialog starts in
    ("low", "Low-dose image", IMAGE_FILES, IMAGES),
    ("high", "High-dose image", IMAGE_FILES, IMAGES),
    ("low_zois", "Low-dose vertebrae (COCO)", "COCO (*.json)", ZOI_FILES),
    ("high_zois", "High-dose vertebrae (COCO)", "COCO (*.json)", ZOI_FILES),
    ("model", "…or a radiograph model", "Model (*.pt)", MODELS),
)
SWAPPED = (("low", "high"), ("low_zois", "high_zois"))
SWAP_TIP = "Exchange the two images and their COCO files"
SWAP_WAITS = "Choose both images first: Swap exchanges them and their COCO files"


class OpenPairDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, folders: Folders | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open low-/high-dose pair")
        self.folders = folders or NoMemory()
        self.edits: dict[str, QLineEdit] = {}
        form = QFormLayout(self)
        intro = QLabel(
            "Vertebrae come from a COCO file per image (annotations or a prediction), "
            "or the model finds them on both."
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        for name, label, pattern, kind in FIELDS:
            edit = self.edits[name] = QLineEdit()
            form.addRow(label, browse_row(edit, partial(self._browse, edit, pattern, kind)))
            if name == "high":
                form.addRow(self._roles_row())
        for name in ("low", "high"):
            self.edits[name].textChanged.connect(lambda _text: self.check_roles())
            self.edits[name].textChanged.connect(lambda _text: self._follow_swap())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.setMinimumWidth(640)  # paths stay readable; fits a 1280 px screen
        self.check_roles()
        self._follow_swap()

    def _roles_row(self) -> QWidget:
        """Which image is the low dose, as their files say, and Swap."""
        self.roles = RolesLine()
        self.swap_button = QPushButton("Swap low ↔ high")
        self.swap_button.clicked.connect(lambda _checked=False: self.swap())
        return beside(self.roles, self.swap_button)

    def _browse(self, edit: QLineEdit, pattern: str, kind: str) -> None:
        start = edit.text() or self.folders.last_folder(kind)
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file", start, pattern)
        if path:
            self.folders.remember_choice(kind, path)
            edit.setText(path)

    def _follow_swap(self) -> None:
        """Swap is offered once both images are chosen; until then its tip says why not."""
        both = self._path("low") is not None and self._path("high") is not None
        self.swap_button.setEnabled(both)
        self.swap_button.setToolTip(SWAP_TIP if both else SWAP_WAITS)

    def swap(self) -> None:
        """The low-dose image (and its COCO file) becomes the high-dose one, and back."""
        for a, b in SWAPPED:
            first, second = self.edits[a], self.edits[b]
            text = first.text()
            first.setText(second.text())
            second.setText(text)

    def clues(self) -> tuple[DoseClue, DoseClue] | None:
        """What the two chosen files say of their dose; None until both are files."""
        low, high = self._path("low"), self._path("high")
        if low is None or high is None or not low.is_file() or not high.is_file():
            return None
        return clue_of(low), clue_of(high)

    def check_roles(self) -> None:
        clues = self.clues()
        self.roles.show_verdict(verdict(*clues) if clues is not None else None)
        grow_to_fit(self)

    def _path(self, name: str) -> Path | None:
        text = self.edits[name].text().strip()
        return Path(text) if text else None

    def paths(self) -> PairPaths:
        get = self._path
        low, high = get("low"), get("high")
        return PairPaths(
            low or Path(), high or Path(), get("low_zois"), get("high_zois"), get("model")
        )


def open_pair(
    parent: QWidget, doc: Document | None = None, folders: Folders | None = None
) -> PairWindow | None:
    """Ask for the pair, then show its view (a window of its own) and align it. `doc`: the
    main window's document (its project's read-only is kept); `folders`: its last folders."""
    dialog = OpenPairDialog(parent, folders)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    paths = dialog.paths()
    other = PairPaths(paths.high, paths.low, paths.high_zois, paths.low_zois, paths.model)
    low, high = dialog.clues() or (DoseClue(), DoseClue())
    sides = Sides(lambda: load_and_align_job(other), low, high)
    home = home_of(doc, folders)
    return show_pair(lambda: load_and_align_job(paths), parent, sides, home)


def show_pair(
    factory: Callable[[], Job[PairState]],
    parent: QWidget,
    sides: Sides | None = None,
    home: PairHome | None = None,
) -> PairWindow:
    """The pair view (a window of its own), aligning the pair `factory` reads in its worker."""
    win = PairWindow(factory, parent, sides, home)
    win.show()
    win.start()
    return win
