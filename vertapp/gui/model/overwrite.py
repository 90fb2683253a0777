"""Before a training run replaces a model file: ask, or pick a free name."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget


def free_model_path(path: Path) -> Path:
    """`model_2.pt`, `model_3.pt`... next to `path`, the first that does not exist."""
    k = 2
    while True:
        candidate = path.with_name(f"{path.stem}_{k}{path.suffix}")
        if not candidate.exists():
            return candidate
        k += 1


def ask_overwrite(parent: QWidget, path: Path) -> str:
    """'replace', 'new' or 'cancel' for an existing model file."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Model file exists",
        f"{path.name} already holds a trained model. Replace it, or save this run as "
        f"{free_model_path(path).name}?",
        parent=parent,
    )
    new = box.addButton(f"Save as {free_model_path(path).name}", QMessageBox.ButtonRole.AcceptRole)
    replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(new)
    box.exec()
    return {id(new): "new", id(replace): "replace"}.get(id(box.clickedButton()), "cancel")
