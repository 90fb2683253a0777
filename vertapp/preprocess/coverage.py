"""How much of the canal track was measured, and how much bridged (no Qt).

The track has one canal centre per resampled slice. Where a circle was found on the
track the centre is measured; between measured slices it is bridged (interpolated),
and a reader should know which is which. Real CTs have the circle on 30-60 % of
slices (intervertebral levels, where the ring is open, and noisy slices): bridging
is normal, but when most of the spine is bridged the crop may miss a vertebra.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Real CTs that crop well measure 30-60 % of the spine's slices (34 % on the TotalSegmentator
# example, 42-62 % on three others): warn below that, or when one bridged stretch is longer
# than a vertebra is tall (25-30 mm lumbar), where a whole level could be off the track.
LOW_SHARE = 0.25
LONG_GAP_MM = 40.0


@dataclass(frozen=True)
class CanalCoverage:
    """Measured vs bridged slices of the track between its first and last measured slice."""

    measured: int  # slices with a canal circle on the track
    span: int  # slices from the first to the last measured one (the spine's extent)
    longest_gap_mm: float  # the longest bridged stretch
    spacing_mm: float = 1.0  # of the working grid the slices are counted on

    @property
    def share(self) -> float:
        return self.measured / self.span if self.span else 0.0

    @property
    def low(self) -> bool:
        return self.share < LOW_SHARE or self.longest_gap_mm > LONG_GAP_MM

    def sentence(self) -> str:
        if self.span == 0:
            return "no canal circle found: the canal track is a guess"
        return (
            # A share of the working grid's slices, no count: a 3 mm CT shows 112 axial
            # slices ("Axial 94/112" above this line) and is searched on 200 of 1 mm, and
            # "67 of 200 slices" beside "94/112" read as a contradiction.
            f"canal circle found on {100 * self.share:.0f} % of the "
            f"{self.spacing_mm:g} mm working slices; bridged elsewhere "
            f"(longest gap {self.longest_gap_mm:.0f} mm)"
        )


def canal_coverage(detected: np.ndarray, spacing_mm: float) -> CanalCoverage:
    """Coverage of a track from its per-slice `detected` flags (slices `spacing_mm` apart)."""
    flags = np.asarray(detected, dtype=bool)
    idx = np.flatnonzero(flags)
    if len(idx) == 0:
        return CanalCoverage(0, 0, 0.0)
    gaps = np.diff(idx) - 1  # bridged slices between consecutive measured ones
    longest = float(gaps.max()) if len(gaps) else 0.0
    return CanalCoverage(
        len(idx),
        int(idx[-1] - idx[0] + 1),
        (longest + 1) * spacing_mm * (longest > 0),
        spacing_mm,
    )


def bridged_slices(detected: np.ndarray) -> np.ndarray:
    """Indices of the slices bridged between the first and last measured one."""
    flags = np.asarray(detected, dtype=bool)
    idx = np.flatnonzero(flags)
    if len(idx) == 0:
        return idx
    inside = np.arange(idx[0], idx[-1] + 1)
    return inside[~flags[inside]]


def coverage_warning(detected: np.ndarray, spacing_mm: float) -> str | None:
    """A warning sentence when most of the spine's track is bridged, else None."""
    cov = canal_coverage(detected, spacing_mm)
    if cov.span == 0 or not cov.low:
        return None
    return cov.sentence() + ": check that the MIP holds every vertebra"


__all__ = [
    "LONG_GAP_MM",
    "LOW_SHARE",
    "CanalCoverage",
    "bridged_slices",
    "canal_coverage",
    "coverage_warning",
]
