"""Is this really a CT the spine pipeline can use? Warnings in words, as data.

A file can be read perfectly and still not be what the CT pipeline expects: an
8-bit picture saved as NIfTI, an MR, an empty export, a scan without bone, slices
10 or 50 mm apart, a single slice. None of these is refused (a user may know
better), but each gets a plain sentence that the readers add to
`Volume.warnings`, `vertapp info` and `preprocess` print, and the window shows.
"""

from __future__ import annotations

import numpy as np

from vertapp.io.volume import Volume

THICK_SLICE_MM = 5.0  # beyond this, vertebrae (20-30 mm tall) get only a few slices each
AIR_HU = -500  # any CT has air around or inside the body below this
BONE_HU = 200  # cortical and trabecular bone lie above this


def volume_warnings(volume: Volume) -> list[str]:
    """Plain-language warnings about the content and geometry of `volume` (may be empty)."""
    out = _modality(volume) + _values(volume.array, volume.modality)
    out += _geometry(volume)
    return out


def _modality(volume: Volume) -> list[str]:
    if volume.modality and volume.modality != "CT":
        return [f"the file says {volume.modality}, not CT: values are not Hounsfield units"]
    return []


def _values(array: np.ndarray, modality: str) -> list[str]:
    if array.size == 0:
        return ["the volume holds no voxels"]
    lo, hi = int(array.min()), int(array.max())
    if lo == hi:
        return [f"every voxel has the value {lo}: the volume is empty (a blank export?)"]
    if lo >= 0 and hi <= 255:
        return [
            f"values run from {lo} to {hi} only, like an 8-bit picture: "
            "this is not CT in Hounsfield units (the spine will not be found)"
        ]
    out = []
    if modality == "CT" and lo > AIR_HU:
        out.append(
            f"lowest value is {lo}, no air near -1000 HU: "
            "the data may not be CT Hounsfield units (an MR or a raw export?)"
        )
    if hi < BONE_HU:
        out.append(f"no voxel above {BONE_HU} HU (highest {hi}): no bone, no spine to find")
    return out


def _geometry(volume: Volume) -> list[str]:
    out = []
    nz = volume.shape[0]
    if nz == 1:
        out.append("a single slice: a 3-D volume is needed to find the spinal canal")
    thickest = max(volume.spacing)
    if thickest > THICK_SLICE_MM:
        axis = "xyz"[int(np.argmax(volume.spacing))]
        out.append(
            f"voxels are {thickest:g} mm apart along {axis} (more than {THICK_SLICE_MM:g} mm): "
            "vertebrae get few slices and the canal may be missed"
        )
    return out
