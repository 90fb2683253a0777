"""Where the review of a project stands: images per status, vertebrae per status, flags (no Qt).

`vertapp review PROJECT` prints this; the window shows the same statuses per image.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from vertapp.annotations.model import Project
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


@dataclass
class ReviewSummary:
    images: dict[str, int] = field(default_factory=dict)  # image status -> count
    vertebrae: dict[str, int] = field(default_factory=dict)  # instance status -> count
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
    by_instance = Counter(instance_status(inst) for inst in instances)
    return ReviewSummary(
        images={s: by_image.get(s, 0) for s in STATUSES},
        vertebrae={s: by_instance.get(s, 0) for s in STATUSES},
        pending_predictions=sum(is_pending(inst) for inst in instances),
        images_to_review=sum(needs_review(img) for img in images),
        flagged_images=[PurePosixPath(img.file_name).name for img in images if is_flagged(img)],
    )


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
