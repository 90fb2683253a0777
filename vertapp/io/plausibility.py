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
MAX_LABEL = 1000  # label maps number their classes; TotalSegmentator uses < 120, VerSe 28
MAX_LABELS = 130  # distinct values in a label map (a CT has hundreds to thousands)
LABEL_SAMPLE = 2_000_000  # voxels looked at to decide (a strided sample of big volumes)
# The scanned box's longest side, in mm. A crop around one vertebra (VerSe's are about
# 100 mm) or a small-FOV spine scan is far above the floor; a whole-body CT (about 2 m)
# far below the ceiling. Spacing in the wrong unit misses them by 10x to 1000x: metres
# written as mm give a sub-millimetre "body", micrometres as mm a body of hundreds of m.
MIN_BODY_MM = 20.0  # smaller than one vertebral body
MAX_BODY_MM = 3000.0  # taller than any patient
# Head-to-feet coverage below which a scan holds less than two vertebrae. A vertebra with
# its disc is 25 mm (upper thoracic) to 40 mm (lumbar) tall, so 50 mm is two of the
# shortest. Under it the MIP is a strip of one vertebra or less, whose level cannot be
# told from its neighbours (VerSe crops around one vertebra are about 100 mm, whole
# trunks 300+ mm). Only a scan of plausible size is measured (see MIN_BODY_MM).
MIN_COVERAGE_MM = 50.0


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
    label_map = [m for m in [_label_map(array, lo, hi)] if m]
    if lo >= 0 and hi <= 255:
        return label_map + [
            f"values run from {lo} to {hi} only, like an 8-bit picture: "
            "this is not CT in Hounsfield units (the spine will not be found)"
        ]
    out = label_map
    if modality == "CT" and lo > AIR_HU:
        out.append(
            f"lowest value is {lo}, no air near -1000 HU: "
            "the data may not be CT Hounsfield units (an MR or a raw export?)"
        )
    if hi < BONE_HU:
        out.append(f"no voxel above {BONE_HU} HU (highest {hi}): no bone, no spine to find")
    return out


def _label_map(array: np.ndarray, lo: int, hi: int) -> str:
    """A segmentation saved as a volume: background 0 and a few whole-number labels."""
    if lo != 0 or hi > MAX_LABEL:
        return ""
    step = max(1, array.size // LABEL_SAMPLE)  # a strided sample: the values, not the layout
    values = np.unique(array.reshape(-1)[::step])
    background = float(np.mean(array.reshape(-1)[::step] == 0))
    if len(values) > MAX_LABELS or background < 0.5:
        return ""
    return (
        f"this looks like a segmentation (a label map: background 0 and {len(values) - 1} "
        f"label value(s) up to {hi}), not a CT scan: open the CT it was drawn on"
    )


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
    size = _body_size(volume)
    return out + (size or _coverage(volume))


def _coverage(volume: Volume) -> list[str]:
    """A slab of a few slices (a partial export, a localiser series): the MIP shows one
    vertebra or less, which opened without a word as a thin strip."""
    if volume.shape[0] < 2:
        return []  # a single slice has its own warning
    axis = int(np.argmax(np.abs(volume.direction[2, :])))  # the index axis nearest head-feet
    n = volume.shape[::-1][axis]
    mm = n * abs(volume.spacing[axis])
    if not np.isfinite(mm) or mm >= MIN_COVERAGE_MM:
        return []
    return [
        f"covers only {mm:.0f} mm head to feet ({n} slices), about one vertebra (each is "
        "25-40 mm tall with its disc): the MIP is a thin strip, and a vertebra's level "
        "cannot be told from its neighbours"
    ]


def _body_size(volume: Volume) -> list[str]:
    """A scan far smaller than a vertebra or far larger than a patient: the header's voxel
    spacing is in the wrong unit, and every size the pipeline measures would be wrong."""
    z, y, x = volume.shape
    sides = [n * abs(s) for n, s in zip((x, y, z), volume.spacing, strict=True)]
    longest = max(sides)
    if not np.isfinite(longest) or MIN_BODY_MM <= longest <= MAX_BODY_MM:
        return []  # non-finite geometry is refused by the readers in its own words
    size = " x ".join(f"{v:.3g}" for v in sides)
    spacing = " x ".join(f"{s:.3g}" for s in volume.spacing)
    if longest < MIN_BODY_MM:
        unit = (
            f"far smaller than a vertebra (over {MIN_BODY_MM:g} mm): the voxel spacing "
            f"({spacing} mm) is likely in the wrong unit, e.g. metres written as millimetres"
        )
    else:
        unit = (
            f"far larger than a patient (under {MAX_BODY_MM / 1000:g} m): the voxel spacing "
            f"({spacing} mm) is likely in the wrong unit, e.g. micrometres written as "
            "millimetres"
        )
    return [f"the scanned box is {size} mm, {unit}; fix the spacing in the file's header"]
