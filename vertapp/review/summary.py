"""Where the review of a project stands: images per status, vertebrae per status, flags (no Qt).

`vertapp review PROJECT` prints this; the window shows the same statuses per image.

Vertebrae are grouped as the Train dialog groups them (`snapshot.vertebrae`): on a
radiograph, the parts of one level (body, pedicles, processes) are one vertebra. Its
status is FLAGGED when any part is flagged for an expert, else the least advanced of its
parts' statuses (not started < in progress < completed): a vertebra is completed only when
every part is. A part of no known level that is not a body belongs to no vertebra and is
not counted among the vertebrae (its prediction still counts as waiting for a decision).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from vertapp.annotations.model import Instance, Project
from vertapp.review.snapshot import vertebrae
from vertapp.review.status import (
    COMPLETED,
    FLAGGED,
    IN_PROGRESS,
    NOT_STARTED,
    STATUS_TEXT,
    instance_status,
    is_flagged,
    is_pending,
    needs_review,
)

STATUSES = (NOT_STARTED, IN_PROGRESS, COMPLETED, FLAGGED)
_PROGRESS = (NOT_STARTED, IN_PROGRESS, COMPLETED)  # least advanced first


@dataclass
class ReviewSummary:
    images: dict[str, int] = field(default_factory=dict)  # image status -> count
    vertebrae: dict[str, int] = field(default_factory=dict)  # vertebra status -> count
    pending_predictions: int = 0
    images_to_review: int = 0
    flagged_images: list[str] = field(default_factory=list)  # file names, project order

    def to_dict(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "vertebrae": self.vertebrae,
            "pending_predictions": self.pending_predictions,
            "images_to_review": self.images_to_review,
            "flagged_images": self.flagged_images,
        }


def summarize(project: Project) -> ReviewSummary:
    images = list(project.images.values())
    instances = [inst for img in images for inst in img.instances]
    by_image = Counter(img.status for img in images)
    by_vertebra = Counter(
        vertebra_status(vertebra) for img in images for vertebra in vertebrae(img.instances)
    )
    return ReviewSummary(
        images={s: by_image.get(s, 0) for s in STATUSES},
        vertebrae={s: by_vertebra.get(s, 0) for s in STATUSES},
        pending_predictions=sum(is_pending(inst) for inst in instances),
        images_to_review=sum(needs_review(img) for img in images),
        flagged_images=[PurePosixPath(img.file_name).name for img in images if is_flagged(img)],
    )


def vertebra_status(parts: list[Instance]) -> str:
    """The status of one vertebra drawn as `parts` (one instance, or a radiograph's parts
    of one level): flagged if any part is, else the least advanced part's status."""
    statuses = {instance_status(inst) for inst in parts}
    if FLAGGED in statuses:
        return FLAGGED
    return next(s for s in _PROGRESS if s in statuses)


def format_summary(summary: ReviewSummary) -> str:
    """The summary as the few lines `vertapp review` prints."""
    lines = ["images:"]
    lines += [f"  {STATUS_TEXT[s]:<20} {n}" for s, n in summary.images.items()]
    lines.append("vertebrae:")
    lines += [f"  {STATUS_TEXT[s]:<20} {n}" for s, n in summary.vertebrae.items()]
    lines.append(f"predictions waiting for a decision: {summary.pending_predictions}")
    lines.append(f"images needing review: {summary.images_to_review}")
    flagged = summary.flagged_images
    lines.append(f"flagged for an expert: {', '.join(flagged) if flagged else 'none'}")
    return "\n".join(lines)
