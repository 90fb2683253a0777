"""Class vocabularies shared by every layer.

CT: 17 vertebra classes T1..T12, L1..L5 with COCO category ids 1..17 in that
order (0 is background, 18 classes in all, as in the CT paper).
Radiographs: vertebra parts, as in the X-ray paper.
"""

from __future__ import annotations

THORACIC = tuple(f"T{i}" for i in range(1, 13))
LUMBAR = tuple(f"L{i}" for i in range(1, 6))
VERTEBRAE: tuple[str, ...] = THORACIC + LUMBAR
NUM_VERTEBRAE = len(VERTEBRAE)  # 17
NUM_CLASSES_WITH_BG = NUM_VERTEBRAE + 1  # 18

VERTEBRA_ID: dict[str, int] = {name: i + 1 for i, name in enumerate(VERTEBRAE)}
ID_VERTEBRA: dict[int, str] = {i: name for name, i in VERTEBRA_ID.items()}

PARTS: tuple[str, ...] = ("body", "spinous_process", "pedicle", "transverse_process")
PART_ID: dict[str, int] = {name: i + 1 for i, name in enumerate(PARTS)}
UNKNOWN = "unknown"  # the vertebra of a part whose level nobody set

# VerSe numbering (used by TotalSegmentator's vertebra outputs): 8..19 = T1..T12,
# 20..24 = L1..L5 (25 = L6, 26 = sacrum). Our id = VerSe id - 7.
VERSE_OFFSET = 7


def verse_to_vertebra_id(verse_id: int) -> int | None:
    """Map a VerSe label to our category id, or None outside T1..L5."""
    ours = int(verse_id) - VERSE_OFFSET
    return ours if 1 <= ours <= NUM_VERTEBRAE else None


def supercategory(name: str) -> str:
    if name in THORACIC:
        return "thoracic"
    if name in LUMBAR:
        return "lumbar"
    return "vertebra_part"


def vertebra_range(first: str, last: str) -> tuple[str, ...]:
    """Contiguous labels from `first` to `last` inclusive, e.g. ("T11", "L2")."""
    a, b = VERTEBRA_ID[first], VERTEBRA_ID[last]
    if a > b:
        raise ValueError(f"{first} comes after {last}")
    return VERTEBRAE[a - 1 : b]
