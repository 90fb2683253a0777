"""What an export wrote, in a sentence (no Qt).

An export right after Predict writes every prediction nobody reviewed (docs/review.md
documents it: COCO keeps them with `vertapp.reviewed: false`); the status bar only said
"Exported ann.json", which read as a reviewed data set.
"""

from __future__ import annotations

from vertapp.annotations.model import Project
from vertapp.review.status import is_pending
from vertapp.review.wording import count

# How each format tells an undecided prediction (COCO: docs/review.md's table).
# VIA and labelme files keep it in a `vertapp` attribute VertApp reads back (round 14),
# which VIA and other tools do not show.
MARKED = {
    "coco": " (marked reviewed: false)",
    "via": " (marked in their 'vertapp' attribute; VIA itself shows them as plain outlines)",
    "labelme": " (marked in their 'vertapp' field; labelme itself shows them as plain outlines)",
}


def export_sentence(project: Project, name: str, fmt: str) -> str:
    """'Exported ann.json: 12 outlines, 9 of them predictions nobody reviewed (…)'."""
    outlines = [inst for img in project.images.values() for inst in img.instances]
    pending = [inst for inst in outlines if is_pending(inst)]
    text = f"Exported {name}: {count(len(outlines), 'outline')}"
    if not pending:
        return text
    untouched = sum(inst.source == "predicted" for inst in pending)
    edited = len(pending) - untouched  # "corrected" but not accepted: not reviewed either
    words = [_of_them(untouched, "nobody reviewed")] if untouched else []
    if edited:
        words.append(
            f"{edited} edited but never accepted"
            if words
            else _of_them(edited, "edited but never accepted")
        )
    return f"{text}, {', '.join(words)}{MARKED.get(fmt, '')}"


def _of_them(n: int, what: str) -> str:
    """'9 of them predictions nobody reviewed', '1 of them a prediction …'."""
    return f"{n} of them {'a prediction' if n == 1 else 'predictions'} {what}"
