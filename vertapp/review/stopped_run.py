"""What a training run stopped before its end (Cancel, the dialog or the window closed)
leaves, and what the window makes of it (no Qt).

The engine promotes its best epoch (`out`.best.pt) to `out` only when a run ends; a run
stopped in the window left model.best.pt and model.last.pt but no model.pt, so Predict
fell back to the starter. `keep_stopped_run` does what the end of a run does, and
`stopped_words` says what was kept and where.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from vertapp.ml.words import kept_start_words
from vertapp.review.hidden_paths import shown_model_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoppedRun:
    """What a run stopped before its end left (`keep_stopped_run`)."""

    epochs: int  # epochs finished before the stop
    model: Path | None = None  # the model it made of its best epoch so far (the run's file)
    epoch: int | None = None  # the epoch `model` holds (0: a fine-tune's start)
    dice: float | None = None  # its validation mean Dice (None: no validation images)
    kept: Path | None = None  # an earlier model stayed: this run's best epoch is here


def stopped_file(out: Path, validated: bool) -> Path:
    """Where the engine keeps a run's pick so far: the best epoch by validation
    (`out`.best.pt), or without validation images the last one (`out`.last.pt)."""
    last, best = _checkpoint_paths(out)
    return best if validated else last


def keep_stopped_run(out: Path, epochs: int, validated: bool, earlier: bool) -> StoppedRun:
    """A run stopped after `epochs` finished epochs: its pick so far (`stopped_file`)
    becomes the model `out`, as the engine makes it at a run's end (vertapp.ml.train:
    the best epoch, marked with the epochs trained, written atomically; the best file
    goes, the last one stays). `earlier`: `out` holds an earlier model, which is kept
    (this run did not finish); the pick stays where it is. Unreadable: nothing moves."""
    if epochs <= 0:
        return StoppedRun(0)
    source = stopped_file(out, validated)
    if not source.is_file():
        return StoppedRun(epochs)
    if earlier:
        return StoppedRun(epochs, kept=source)
    import torch

    from vertapp.ml.checkpoint import save_checkpoint

    try:
        data = torch.load(source, map_location="cpu", weights_only=True)
        data["epochs_trained"] = epochs
        save_checkpoint(out, data)
    except Exception as err:  # unreadable in any way (unpickling raises anything), disk full
        log.warning("a stopped run's %s was not made the model: %s", source.name, err)
        return StoppedRun(epochs)
    if validated:
        source.unlink(missing_ok=True)  # now `out`, as after a finished run
    dice = data.get("best_val_mean_dice") if validated else None
    epoch = data.get("epoch")
    return StoppedRun(epochs, out, int(epoch) if epoch is not None else None, dice)


def stopped_words(stopped: StoppedRun, out: Path, total: int, names_hidden: bool) -> str:
    """What a stopped run kept, and where, in words (the dialog's line after a stop)."""
    head = f"Stopped after epoch {stopped.epochs} of {total}"
    last = _checkpoint_paths(out)[0].name
    if stopped.kept is not None:
        which = "best epoch so far" if stopped.kept != _checkpoint_paths(out)[0] else "last epoch"
        return (
            f"{head}. The earlier {out.name} stays the project's model (this run did not "
            f"finish); this run's {which} is kept in {stopped.kept.name} (Predict: Browse… "
            "to try it)."
        )
    shown = shown_model_path(out, names_hidden)  # its folder: the project's name
    if stopped.epoch == 0:  # a fine-tune none of whose epochs beat its start
        return f"{head}: {kept_start_words(shown, stopped.dice)}."
    if stopped.dice is None:
        return (
            f"{head}. Its last finished epoch is now the model, saved as {shown} (no "
            f"validation images to pick the best); it also stays in {last}."
        )
    return (
        f"{head}. Its best epoch so far (epoch {stopped.epoch}, validation mean Dice "
        f"{stopped.dice:.3f}) is now the model, saved as {shown}; the last finished epoch "
        f"stays in {last}."
    )


def _checkpoint_paths(out: Path) -> tuple[Path, Path]:
    """(last, best): the engine's names (vertapp.ml.train.checkpoint_paths)."""
    from vertapp.ml.train import checkpoint_paths

    return checkpoint_paths(out)
