"""Label names from other tools: normalisation ("t12" -> "T12", "L 1" -> "L1") and mapping."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from vertapp import labels as vocab
from vertapp.errors import VertAppError

_VERTEBRA = re.compile(r"^\s*(th|t|l)\s*[-_ ]?\s*0*(\d{1,2})\s*$", re.IGNORECASE)
_PART_ALIASES = {
    "body": "body",
    "vertebral_body": "body",
    "spinous": "spinous_process",
    "spinous_process": "spinous_process",
    "pedicle": "pedicle",
    "pedicles": "pedicle",
    "transverse": "transverse_process",
    "transverse_process": "transverse_process",
}


def normalise_label(name: str) -> str:
    """Canonical spelling of a vertebra or part name; other names come back stripped.

    "t12", "T 12", "Th12", "t-12", "L01" -> "T12"/"L1"; "Spinous Process" -> "spinous_process".
    """
    text = str(name).strip()
    m = _VERTEBRA.match(text)
    if m:
        letter = "T" if m.group(1).lower() in ("t", "th") else "L"
        candidate = f"{letter}{int(m.group(2))}"
        if candidate in vocab.VERTEBRAE:
            return candidate
    key = re.sub(r"[\s\-]+", "_", text.lower())
    return _PART_ALIASES.get(key, text)


def parse_map_args(items: Iterable[str]) -> dict[str, str]:
    """CLI `--map OLD=NEW` items -> dict; refuses items without '='."""
    mapping: dict[str, str] = {}
    for item in items:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise VertAppError(f"--map expects OLD=NEW, got {item!r}")
        mapping[old.strip()] = new.strip()
    return mapping


def map_label(name: str, mapping: Mapping[str, str] | None = None) -> str:
    """Apply an explicit mapping (exact name first, then normalised name), then normalise."""
    if mapping:
        if name in mapping:
            return normalise_label(mapping[name])
        norm = normalise_label(name)
        for old, new in mapping.items():
            if normalise_label(old) == norm:
                return normalise_label(new)
    return normalise_label(name)


def infer_label_set(names: Iterable[str]) -> str:
    """ "vertebrae" when every name is T1..L5, "parts" when every one is a part, else "custom"."""
    found = set(names)
    if found <= set(vocab.VERTEBRAE):
        return "vertebrae"
    if found <= set(vocab.PARTS):
        return "parts"
    return "custom"
