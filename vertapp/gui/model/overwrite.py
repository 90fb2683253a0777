"""Before a training run replaces a model file: ask, or pick a free name.

A run writes more than its model `<stem>.pt`: every epoch it replaces `<stem>.last.pt`
(the last finished epoch, which a cancelled run leaves behind and the dialog says is
kept) and `<stem>.best.pt`. So a name counts as taken when any of these files exists;
checking the model alone let a new run silently overwrite what a stopped run kept.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget


def run_files(path: Path) -> list[Path]:
    """Every file a training run with output `path` writes: the model, then its checkpoints."""
    from vertapp.ml.train import checkpoint_paths  # torch: loaded once a run is asked for

    return [path, *checkpoint_paths(path)]


def taken_files(path: Path) -> list[Path]:
    """The files of `run_files(path)` that already exist (and a run would replace)."""
    return [p for p in run_files(path) if p.exists()]


def free_model_path(path: Path) -> Path:
    """`model_2.pt`, `model_3.pt`... next to `path`, the first whose files are all free."""
    k = 2
    while True:
        candidate = path.with_name(f"{path.stem}_{k}{path.suffix}")
        if not taken_files(candidate):
            return candidate
        k += 1


def overwrite_question(path: Path) -> str:
    """The question in words: what exists and would be replaced, and the free name."""
    free = free_model_path(path).name
    if path.exists():
        held = f"{path.name} already holds a trained model."
    else:  # only checkpoints: most often a cancelled run's last finished epoch
        taken = [p.name for p in taken_files(path)]
        what = "holds the last saved epoch" if len(taken) == 1 else "hold the saved epochs"
        held = f"{' and '.join(taken)} already {what} of an earlier training run."
    return f"{held} Replace it, or save this run as {free}?"


def ask_overwrite(parent: QWidget, path: Path) -> str:
    """'replace', 'new' or 'cancel' for a model name whose files exist."""
    box = QMessageBox(
        QMessageBox.Icon.Question, "Model file exists", overwrite_question(path), parent=parent
    )
    new = box.addButton(f"Save as {free_model_path(path).name}", QMessageBox.ButtonRole.AcceptRole)
    replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(new)
    box.exec()
    return {id(new): "new", id(replace): "replace"}.get(id(box.clickedButton()), "cancel")
