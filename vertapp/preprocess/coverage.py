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
# The canal runs through the scan's whole spine: over 51-99 % of the slices that show bone
# on the real CTs here and their tilted, shifted and cut copies (28 % on a scan of one
# vertebra, 40 mm, where bone above and below belongs to its neighbours). Far less, and
# what was found is a few holes in something else (a skull-like sphere: 2 mm of 169), or
# the spine was lost for a hip bone: say so.
LOW_EXTENT = 0.2


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


def extent_warning(detected: np.ndarray, bone_slices: np.ndarray, spacing_mm: float) -> str | None:
    """A warning when the measured canal spans less than `LOW_EXTENT` of the slices that
    show bone (`bone_slices`: per-slice flags), else None."""
    cov = canal_coverage(detected, spacing_mm)
    bone = int(np.count_nonzero(bone_slices))
    if cov.span == 0 or bone == 0 or cov.span >= LOW_EXTENT * bone:
        return None
    return (
        f"canal found over only {cov.span * spacing_mm:.0f} mm, {100 * cov.span / bone:.0f} % "
        f"of the {bone * spacing_mm:.0f} mm of the scan that show bone: the MIP may miss "
        "vertebrae, or the scan shows no spine"
    )


def coverage_warning(detected: np.ndarray, spacing_mm: float) -> str | None:
    """A warning sentence when most of the spine's track is bridged, else None."""
    cov = canal_coverage(detected, spacing_mm)
    if cov.span == 0 or not cov.low:
        return None
    return cov.sentence() + ": check that the MIP holds every vertebra"


__all__ = [
    "LONG_GAP_MM",
    "LOW_EXTENT",
    "LOW_SHARE",
    "CanalCoverage",
    "bridged_slices",
    "canal_coverage",
    "coverage_warning",
    "extent_warning",
]
