"""Stepping through an image's outlines from the keyboard, head to feet (no Qt).

Alt+Down / Alt+Up select the outline below / above the selected one, as Tab does in
CVAT: on a sagittal MIP or a lateral radiograph the spine runs top to bottom, so the
next outline is the next vertebra down, whatever order the outlines were drawn in.
"""

from __future__ import annotations

from collections.abc import Sequence

from vertapp.annotations.model import Instance
from vertapp.review.focus import outline_centre


def head_to_feet(instances: Sequence[Instance]) -> list[int]:
    """The outlines' ids from the top of the image down (by centre; left first on a tie);
    an empty outline has no place and is left out."""
    placed = []
    for inst in instances:
        centre = outline_centre(inst)
        if centre is not None:
            placed.append((centre[1], centre[0], inst.id))
    return [key for _y, _x, key in sorted(placed)]


def outline_step(instances: Sequence[Instance], selected: int | None, step: int) -> int | None:
    """The outline `step` places below `selected` (above when negative); with none
    selected (or one not among them), the top one going down, the bottom one going up.
    None past the last one: the keys stop at the ends, so holding one never wraps round
    to the other end of the spine unnoticed."""
    order = head_to_feet(instances)
    if not order or step == 0:
        return None
    if selected not in order:
        return order[0] if step > 0 else order[-1]
    index = order.index(selected) + step
    return order[index] if 0 <= index < len(order) else None
