"""Which of two radiographs is the low dose: what their files say, and in what words.

The pair view aligns a low-dose film onto a high-dose one, and the two ways round give
different results (the fused image takes the high dose's grey values). Nothing forced the
choice to be right: the project pair proposed the two selected images in list order. Here
each image's clues are read (`clue_of`) and weighed (`decide`), most direct first:

1. the dose-area product the film records (DICOM Image and Fluoroscopy Area Dose Product);
2. its exposure: mAs (Exposure, Exposure in uAs, or tube current x exposure time), times
   kV squared where both films record their kV (entrance dose grows with about kV^2);
3. the words "low" or "high" (also "lowdose", "high_dose") in the file's or its folder's name.

A measure decides only when the two differ by at least `MIN_RATIO`; equal exposures say
nothing. `verdict` checks a chosen order against the clues and says so in words (never a
file name: it may name the patient). Deciding is the core's; the window only shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vertapp.errors import VertAppError
from vertapp.io.dicom_headers import looks_like_dicom, read_header

MIN_RATIO = 1.2  # closer than this, two measures are taken as the same dose
DOSE_AREA, EXPOSURE, NAMES = "dose-area product", "exposure", "names"
LOW, HIGH = "low", "high"
_WORD = re.compile(r"^(low|high)(dose|dosis)?$")  # "lower" or "highres" are no clue
_SPLIT = re.compile(r"[^a-z]+")


@dataclass(frozen=True)
class DoseClue:
    """What one image's file says about its dose; None where it says nothing."""

    word: str | None = None  # LOW or HIGH from its name, None when neither (or both)
    dose_area: float | None = None  # dGy*cm2
    mas: float | None = None
    kvp: float | None = None

    def shows(self, by: str) -> str:
        """The value `by` weighed, in words ("2.5 mAs at 70 kV")."""
        if by == DOSE_AREA:
            return f"{self.dose_area:g} dGy·cm²"
        if by == EXPOSURE:
            return f"{self.mas:g} mAs" + (f" at {self.kvp:g} kV" if self.kvp else "")
        return f'"{self.word}" in its name' if self.word else 'neither "low" nor "high" in its name'


@dataclass(frozen=True)
class Roles:
    """Of two images (first, second): which one is the low dose, and what decided."""

    low: int  # 0: the first, 1: the second
    by: str  # DOSE_AREA, EXPOSURE or NAMES; "" when nothing tells (then low is 0)


@dataclass(frozen=True)
class Verdict:
    """A chosen order (low, high) against the clues: True right, False the wrong way
    round, None when nothing tells; `text` says it."""

    agrees: bool | None
    text: str


def name_word(name: str) -> str | None:
    """LOW or HIGH when the name says so in a word of its own, else None."""
    tokens = _SPLIT.split(re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower())
    words = {m.group(1) for t in tokens if (m := _WORD.match(t))}
    return words.pop() if len(words) == 1 else None


def clue_of(path: Path, name: str | None = None) -> DoseClue:
    """The clues of the file at `path` (a DICOM film's dose tags; the words of its own and
    its folder's name, or of `name` where given: a project lists its films by name)."""
    path = Path(path)
    word = name_word(name if name is not None else f"{path.parent.name}/{path.name}")
    tags = _dicom_tags(path)
    kvp = _positive(tags, "KVP")
    return DoseClue(word, _positive(tags, "ImageAndFluoroscopyAreaDoseProduct"), _mas(tags), kvp)


def _dicom_tags(path: Path) -> Any:
    if not path.is_file() or not looks_like_dicom(path):
        return {}
    try:
        return read_header(path)
    except VertAppError:  # unreadable here: the film's reader says why, not this clue
        return {}


def _positive(tags: Any, keyword: str) -> float | None:
    try:
        value = float(tags.get(keyword))
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _mas(tags: Any) -> float | None:
    mas = _positive(tags, "Exposure")
    if mas is None and (uas := _positive(tags, "ExposureInuAs")) is not None:
        mas = uas / 1000.0
    current, time_ms = _positive(tags, "XRayTubeCurrent"), _positive(tags, "ExposureTime")
    if mas is None and current is not None and time_ms is not None:
        mas = current * time_ms / 1000.0
    return mas


def _lower(a: float | None, b: float | None) -> int | None:
    """0 or 1: which of two measures is clearly the lower; None when unknown or alike."""
    if a is None or b is None or max(a, b) < MIN_RATIO * min(a, b):
        return None
    return 0 if a < b else 1


def _dose_index(clue: DoseClue, with_kv: bool) -> float | None:
    if clue.mas is None:
        return None
    return clue.mas * (clue.kvp**2 if with_kv and clue.kvp else 1.0)


def _by_name(a: str | None, b: str | None) -> int | None:
    if a == b:
        return None  # both say the same, or neither says anything
    if LOW in (a, b):
        return 0 if a == LOW else 1
    return 1 if a == HIGH else 0


def decide(first: DoseClue, second: DoseClue) -> Roles:
    """Which of the two is the low dose, by the most direct clue that tells."""
    low = _lower(first.dose_area, second.dose_area)
    if low is not None:
        return Roles(low, DOSE_AREA)
    with_kv = first.kvp is not None and second.kvp is not None
    low = _lower(_dose_index(first, with_kv), _dose_index(second, with_kv))
    if low is not None:
        return Roles(low, EXPOSURE)
    low = _by_name(first.word, second.word)
    return Roles(low, NAMES) if low is not None else Roles(0, "")


def verdict(low: DoseClue, high: DoseClue) -> Verdict:
    """The images chosen as low- and high-dose, checked against their clues."""
    roles = decide(low, high)
    if not roles.by:
        return Verdict(
            None,
            "Nothing in the files tells which is the low dose (no dose or exposure "
            'recorded, no "low" or "high" in the names): check the two are the right '
            "way round.",
        )
    if roles.low == 0:
        note = _names_disagree(low, high, roles.by)
        values = f"Low dose {low.shows(roles.by)}, high dose {high.shows(roles.by)}"
        return Verdict(True, f"{values}: decided by the {roles.by}.{note}")
    values = f"low dose {low.shows(roles.by)}, as high dose {high.shows(roles.by)}"
    return Verdict(
        False,
        f"By the {roles.by} these are the wrong way round (chosen as {values}): swap them, "
        "unless you know better.",
    )


def _names_disagree(low: DoseClue, high: DoseClue, by: str) -> str:
    """A word when the names say the opposite of the measure that decided."""
    if by != NAMES and _by_name(low.word, high.word) == 1:
        return " The names say the opposite: check."
    return ""
