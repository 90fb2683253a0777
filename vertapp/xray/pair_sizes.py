"""Films of different sizes cannot be aligned (`align.SAME_SIZE`): said before a pair of a
project's radiographs is opened, from the sizes the project records, in the words the
alignment would fail with."""

from __future__ import annotations

from vertapp.xray.align import SAME_SIZE
from vertapp.xray.project_pair import ImageOutlines


def size_refusal(low: ImageOutlines, high: ImageOutlines) -> str:
    """Why `low` and `high` cannot be aligned as a pair; "" when their sizes agree."""
    if (low.height, low.width) == (high.height, high.width):
        return ""
    return (
        f"The low-dose image is {low.width}x{low.height} pixels and the high-dose one "
        f"{high.width}x{high.height}: {SAME_SIZE}. Choose two films of the same size "
        "(the same view, uncropped)."
    )
