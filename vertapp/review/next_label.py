"""The label the palette proposes for the next outline of an image (no Qt).

Every outline of the image counts, predicted ones too: proposing a level the model
already outlined (or, with T1..L5 all there, the last one again) made N add a twin.
"""

from __future__ import annotations

from collections.abc import Iterable


def suggest_next(used: Iterable[str], last: str | None, labels: tuple[str, ...]) -> str | None:
    """The first unused label after `last` in spine order; when none is left below it, the
    nearest unused one above it (the chain's missing neighbour, not T1 by wrapping round);
    None when every label is used."""
    taken = set(used)
    free = [i for i, name in enumerate(labels) if name not in taken]
    if not free:
        return None
    start = labels.index(last) if last in labels else -1
    below = [i for i in free if i > start]
    return labels[below[0] if below else free[-1]]
