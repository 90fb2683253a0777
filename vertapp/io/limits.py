"""Limits checked before a reader allocates: declared sizes against the memory there is.

A header is untrusted: 32,767 slices of 512 x 512 or a 1000 mm spacing resampled
to 1 mm would make numpy or ITK try to allocate tens of GB (or PiB). Every reader
asks `check_allocation` first and gets a one-line InputError instead.
"""

from __future__ import annotations

import os

from vertapp.errors import InputError

MAX_VOXELS = 2**31 - 1  # ITK and our int16 arrays index with 32-bit counts in places
MEMORY_SHARE = 0.7  # of the memory available now; the rest is the OS's and the window's
_FALLBACK_AVAILABLE = 8 * 1024**3


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable on Linux, physical pages elsewhere)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return _FALLBACK_AVAILABLE


def check_allocation(voxels: int, bytes_per_voxel: float, what: str, source: str) -> None:
    """InputError when `voxels` x `bytes_per_voxel` cannot be held in memory now."""
    if voxels > MAX_VOXELS:
        raise InputError(
            f"{source}: {what} of {voxels:,} voxels is more than the {MAX_VOXELS:,} supported"
        )
    need = voxels * bytes_per_voxel
    have = available_memory()
    if need > MEMORY_SHARE * have:
        raise InputError(
            f"{source}: {what} would need {need / 1024**3:.1f} GiB of memory, "
            f"{have / 1024**3:.1f} GiB are available"
        )
