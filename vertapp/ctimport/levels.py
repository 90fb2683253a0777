"""Label vocabularies: which vertebra a number in a label map stands for.

A label map's integers mean different things in different tools, so every import
goes through two steps:

1. vocabulary: raw id -> anatomical level name ("C7", "T12", "T13", "L6", "S1", "sacrum"),
   from VerSe numbering, TotalSegmentator's 'total' task (v2, or v1), a user's label table
   (JSON or CSV), or the names of segments / files (DICOM SEG, TotalSegmentator's folder);
2. policy: level -> one of the app's 17 classes T1..L5, or a reason it is left out.

Transitional vertebrae (T13, L6) are real vertebrae that the 17-class model cannot name.
They are counted from the top as VerSe counts them, so T1..T12 and L1..L5 keep their
names, and the extra vertebra is left unlabelled (never renamed to a neighbour, which would
shift every level below it); the image records it under "transitional" and the import
warns. Cervical, sacral and non-vertebra labels are outside the class set and skipped.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from pathlib import Path

from vertapp.errors import InputError
from vertapp.labels import VERTEBRAE

VOCABULARIES = ("verse", "totalseg", "totalseg_v1", "table")

# VerSe: 1-7 C1-C7, 8-19 T1-T12, 20-24 L1-L5, 25 L6, 26 sacrum, 28 T13 (27 unused).
VERSE: dict[int, str] = {
    **{i: f"C{i}" for i in range(1, 8)},
    **{i + 7: f"T{i}" for i in range(1, 13)},
    **{i + 19: f"L{i}" for i in range(1, 7)},
    26: "sacrum",
    28: "T13",
}

# TotalSegmentator v2 'total' task (totalsegmentator/map_to_binary.py, class_map["total"]):
# 25 sacrum, 26 vertebrae_S1, 27..31 L5..L1, 32..43 T12..T1, 44..50 C7..C1.
TOTALSEG: dict[int, str] = {
    25: "sacrum",
    26: "S1",
    **{32 - i: f"L{i}" for i in range(1, 6)},
    **{44 - i: f"T{i}" for i in range(1, 13)},
    **{51 - i: f"C{i}" for i in range(1, 8)},
}

# TotalSegmentator v1 (class_map["total_v1"]): 18..22 L5..L1, 23..34 T12..T1, 35..41 C7..C1,
# 92 sacrum. Same file format as v2 with other numbers: the user must say which.
TOTALSEG_V1: dict[int, str] = {
    **{23 - i: f"L{i}" for i in range(1, 6)},
    **{35 - i: f"T{i}" for i in range(1, 13)},
    **{42 - i: f"C{i}" for i in range(1, 8)},
    92: "sacrum",
}

_RANGES = {"C": 7, "T": 13, "L": 6, "S": 5}
_SHORT = re.compile(r"^(?:VERTEBRAE?)?(C|TH|T|L|S)(\d{1,2})(?:VERTEBRAE?)?$")
_LONG = re.compile(r"^(CERVICAL|THORACIC|LUMBAR|SACRAL)VERTEBRA[E]?(\d{1,2})$")
_LONG_LETTER = {"CERVICAL": "C", "THORACIC": "T", "LUMBAR": "L", "SACRAL": "S"}

TRANSITIONAL = ("T13", "L6")
CLASSES = frozenset(VERTEBRAE)


def parse_level(name: object) -> str | None:
    """Canonical level of a label name ('vertebrae_L1', 'Th12', 'L 5', 'T12 vertebra',
    'Lumbar vertebra 3', 'sacrum'), or None when it names no vertebra."""
    text = re.sub(r"[\s_\-.]+", "", str(name)).upper()
    if text in ("SACRUM", "VERTEBRAESACRUM"):
        return "sacrum"
    m = _SHORT.match(text)
    letter, number = (m.group(1)[0], m.group(2)) if m else (None, None)
    if m is None:
        m = _LONG.match(text)
        if m is None:
            return None
        letter, number = _LONG_LETTER[m.group(1)], m.group(2)
    n = int(number)  # type: ignore[arg-type]
    return f"{letter}{n}" if letter and 1 <= n <= _RANGES[letter] else None


def class_of(level: str) -> str | None:
    """The app's class (T1..L5) for a level, or None when it has none."""
    return level if level in CLASSES else None


def drop_reason(level: str) -> str:
    """Why a level is left out of the annotations."""
    if level in TRANSITIONAL:
        return "transitional"
    return "outside T1..L5"


def builtin_vocabulary(name: str) -> dict[int, str]:
    if name == "verse":
        return dict(VERSE)
    if name == "totalseg":
        return dict(TOTALSEG)
    if name == "totalseg_v1":
        return dict(TOTALSEG_V1)
    raise InputError(f"unknown vocabulary {name!r}; expected one of {', '.join(VOCABULARIES)}")


def read_label_table(path: Path | str) -> dict[int, str]:
    """A label table: JSON {"12": "L1", ...} (optionally under "labels") or CSV rows
    `id,name` (a header row is skipped). Names are level names; others are ignored."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read the label table ({err})") from None
    raw = _json_table(text, path) if path.suffix.lower() == ".json" else _csv_table(text, path)
    if not raw:
        raise InputError(f"{path}: the label table lists no labels")
    return raw


def _json_table(text: str, path: Path) -> dict[int, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not valid JSON (line {err.lineno}: {err.msg})") from None
    if isinstance(data, dict) and isinstance(data.get("labels"), dict):
        data = data["labels"]
    if not isinstance(data, dict):
        raise InputError(f'{path}: expected an object {{"<id>": "<name>", ...}}')
    return _table_items(data.items(), path)


def _csv_table(text: str, path: Path) -> dict[int, str]:
    rows = [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
    if rows and not rows[0][0].strip().lstrip("-").isdigit():
        rows = rows[1:]  # header
    if any(len(r) < 2 for r in rows):
        raise InputError(f"{path}: every CSV row needs two columns: id,name")
    return _table_items(((r[0], r[1]) for r in rows), path)


def _table_items(items, path: Path) -> dict[int, str]:  # type: ignore[no-untyped-def]
    out: dict[int, str] = {}
    for key, value in items:
        try:
            label_id = int(str(key).strip())
        except ValueError:
            raise InputError(f"{path}: label id {key!r:.30} is not an integer") from None
        if label_id <= 0:
            raise InputError(f"{path}: label id {label_id} must be positive (0 is background)")
        out[label_id] = str(value).strip()
    return out


def levels_from_names(names: Mapping[int, str]) -> dict[int, str]:
    """Raw id -> level for a table of names; names that are no vertebra are left out."""
    out = {}
    for label_id, name in names.items():
        level = parse_level(name)
        if level is not None:
            out[int(label_id)] = level
    return out
