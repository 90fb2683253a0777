"""How vertebra-part annotations are told apart on screen, and how a typed level is read.

Display rules (the window paints them; nothing here knows Qt):

- one colour per vertebra *level*, so the body, pedicles and processes of L3 share
  L3's colour: the same hue a T1..L5 polygon of a CT MIP gets (neighbouring levels
  far apart on the colour wheel), grey for "unknown";
- one fill pattern per *part*: the body filled, the processes and pedicles hatched
  each their own way, so the parts of one vertebra stay apart in one colour while
  the outline keeps its meaning (solid hand-drawn, dashed predicted);
- one caption per vertebra (its level, at its body when there is one) instead of
  one per part, which would bury a small pedicle under text.

Typing a level (`read_level`): the annotator types "L3" or "t12" after a part key;
each keystroke gets a hint, and the entry ends by itself as soon as the text can
only mean one level ("L3", "T5", "T12"); "T1" waits for Enter (it could become
T10..T12). An empty entry confirmed with Enter means "same vertebra as the last".
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from vertapp.labels import PARTS, VERTEBRAE
from vertapp.xray.parts import BODY, UNKNOWN, normalise_level, vertebra_of

# Same rule as the CT palette (gui/widgets/colors.py): 7/17 of a turn between neighbours.
HUE_STEP = 7 / 17

# Fill pattern of each part: "solid" or a hatch direction ("vertical", "horizontal",
# "cross", "diagonal"); the window maps the names onto its brush styles.
PART_PATTERN: dict[str, str] = {
    "body": "solid",
    "spinous_process": "vertical",
    "pedicle": "cross",
    "transverse_process": "horizontal",
}
PART_SHORT: dict[str, str] = {
    "body": "body",
    "spinous_process": "spinous",
    "pedicle": "pedicle",
    "transverse_process": "transverse",
}
PART_WORDS: dict[str, str] = {p: p.replace("_", " ") for p in PARTS}

K = TypeVar("K", bound=Hashable)


def level_hue(level: str | None) -> float | None:
    """Hue (0..1) of a vertebra level, None for unknown (painted grey)."""
    if level not in VERTEBRAE:
        return None
    return (VERTEBRAE.index(level) * HUE_STEP) % 1.0


def part_pattern(label: str | None) -> str:
    """Fill pattern of a part; anything else (a T1..L5 polygon) is filled solid."""
    return PART_PATTERN.get(label or "", "solid")


def instance_level(label: str, extra: Mapping[str, Any]) -> str | None:
    """The level a part instance belongs to ('unknown' when none is stored); None when
    `label` is no part (a CT polygon is its own level and needs no grouping)."""
    if label not in PARTS:
        return None
    return vertebra_of(extra)


def caption_keys(items: Iterable[tuple[K, str, str | None]]) -> dict[K, str]:
    """Which instance carries its vertebra's caption, and the caption.

    `items`: (key, part, level). One caption per known level, on its body if it has
    one (else on its first part); parts of unknown level are captioned each, with
    their part, since nothing groups them.
    """
    out: dict[K, str] = {}
    holder: dict[str, tuple[K, bool]] = {}
    for key, part, level in items:
        if level is None:
            continue
        if level == UNKNOWN:
            out[key] = f"? {PART_SHORT.get(part, part)}"
            continue
        seen = holder.get(level)
        if seen is None or (part == BODY and not seen[1]):
            holder[level] = (key, part == BODY)
    for level, (key, _) in holder.items():
        out[key] = level
    return out


def describe(part: str, level: str) -> str:
    """'pedicle of L3' / 'body, vertebra not set' for the palette and the status bar."""
    words = PART_WORDS.get(part, part)
    return f"{words} of {level}" if level != UNKNOWN else f"{words}, vertebra not set"


@dataclass(frozen=True)
class LevelReading:
    """What a typed text means so far."""

    level: str | None  # the level chosen, once the entry is done
    done: bool  # True: the entry ends (with `level`, or with the last level when empty)
    hint: str  # feedback shown while typing
    valid: bool = True  # False: no level starts like this


_UNKNOWN_WORDS = ("?", "U", "UN", "UNK", "UNKNOWN")


def _candidates(text: str) -> list[str]:
    return [lv for lv in VERTEBRAE if lv.startswith(text)]


def read_level(text: str, *, enter: bool = False, last: str = UNKNOWN) -> LevelReading:
    """Read the level typed so far (`enter`: the user pressed Enter). See the module doc."""
    raw = text.strip().replace(" ", "").upper()
    if raw.startswith("TH"):
        raw = "T" + raw[2:]
    if not raw:
        if enter:
            return LevelReading(last, True, f"same vertebra as the last: {last}")
        return LevelReading(
            None, False, f"type T1..T12 or L1..L5; Enter: same as the last ({last})"
        )
    if raw in _UNKNOWN_WORDS:
        return LevelReading(UNKNOWN, True, "vertebra not known")
    found = _candidates(raw)
    if not found:
        return LevelReading(None, False, f"no level {raw!r}: T1..T12 or L1..L5", valid=False)
    exact = normalise_level(raw)
    if exact != UNKNOWN and (len(found) == 1 or enter):
        return LevelReading(exact, True, exact)
    if exact != UNKNOWN:
        more = ", ".join(c for c in found if c != exact)
        return LevelReading(None, False, f"{exact} (Enter) or {more}")
    if enter:
        return LevelReading(None, False, f"{raw}…: finish the number ({', '.join(found)})")
    return LevelReading(None, False, f"{raw}…: {', '.join(found)}")


def takes_parts(labels: Iterable[str], image_kind: str | None, label_set: str) -> bool:
    """Whether an image is annotated with the part palette (else T1..L5, as on a CT MIP).

    A radiograph is, when the project has the part categories; a MIP never is. With no
    image yet, the project's label set decides.
    """
    if image_kind is None:
        return label_set == "parts"
    return image_kind == "radiograph" and set(PARTS) <= set(labels)
