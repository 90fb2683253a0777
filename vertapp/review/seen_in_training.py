"""Which scored images the model was trained on, and the Compare panel's words for it (no Qt).

A score on a scan the model learnt from measures fit, not accuracy (the shipped starter:
0.948 Dice on a VerSe case it was trained on, 0.2-0.7 on patients it never saw), and
Compare showed it like any other. An image counts as seen when its patient key (as the
window's training splits read it) or its MIP's very pixels are in the model's record
(`vertapp.ml.trained_on`). A model that records nothing says nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from vertapp.annotations.model import Project
from vertapp.ml.trained_on import TrainedOn

SEEN_ONE = "This scan was in the model's training data: the score is not a test."


def seen_in_training(
    project: Project,
    image_ids: Iterable[int],
    learnt: TrainedOn | None,
    pixels_of: Callable[[int], Any] | None = None,
) -> list[int]:
    """The images among `image_ids` the model was trained on (by patient, else pixels)."""
    if not learnt:
        return []
    seen = []
    for image_id in image_ids:
        img = project.images.get(image_id)
        if img is None:
            continue
        patient = img.patient_key or img.file_name  # the key the training split used
        if learnt.saw(patient) or (
            pixels_of is not None and learnt.images and learnt.saw("", _pixels(pixels_of, image_id))
        ):
            seen.append(image_id)
    return seen


def _pixels(pixels_of: Callable[[int], Any], image_id: int) -> Any:
    try:
        return pixels_of(image_id)
    except (OSError, ValueError):  # an image file gone: its patient key decided alone
        return None


def seen_words(seen: list[int], n_scored: int, number: Callable[[int], Any] = str) -> str:
    """The note over the scores; "" when none was seen. `number`: how an image is named
    (its place in the project list: never a file name)."""
    if not seen:
        return ""
    if n_scored == 1:
        return SEEN_ONE
    which = ", ".join(str(number(i)) for i in seen)
    if len(seen) == n_scored:
        return (
            f"All {n_scored} scored images were in the model's training data: the scores "
            "are not a test."
        )
    one = len(seen) == 1
    return (
        f"{len(seen)} of {n_scored} scored images ({_image_s(seen)} {which}) "
        f"{'was' if one else 'were'} in the model's training data: "
        f"{'its score is' if one else 'their scores are'} not a test."
    )


def _image_s(seen: list[int]) -> str:
    return "image" if len(seen) == 1 else "images"
