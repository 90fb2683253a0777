"""What a saved project holds, read cheaply: its images' kinds, for a menu entry.

File > Open recent describes each project ("4 images · CT MIP") without opening it, and
the menu is built each time it is shown. A big project.json is tens of MB, nearly all of
it annotations; the layout `coco.snapshot_chunks` writes puts the images first, one per
line, so only those lines are read. Another layout (a hand edit, an older file) is
parsed whole when it is small; otherwise, or when reading fails, the answer is None.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from vertapp.annotations.coco import ANNOTATIONS_LINE, IMAGES_LINE
from vertapp.annotations.store import PROJECT_FILE

MAX_READ = 4 << 20  # bytes of image lines read at most (~10^4 images)
MAX_WHOLE = 2 << 20  # a file in another layout is parsed whole up to this size


def image_kinds(project_dir: Path | str) -> list[str] | None:
    """Each image's kind ("mip", "radiograph") in the project's order; None if unknown."""
    path = Path(project_dir) / PROJECT_FILE
    try:
        stat = path.stat()
    except OSError:
        return None
    return _kinds(str(path), stat.st_mtime_ns, stat.st_size)  # cached per file version


@lru_cache(maxsize=64)
def _kinds(path: str, _mtime_ns: int, size: int) -> list[str] | None:
    try:
        with open(path, "rb") as f:
            kinds = _line_kinds(f)
            if kinds is None and size <= MAX_WHOLE:
                f.seek(0)
                kinds = [_kind(rec) for rec in json.loads(f.read())["images"]]
        return kinds
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _line_kinds(f: BinaryIO) -> list[str] | None:
    """Kinds from the image lines, stopping at the annotations; None: not that layout."""
    first = f.readline(MAX_READ)
    if not (first.startswith(b"{") and first.endswith(IMAGES_LINE)):
        return None
    kinds: list[str] = []
    read = len(first)
    for line in f:
        if line == ANNOTATIONS_LINE:
            return kinds
        read += len(line)
        if read > MAX_READ:
            return None
        kinds.append(_kind(json.loads(line.rstrip(b",\n"))))
    return None


def _kind(record: dict[str, Any]) -> str:
    return str((record.get("vertapp") or {}).get("kind", "mip"))


__all__ = ["image_kinds"]
