"""Review status of predicted instances and images, and where review goes next (no Qt).

A prediction lives in the project as an `Instance` with source "predicted", its score
and model id. Review decisions are edits of the annotation layer, so they undo:
accept = `AcceptPrediction` (reviewed), reject = `RejectPrediction` (removed), geometry
or label edits mark it "corrected" (ops.py keeps score and model id for audit).

Status of a vertebra (one instance), derived from its fields:
  not_started  a prediction nobody looked at yet
  in_progress  a prediction edited (corrected) but not yet accepted
  completed    accepted, or drawn by hand
  flagged      marked for an expert (`extra["vertapp"]["flagged"]`, saved in the COCO
               annotation's "vertapp" block like every app-specific field)
The image status (ImageRecord.status, saved in the project) follows its vertebrae
unless the image was flagged for an expert, which only the user clears.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.review.wording import count, model_words

NOT_STARTED, IN_PROGRESS, COMPLETED, FLAGGED = "not_started", "in_progress", "completed", "flagged"
STATUS_TEXT = {
    NOT_STARTED: "not started",
    IN_PROGRESS: "in progress",
    COMPLETED: "completed",
    FLAGGED: "flagged for expert",
}
# The review table's words for one vertebra. "completed" is the image's status (the
# project list, the header above the table): an accepted prediction read as "completed"
# beside it, so a vertebra says what was done to it. Saved fields are unchanged.
ROW_TEXT = {**STATUS_TEXT, COMPLETED: "accepted"}
HAND_DRAWN = "hand-drawn"
FLAG_KEY = "flagged"
ORIGINAL_LABEL_KEY = "original_label"
VERTEBRA_KEY = "vertebra"  # a radiograph part's level, as vertapp.xray.parts stores it
APP = "vertapp"


def app_field(inst: Instance, key: str, default: Any = None) -> Any:
    """An app-specific field of an instance (kept under extra["vertapp"])."""
    return (inst.extra.get(APP) or {}).get(key, default)


def instance_status(inst: Instance) -> str:
    if app_field(inst, FLAG_KEY):
        return FLAGGED
    if inst.source == "manual" or inst.reviewed:
        return COMPLETED
    if inst.source == "corrected":
        return IN_PROGRESS
    return NOT_STARTED


def row_text(inst: Instance) -> str:
    """'accepted', 'hand-drawn', 'in progress', 'not started' or 'flagged for expert'."""
    status = instance_status(inst)
    if status == COMPLETED and inst.source == "manual":
        return HAND_DRAWN
    return ROW_TEXT[status]


def is_pending(inst: Instance) -> bool:
    """A prediction that still needs a decision."""
    return inst.source in ("predicted", "corrected") and not inst.reviewed


def hidden_by_threshold(inst: Instance, threshold: float) -> bool:
    """An undecided prediction scored below the threshold, so not shown.

    A flagged one always stays in sight: someone asked an expert to look at it.
    """
    return (
        is_pending(inst)
        and inst.source == "predicted"
        and inst.score is not None
        and inst.score < threshold
        and not app_field(inst, FLAG_KEY, False)
    )


def derived_image_status(img: ImageRecord, decided: bool = False) -> str:
    """What an image's status should be now; `decided`: a review decision was just made
    on it. A rejection leaves no trace on the vertebrae that remain, so it is the
    decision itself that puts the image in progress, and rejecting its last prediction
    completes it (before, both left it "not started")."""
    if img.status == FLAGGED:
        return FLAGGED
    predicted = [i for i in img.instances if i.source != "manual"]
    if not img.instances:
        if decided:
            return COMPLETED
        return img.status if img.status != IN_PROGRESS else NOT_STARTED
    statuses = [instance_status(i) for i in img.instances]
    if all(s == COMPLETED for s in statuses):
        return COMPLETED
    if predicted and all(s == NOT_STARTED for s in (instance_status(i) for i in predicted)):
        if decided:
            return IN_PROGRESS
        return img.status if img.status != COMPLETED else NOT_STARTED
    return IN_PROGRESS


def status_after_unflag(img: ImageRecord) -> str:
    """The status an image flagged for an expert falls back to when the flag is cleared:
    what its vertebrae say (one step, so one undo brings the flag back)."""
    return derived_image_status(dataclasses.replace(img, status=NOT_STARTED))


def hidden_pending(img: ImageRecord, threshold: float) -> list[Instance]:
    """Undecided predictions the threshold hides: never shown, so never reviewed."""
    return [i for i in img.instances if is_pending(i) and hidden_by_threshold(i, threshold)]


@dataclasses.dataclass(frozen=True)
class PredictionCount:
    """One image's model output, for the predict panel's summary: how many instances came
    from a model, how many of those wait for a decision, and the models' exact ids. The
    panel keeps one per image and recounts only the image a decision changed (a recount
    of the whole project on every accept grew with it: 4 ms a vertebra at 300 images)."""

    predicted: int = 0
    pending: int = 0
    model_ids: frozenset[str] = frozenset()


def prediction_count(img: ImageRecord) -> PredictionCount:
    predicted = [i for i in img.instances if i.model_id]
    return PredictionCount(
        len(predicted),
        sum(is_pending(i) for i in predicted),
        frozenset(str(i.model_id) for i in predicted),
    )


def predictions_text(counts: Iterable[PredictionCount]) -> str:
    """The summary of these images' model output ("No prediction yet" when none)."""
    predicted = pending = 0
    ids: set[str] = set()
    for c in counts:
        predicted += c.predicted
        pending += c.pending
        ids |= c.model_ids
    if not predicted:
        return "No prediction yet"
    models = sorted({model_words(i) for i in ids})  # once a model, not once a vertebra
    return (
        f"{count(predicted, 'predicted vertebra')} in this project, from "
        f"{', '.join(models)}; {pending} waiting for review"
    )


