"""Finding NaN voxels in float NIfTI files, which ITK's reader silently turns into 0.

A NaN in a CT is missing data, not air or water: reading it as 0 HU would put
water where nothing was measured. So for float NIfTI files the raw voxel
block is scanned (streamed, chunk by chunk) before SimpleITK's array is used.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path
from typing import IO

import numpy as np

_FLOAT_TYPES = {16: "f4", 64: "f8"}  # NIfTI datatype codes
_CHUNK = 1 << 24


def count_nonfinite_nifti(path: Path) -> int:
    """Number of NaN/inf voxels in a float NIfTI-1/2 file; 0 for integer data or other files."""
    name = path.name.lower()
    if not name.endswith((".nii", ".nii.gz")):
        return 0
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rb") as fh:  # type: ignore[operator]
        layout = _float_layout(fh.read(540))
        if layout is None:
            return 0
        dtype, offset = layout
        fh.seek(offset)
        return _count_stream(fh, dtype)  # type: ignore[arg-type]


def _float_layout(header: bytes) -> tuple[np.dtype, int] | None:
    for endian in "<>":
        if len(header) >= 348 and struct.unpack(endian + "i", header[:4])[0] == 348:
            code = struct.unpack(endian + "h", header[70:72])[0]
            offset = int(struct.unpack(endian + "f", header[108:112])[0])
        elif len(header) >= 540 and struct.unpack(endian + "i", header[:4])[0] == 540:
            code = struct.unpack(endian + "h", header[12:14])[0]
            offset = int(struct.unpack(endian + "q", header[168:176])[0])
        else:
            continue
        kind = _FLOAT_TYPES.get(code)
        return None if kind is None else (np.dtype(endian + kind), max(offset, 348))
    return None


def _count_stream(fh: IO[bytes], dtype: np.dtype) -> int:
    bad, rest = 0, b""
    while chunk := fh.read(_CHUNK):
        data = rest + chunk
        usable = len(data) - len(data) % dtype.itemsize
        values = np.frombuffer(data[:usable], dtype=dtype)
        bad += int(values.size - np.count_nonzero(np.isfinite(values)))
        rest = data[usable:]
    return bad
