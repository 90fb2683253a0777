"""The reader's verdict that a CT volume is not CT in Hounsfield units, kept with its MIP.

`vertapp.io.plausibility` words its doubts about a volume; some of them say that its values
are not Hounsfield units at all (an 8-bit picture, another modality, a label map, an empty
export). On such a volume the model finds hip bone or noise and calls it vertebrae (an
8-bit copy of the TotalSegmentator CT: one "L5" at 0.64 on the pelvis), so `vertapp
predict` leaves it unpredicted unless --predict-non-hu, and the window's Predict asks
first. The window predicts a saved MIP long after its CT was read: the verdict is kept in
the image record's `vertapp` dict, under NOT_HU, when the CT is opened or imported.
It lives here, with the record format, so that reading it does not import the readers.
"""

from __future__ import annotations

from typing import Any

# Words of `vertapp.io.plausibility`'s warnings that say "not CT in HU" (its doubts, "may
# not be", "no bone", still predict).
NOT_HU_VERDICTS = (
    "not CT in Hounsfield units",  # values 0..255 only
    "values are not Hounsfield units",  # the file names another modality
    "looks like a segmentation",  # a label map
    "the volume is empty",
    "the volume holds no voxels",
)
NOT_HU = "not_hu"  # the image record's `vertapp` key: the verdict in words


def not_hu_verdict(warnings: list[str]) -> str | None:
    """The reader's warning that says the volume is not CT in Hounsfield units, or None."""
    return next((w for w in warnings if any(v in w for v in NOT_HU_VERDICTS)), None)


def verdict_meta(warnings: list[str]) -> dict[str, str]:
    """What an image record's `vertapp` dict keeps of the reader's `warnings`: the verdict
    (its words name no file: the plausibility checks see values, not names), or nothing."""
    verdict = not_hu_verdict(warnings)
    return {} if verdict is None else {NOT_HU: verdict}


def record_not_hu(vertapp_meta: Any) -> str | None:
    """The verdict stored in an image record's `vertapp` dict; None when absent or not
    text (a hand-edited file must not break a prediction)."""
    if not isinstance(vertapp_meta, dict):
        return None
    value = vertapp_meta.get(NOT_HU)
    return value if isinstance(value, str) and value else None
