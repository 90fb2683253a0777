"""Checks shared by every importer: types, ids, sizes. All failures are FormatError.

An importer builds a `Where` for the record it is reading so the one-line error
names the file and the record ("project.json: annotations[12] (id 57): ...").
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.errors import FormatError

#: Largest accepted image side and pixel count (a mask of this size is ~400 MB).
MAX_SIDE = 100_000
MAX_PIXELS = 400_000_000
#: Largest accepted polygon, and vertices in one file.
MAX_POLYGON_VERTICES = 100_000
MAX_FILE_VERTICES = 50_000_000
#: Largest accepted annotation file.
MAX_FILE_BYTES = 2 * 1024**3


class Where:
    """Names a record for error messages: Where("a.json").sub("images", 3, id=7).

    Built for every record read, so it only stores its parts; the text is made
    when an error needs it.
    """

    __slots__ = ("file", "_parent", "_name", "_index", "_ids")

    def __init__(
        self,
        file: str,
        parent: Where | None = None,
        name: str = "",
        index: int | None = None,
        ids: dict[str, Any] | None = None,
    ) -> None:
        self.file = file
        self._parent, self._name, self._index, self._ids = parent, name, index, ids

    def sub(self, name: str, index: int | None = None, **ids: Any) -> Where:
        return Where(self.file, self, name, index, ids or None)

    @property
    def record(self) -> str:
        if not self._name:
            return ""
        part = self._name if self._index is None else f"{self._name}[{self._index}]"
        if self._ids:
            part += " (" + ", ".join(f"{k} {v!r:.40}" for k, v in self._ids.items()) + ")"
        parent = self._parent.record if self._parent is not None else ""
        return f"{parent}.{part}" if parent else part

    def __str__(self) -> str:
        rec = self.record
        return f"{self.file}: {rec}" if rec else self.file

    def error(self, message: str) -> FormatError:
        return FormatError(f"{self}: {message}")


def regular_file_size(path: Path) -> int:
    """The size of `path`; FormatError for a pipe, device or socket, which are never opened
    (a named pipe blocks `open` forever, /dev/zero never ends)."""
    st = path.stat()
    if stat.S_ISDIR(st.st_mode):
        raise FormatError(f"{path}: a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise FormatError(f"{path}: not a regular file (a pipe, device or socket)")
    return st.st_size


def read_json(path: Path | str) -> Any:
    """json.load with size limit; any problem -> FormatError naming the file."""
    p = Path(path)
    try:
        size = regular_file_size(p)
        if size > MAX_FILE_BYTES:
            raise FormatError(f"{p}: file is {size} bytes, more than the {MAX_FILE_BYTES} allowed")
        with open(p, "rb") as f:
            raw = f.read()
    except OSError as err:
        raise FormatError(f"{p}: cannot read ({err.strerror or err})") from None
    return parse_json(raw, str(p))


def parse_json(raw: bytes | str, name: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as err:  # JSONDecodeError, UnicodeDecodeError
        raise FormatError(f"{name}: not valid JSON ({err})") from None


def need_dict(obj: Any, where: Where) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise where.error(f"expected an object, got {type(obj).__name__}")
    return obj


def need_list(obj: Any, where: Where) -> list[Any]:
    if not isinstance(obj, list):
        raise where.error(f"expected a list, got {type(obj).__name__}")
    return obj


def need_int(
    obj: Any, where: Where, name: str, *, lo: int | None = None, hi: int | None = None
) -> int:
    if type(obj) is not int:
        if type(obj) is float and obj.is_integer() and abs(obj) < 2**53:
            obj = int(obj)  # some tools write 640.0 for a width
        else:
            raise where.error(f"'{name}' must be an integer, got {obj!r:.40}")
    if (lo is not None and obj < lo) or (hi is not None and obj > hi):
        raise where.error(f"'{name}' = {obj} is out of range [{lo}, {hi}]")
    return obj


def need_str(obj: Any, where: Where, name: str, *, max_len: int = 4096) -> str:
    if not isinstance(obj, str) or not obj or len(obj) > max_len:
        raise where.error(f"'{name}' must be a non-empty string, got {obj!r:.40}")
    return obj


def opt_str(obj: Any, where: Where, name: str) -> str | None:
    return None if obj is None else need_str(obj, where, name)


def need_number(obj: Any, where: Where, name: str) -> float:
    if type(obj) not in (int, float) or not np.isfinite(obj):
        raise where.error(f"'{name}' must be a finite number, got {obj!r:.40}")
    return float(obj)


def image_size(width: Any, height: Any, where: Where) -> tuple[int, int]:
    w = need_int(width, where, "width", lo=1, hi=MAX_SIDE)
    h = need_int(height, where, "height", lo=1, hi=MAX_SIDE)
    if w * h > MAX_PIXELS:
        raise where.error(f"image of {w} x {h} pixels is larger than {MAX_PIXELS} pixels")
    return w, h


def points_array(obj: Any, where: Where, *, flat: bool) -> np.ndarray:
    """(N, 2) float64 from a flat [x0, y0, ...] list (flat=True) or [[x, y], ...]."""
    if not isinstance(obj, list):
        raise where.error(f"polygon must be a list, got {type(obj).__name__}")
    n = len(obj) // 2 if flat else len(obj)
    if n > MAX_POLYGON_VERTICES:
        raise where.error(f"polygon has {n} vertices, more than {MAX_POLYGON_VERTICES}")
    try:
        arr = np.asarray(obj)
    except (ValueError, TypeError, OverflowError):
        raise where.error("polygon holds something other than numbers") from None
    if arr.dtype.kind not in "if" or arr.size == 0:
        raise where.error("polygon holds something other than numbers")
    if flat:
        if arr.ndim != 1 or arr.size % 2:
            raise where.error(f"flat polygon must hold an even count of numbers, got {arr.shape}")
        arr = arr.reshape(-1, 2)
    elif arr.ndim != 2 or arr.shape[1] != 2:
        raise where.error(f"polygon must be [[x, y], ...], got shape {arr.shape}")
    arr = check_coordinates(arr.astype(np.float64), where)
    if len(arr) < 3:
        raise where.error(f"polygon has {len(arr)} vertices; at least 3 are needed")
    return arr


def check_coordinates(arr: np.ndarray, where: Where) -> np.ndarray:
    """`arr` if every coordinate is finite and within 10 image sides of the origin.

    Every shape goes through this before pycocotools rasterises it: huge values
    (a VIA circle of radius 1e300) crash its C code.
    """
    with np.errstate(all="ignore"):
        bad = not np.isfinite(arr).all() or np.abs(arr).max(initial=0) > 10 * MAX_SIDE
    if bad:
        raise where.error("polygon has a non-finite or absurd coordinate")
    return arr


class VertexBudget:
    """Counts vertices read from one file and refuses absurd totals."""

    def __init__(self, file: str, limit: int = MAX_FILE_VERTICES) -> None:
        self.file, self.limit, self.count = file, limit, 0

    def take(self, n: int, where: Where) -> None:
        self.count += n
        if self.count > self.limit:
            raise where.error(f"file holds more than {self.limit} polygon vertices")
