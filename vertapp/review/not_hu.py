"""Which images of a Predict run were read as "not CT in Hounsfield units", in words (no Qt).

`vertapp predict` leaves such a volume unpredicted unless --predict-non-hu: the model
calls hip bone or noise vertebrae on it. The window follows that rule: one such image is
asked about (Predict anyway / Skip), several are skipped and said by image id (a file name
may be the patient's; the train table names images by the same id while names are hidden).
"""

from __future__ import annotations

from collections.abc import Iterable

from vertapp.annotations.hu_verdict import record_not_hu
from vertapp.annotations.model import Project
from vertapp.review.wording import count

WHY = "the model calls hip bone or noise vertebrae on such a scan"


def not_hu_images(project: Project, image_ids: Iterable[int]) -> dict[int, str]:
    """image id -> the reader's verdict, for the images whose CT was judged not CT in HU."""
    out = {}
    for image_id in image_ids:
        img = project.images.get(image_id)
        verdict = None if img is None else record_not_hu(img.extra.get("vertapp"))
        if verdict is not None:
            out[image_id] = verdict
    return out


def question_text(verdict: str) -> str:
    """The question before predicting one such image."""
    return (
        f"When this image's CT was read, its values said: {verdict}.\n\n"
        f"Predicted, it may get vertebrae that are not there: {WHY}. "
        "Skip leaves it unpredicted, as the command line does."
    )


def skipped_text(skipped: dict[int, str], asked: bool = False) -> str:
    """'2 images (ids 3, 5) not predicted: their CT is not CT in Hounsfield units (...)'.
    `asked`: the user chose Skip (no word on how to be asked)."""
    if not skipped:
        return ""
    by_verdict: dict[str, list[int]] = {}
    for image_id, verdict in skipped.items():
        by_verdict.setdefault(verdict, []).append(image_id)
    reasons = "; ".join(f"{_ids(ids)}: {verdict}" for verdict, ids in by_verdict.items())
    n = len(skipped)
    text = (
        f"{count(n, 'image')} not predicted, {'its' if n == 1 else 'their'} CT not read as "
        f"CT in Hounsfield units ({reasons})."
    )
    if not asked:
        text += f" Predict {'it' if n == 1 else 'one'} on its own to be asked."
    return text


def _ids(ids: list[int]) -> str:
    return f"{'id' if len(ids) == 1 else 'ids'} {', '.join(map(str, sorted(ids)))}"
