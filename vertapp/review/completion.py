"""What "image completed" means for an image of model output (no Qt).

Completed means no prediction is left undecided: the list read "completed, 7 to review"
when the image was marked completed with 7 shown predictions untouched. So marking it
completed decides them too, as the reviewer answers (accept or reject the ones shown),
and rejects those the score threshold hides (never shown, so never reviewed: left
undecided they would reach the saved project, its COCO and the 3D labels).
"""

from __future__ import annotations

from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.annotations.ops import Operation, SetImageStatus
from vertapp.review.decisions import accept_ops, reject_ops
from vertapp.review.status import COMPLETED, hidden_pending, is_pending

ACCEPT, REJECT = "accept", "reject"


def undecided_shown(img: ImageRecord, threshold: float) -> list[Instance]:
    """The predictions the reviewer sees that still wait for a decision."""
    hidden = {i.id for i in hidden_pending(img, threshold)}
    return [i for i in img.instances if is_pending(i) and i.id not in hidden]


def completion_ops(
    project: Project, img: ImageRecord, threshold: float, shown: str | None = None
) -> list[Operation]:
    """The edits that complete `img`: the hidden predictions rejected, the shown undecided
    ones accepted or rejected as `shown` says (ACCEPT / REJECT), then the status.

    ValueError when shown undecided predictions exist and `shown` says nothing of them:
    completing must never decide them silently."""
    waiting = [i.id for i in undecided_shown(img, threshold)]
    if waiting and shown not in (ACCEPT, REJECT):
        raise ValueError(f"{len(waiting)} shown predictions wait for a decision")
    ops = reject_ops(project, [i.id for i in hidden_pending(img, threshold)])
    ops += (accept_ops if shown == ACCEPT else reject_ops)(project, waiting)
    ops.append(SetImageStatus(img.id, COMPLETED))
    return ops