def stored_predictions_text(project: Project) -> str:
    """What the predict panel says of the project's model output, recounted on every
    decision (it said "No prediction yet" above a table of them, then "9 waiting for
    review" after they were decided)."""
    return predictions_text(prediction_count(img) for img in project.images.values())


def stored_model_ids(project: Project) -> list[str]:
    """The exact ids of the models whose output the project holds (for an audit)."""
    images = project.images.values()
    return sorted({str(i.model_id) for img in images for i in img.instances if i.model_id})


def list_text(img: ImageRecord) -> str:
    """The project list's words for an image: its saved status, then what waits in it."""
    text = STATUS_TEXT.get(img.status, img.status)
    pending = sum(is_pending(i) for i in img.instances)
    return f"{text}, {pending} to review" if pending else text


def status_after_hand_edit(img: ImageRecord, deleted: int | None = None) -> str | None:
    """A first hand edit puts a not-started image in progress (saved, so the list agrees).

    `deleted`: the instance the edit removes. Deleting a prediction is a review decision
    like Reject: on an image of model output the status then follows what is left (the
    last undecided one deleted after the rest were accepted: completed, not "in progress"
    with nothing to review)."""
    gone = next((i for i in img.instances if i.id == deleted), None)
    if gone is not None and gone.model_id and img.status != FLAGGED:
        rest = [i for i in img.instances if i.id != deleted]
        status = derived_image_status(dataclasses.replace(img, instances=rest), decided=True)
        return status if status != img.status else None
    return IN_PROGRESS if img.status == NOT_STARTED else None


# -- navigation --------------------------------------------------------------------------------
def next_undecided(instances: Sequence[Instance], start: int) -> int | None:
    """The index of the first instance at or after `start` (wrapping round) that still
    waits for a decision, None when none does: where the review goes after a decision,
    so that pressing A, A, A walks the list instead of accepting one vertebra again."""
    n = len(instances)
    for k in range(n):
        index = (start + k) % n
        if is_pending(instances[index]):
            return index
    return None


def needs_review(img: ImageRecord, threshold: float = 0.0) -> bool:
    """Not completed and holding a prediction to decide that the review threshold shows
    (one hidden below it cannot be decided: navigation looped between such images)."""
    return img.status != COMPLETED and any(
        is_pending(i) and not hidden_by_threshold(i, threshold) for i in img.instances
    )


def is_flagged(img: ImageRecord) -> bool:
    return img.status == FLAGGED or any(app_field(i, FLAG_KEY) for i in img.instances)


def next_image(
    project: Project,
    order: Sequence[int],
    current: int | None,
    *,
    flagged: bool = False,
    threshold: float = 0.0,
) -> int | None:
    """The next image after `current` (wrapping) that needs review at the shown
    `threshold` (or is flagged)."""

    def test(img: ImageRecord) -> bool:
        return is_flagged(img) if flagged else needs_review(img, threshold)

    ids = list(order)
    start = ids.index(current) + 1 if current in ids else 0
    for k in range(len(ids)):
        image_id = ids[(start + k) % len(ids)]
        if image_id != current and test(project.images[image_id]):
            return image_id
    return None
