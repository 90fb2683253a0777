"""What the Train dialog's image table says of each image, in words (no Qt).

With View > Hide names and paths on, the table named each image after its file and
each patient after its key, both often the patient's name ("DOE_JOHN_ct_mip.png"). It
names them neutrally then: "image 3" by the project's image id, the id the strip's
left-out sentences use ("1 image (id 3) with no annotation…"), and "patient 1", "patient
2" in order of first appearance, so the rows of one patient still read as one.
"""

from __future__ import annotations

from collections.abc import Sequence

from vertapp.review.snapshot import DataImage


def neutral_image_name(image_id: int) -> str:
    return f"image {image_id}"


def shown_names(images: Sequence[DataImage], hidden: bool) -> list[tuple[str, str]]:
    """(image, patient) for each row: the file name and patient key, or while names are
    `hidden` the neutral ones."""
    if not hidden:
        return [(im.name, im.patient) for im in images]
    numbers: dict[str, int] = {}
    for im in images:
        numbers.setdefault(im.patient, len(numbers) + 1)
    return [(neutral_image_name(im.image_id), f"patient {numbers[im.patient]}") for im in images]


def count_words(im: DataImage) -> str:
    """ "5", "5 (+2 left out)", "5 (+2 left out, +3 to review)": first what the run learns
    from, then what else is drawn on the image, so the row adds up to what the user sees
    on it (a count of 7 outlines read as 5 alone looked like lost work)."""
    extra = [f"+{im.n_left_out} left out"] if im.n_left_out else []
    extra += [f"+{im.n_pending} to review"] if im.n_pending else []
    return f"{im.n_instances} ({', '.join(extra)})" if extra else str(im.n_instances)
