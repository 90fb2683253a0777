"""Bringing any voxel data to int16 Hounsfield units, saying what was changed.

int16 holds every real CT value (-1024 .. ~3071, metal up to ~30000). Data
outside that range is clipped, with a warning; float data is rounded, with a note
only (HU are whole numbers on every scanner: rounding loses nothing a reader of the
scan sees); NaN or infinite voxels are refused because no HU value can stand for them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vertapp.errors import InputError

INT16_MIN, INT16_MAX = -32768, 32767


@dataclass
class HUConversion:
    """Counts gathered while converting, turned into warnings and notes at the end."""

    clipped: int = 0
    rounded: bool = False

    def store(self, values: np.ndarray, out: np.ndarray, source: str) -> None:
        """Write `values` into the int16 array `out` (same shape)."""
        if np.issubdtype(values.dtype, np.floating):
            values = self._round(values, source)
        lo, hi = values.min(initial=0), values.max(initial=0)
        if lo < INT16_MIN or hi > INT16_MAX:
            self.clipped += int(np.count_nonzero((values < INT16_MIN) | (values > INT16_MAX)))
            values = np.clip(values, INT16_MIN, INT16_MAX)
        out[...] = values

    def store_stored(
        self, stored: np.ndarray, slope: float, intercept: float, out: np.ndarray, source: str
    ) -> None:
        """Rescale raw stored integers into `out`; one pass when the result surely fits int16."""
        if slope == 1.0 and float(intercept).is_integer():
            shift = int(intercept)
            lo, hi = int(stored.min()) + shift, int(stored.max()) + shift
            if lo >= INT16_MIN and hi <= INT16_MAX:
                # int32 operands: a negative intercept on uint16 pixels (the usual
                # scanner encoding) must not be cast to the stored dtype.
                np.add(stored, np.int32(shift), out=out, casting="unsafe")
                return
            self.store(stored.astype(np.int32) + shift, out, source)
            return
        self.store(stored.astype(np.float64) * slope + intercept, out, source)

    def _round(self, values: np.ndarray, source: str) -> np.ndarray:
        finite = np.isfinite(values)
        if not finite.all():
            bad = int(values.size - np.count_nonzero(finite))
            raise InputError(f"{source}: volume contains {bad} NaN or infinite voxel values")
        rounded = np.rint(values)
        if not self.rounded and not np.array_equal(rounded, values):
            self.rounded = True
        return rounded

    def warnings(self) -> list[str]:
        """Values changed beyond recognition: the user should know before annotating."""
        if self.clipped:
            return [f"{self.clipped} voxels outside the int16 range were clipped"]
        return []

    def notes(self) -> list[str]:
        """Information only (VerSe's float CTs: three of four real ones were rounded)."""
        return ["float voxel values were rounded to whole HU (int16)"] if self.rounded else []


def to_int16_hu(values: np.ndarray, source: str) -> tuple[np.ndarray, list[str], list[str]]:
    """A new int16 array of `values`, and the warnings and notes the conversion produced."""
    conv = HUConversion()
    out = np.empty(values.shape, dtype=np.int16)
    if values.dtype == np.int16:
        out[...] = values
    else:
        conv.store(values, out, source)
    return out, conv.warnings(), conv.notes()


def hu_plausibility_warnings(array: np.ndarray) -> list[str]:
    """A CT covers air around the body; no air at all hints at MR or a raw export."""
    if array.size and int(array.min()) > -500:
        return [
            f"lowest value is {int(array.min())}, no air near -1000 HU: "
            "the data may not be CT Hounsfield units"
        ]
    return []
