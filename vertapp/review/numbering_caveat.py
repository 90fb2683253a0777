"""Whether a CT MIP's predicted levels rest on a landmark, in words for the reviewer (no Qt).

The chain (`vertapp.ml.numbering`) numbers a MIP's vertebrae from the detector's classes
and, where preprocessing found it, the top of the hip bones, which anchors L5. Without
that landmark the levels rest on the classes alone, and those are biased by where the
training crops ended: on the one held-out real CT with no pelvis in view (sub-verse007,
T9-L3) every level came out shifted, while the anchored ones were numbered right
(docs/ml.md). A radiologist counts such a scan from the last rib; the review says so
instead of presenting the levels as sure.
"""

from __future__ import annotations

from vertapp.annotations.landmarks import record_hip_top_row
from vertapp.annotations.model import ImageRecord
from vertapp.labels import VERTEBRAE
from vertapp.review.status import is_pending

NO_LANDMARK = (
    "levels counted without a landmark (no hip bone in view): check them against the "
    "last rib or the sacrum; ▲/▼ All levels move a whole image"
)


def unanchored(img: ImageRecord) -> bool:
    """A CT MIP with predicted vertebrae still to review whose numbering no hip landmark
    anchored (once all are decided, the reviewer has had the say)."""
    if img.kind != "mip" or record_hip_top_row(img.extra.get("vertapp")) is not None:
        return False
    return any(is_pending(i) and i.label in VERTEBRAE for i in img.instances)
