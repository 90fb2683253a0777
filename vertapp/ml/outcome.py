"""What a finished training run tells its user, in one wording for the command line and
the train dialog (no torch here: the window says it without loading the engine)."""

from __future__ import annotations


def kept_start_words(out_name: str, best: float | None) -> str:
    """A fine-tune none of whose epochs beat its start on the validation images
    (`vertapp.ml.train.TrainResult.kept_start`): the model file holds the start's weights."""
    score = "" if best is None else f" (validation mean Dice {best:.3f})"
    return (
        f"no epoch beat the start on the validation images{score}: {out_name} holds the "
        "start's weights; more labelled scans or a longer run may beat it"
    )
