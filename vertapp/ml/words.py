"""What a training run tells its user, in one wording for the command line and the
window (no torch here: the window says it without loading the engine): what it leaves
out of training (`vertapp.ml.train.left_out`, `vertapp.review.left_out`,
`vertapp.xray.training.unclassed_sentence`) and how it ended."""

from __future__ import annotations


def kept_start_words(out_name: str, best: float | None) -> str:
    """A fine-tune none of whose epochs beat its start on the validation images
    (`vertapp.ml.train.TrainResult.kept_start`): the model file holds the start's weights."""
    score = "" if best is None else f" (validation mean Dice {best:.3f})"
    return (
        f"no epoch beat the start on the validation images{score}: {out_name} holds the "
        "start's weights; more labelled scans or a longer run may beat it"
    )


def learnt_nothing_words(
    out_name: str, best: float | None, epochs: int | None, n_train: int, n_val: int
) -> str | None:
    """A finished run whose model learnt nothing measurable, in words with its numbers:
    best validation mean Dice 0 (as shown, 3 decimals), or no validation images at all;
    None when validation measured something. A short run ended "Model saved" with Dice 0,
    and its model then found nothing (audit r16). The model is kept either way."""
    if n_val and best is not None and round(best, 3) > 0:
        return None
    run = f"{_n(n_train, 'training image')}"
    if epochs:
        run = f"{_n(epochs, 'epoch')} on {run}"
    if not n_val:
        return (
            f"{out_name} is saved, but nothing measured what it learnt: no validation "
            f"images ({run}). Keep some patients for checking, or predict an image and look"
        )
    score = "not measured" if best is None else f"{best:.3f}"
    return (
        f"{out_name} is saved, but it learnt nothing measurable yet: best validation mean "
        f"Dice {score} after {run}. Train longer (more epochs) or on more labelled images "
        "before predicting with it"
    )


def _n(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


MAX_IDS = 10  # image ids listed in one sentence; the rest are counted


# The sentences of `left_out`, one function each, so the window's runs on project
# snapshots (`vertapp.review.left_out`) say what they leave out in the same words.
def foreign_sentence(category: str, n: int) -> str:
    """'3 annotations of category 'C7' left out of training: not a class of the model'."""
    return f"{annotations_phrase(category, n)} left out of training: not a class of the model"


def empty_sentence(category: str, n: int) -> str:
    """An outline that covers no pixel of its image (drawn off the image, or degenerate):
    its mask would be empty, so it is dropped."""
    return (
        f"{annotations_phrase(category, n)} left out of training: the outline covers no pixel "
        "of the image"
    )


def bare_sentence(ids: list[int]) -> str:
    """The images that keep no annotation of the model's classes: they still train, as
    images where there is nothing to find."""
    return (
        f"{images_phrase(ids)} with no annotation of the model's classes: trained on as images "
        "with nothing to find"
    )


def annotations_phrase(category: str, n: int) -> str:
    """'3 annotations of category 'C7'': how every sentence on annotations starts, here and
    in the radiograph run's (`vertapp.xray.training.unclassed_sentence`)."""
    return f"{n} annotation{'s' if n != 1 else ''} of category {category!r}"


def images_phrase(ids: list[int]) -> str:
    """'2 images (ids 3, 7)', at most MAX_IDS ids listed."""
    shown = ", ".join(str(i) for i in ids[:MAX_IDS]) + (", ..." if len(ids) > MAX_IDS else "")
    many = len(ids) != 1
    return f"{len(ids)} image{'s' if many else ''} (id{'s' if many else ''} {shown})"
