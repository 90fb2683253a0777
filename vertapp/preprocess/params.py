"""Parameters of the CT preprocessing (paper steps 1-6), with anatomical defaults.

Defaults and why:
- `spacing_mm=1.0`, `hu_min=100`, `hu_max=1500`: the CT paper's isotropic 1 mm grid and
  bone window.
- `rmin_mm=3.5`: the narrowest canals, severe lumbar stenosis (AP ~10 mm) and the
  flattened lower sacral canal, still hold a circle of radius ~4-5 mm, less ~0.5 mm of
  partial volume on a 1 mm grid; below 3.5 mm a hole is a vessel channel, a nutrient
  foramen or a trabecular gap, not the canal. (4 mm missed a quarter of the sacral
  slices of the scoliotic phantoms, whose sacral canal has radius 4.2-4.7 mm.)
- `rmax_mm=15.0`: the widest normal canal (upper lumbar, ~25 mm wide by ~18 mm deep)
  holds a circle of radius ~9-12 mm; 15 mm leaves margin. Free space enclosed by bone
  that holds a bigger circle (pelvic ring, a closed rib cage) is still recorded, with the
  radius stopped at Rmax as in the paper, but flagged `capped` and never taken as canal.
- `smooth_mm=1.0`: sigma of the in-plane Gaussian whose smoothed slice must also pass
  `hu_min` for a pixel to count as bone in the canal search. Thin slices with sharp
  kernels carry 50-90 HU of noise (VerSe sub-verse005: 91 HU, a fifth of its soft tissue
  above 100 HU); 1 mm cuts that ~3.5x, enough to veto isolated spikes, and still keeps a
  0.5 mm lamina at 450 HU (220 HU smoothed). It does not change the MIP.
- `close_mm=1.5`: closing radius that seals partial-volume gaps in thin cortex before the
  enclosure test; small enough that an intervertebral foramen (>= 5 mm) stays open, so
  slices through foramina/discs honestly report no enclosed canal.
- `half_width_mm=30`: lateral half-width of the projected slab around the canal track:
  covers the vertebral body (lumbar ~50 mm wide), pedicles, lamina and spinous process,
  and stays medial to the sacro-iliac joints / iliac wings (>= ~45 mm from the midline
  at L5-S1), so hip bones cannot hide L5.
- `anterior_mm=80`, `posterior_mm=70`: canal centre to the front of the body
  (canal radius + body depth, <= ~60 mm) and to the tip of the spinous process (<= ~55 mm).
- `gap_max_mm=40`, `step_base_mm=3`, `step_slope=0.58`, `step_max_mm=15`: the canal track
  may skip up to 40 mm of slices without an enclosed canal (disc + foramen levels) and
  move `min(3 + tan(30 deg) * dz, 15)` mm in-plane across a gap of dz mm (a patient
  tilted up to 30 degrees, a scoliotic curve; per slice the 3 mm tolerance covers steeper
  runs such as the sacrum's), but never jumps sideways onto a hip-bone circle (>= 40 mm
  off the canal) or forwards into a vertebral body's marrow (>= 18 mm in front of the
  canal centre). The slope was 1.0 (45 degrees): it let the chain step from L5's dark
  marrow onto the canal 11 mm behind across an 8 mm gap (sub-verse006).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from vertapp.errors import VertAppError


@dataclass(frozen=True)
class PreprocessParams:
    spacing_mm: float = 1.0
    hu_min: float = 100.0
    hu_max: float = 1500.0
    rmin_mm: float = 3.5
    rmax_mm: float = 15.0
    close_mm: float = 1.5
    smooth_mm: float = 1.0
    k_clusters: int = 3
    half_width_mm: float = 30.0
    anterior_mm: float = 80.0
    posterior_mm: float = 70.0
    margin_z_mm: float = 30.0
    gap_max_mm: float = 40.0
    step_base_mm: float = 3.0
    step_slope: float = 0.58  # tan(30 deg)
    step_max_mm: float = 15.0
    slab_slices: int = 32  # slices per resample/detect batch (progress + cancel granularity)
    max_circles_per_slice: int = 4

    def __post_init__(self) -> None:
        if self.spacing_mm <= 0:
            raise VertAppError(f"spacing must be > 0 mm, got {self.spacing_mm}")
        if self.hu_min >= self.hu_max:
            raise VertAppError(f"hu-min ({self.hu_min}) must be below hu-max ({self.hu_max})")
        if not 0 < self.rmin_mm < self.rmax_mm:
            raise VertAppError(f"need 0 < rmin < rmax, got {self.rmin_mm} and {self.rmax_mm}")
        if self.smooth_mm < 0:
            raise VertAppError(f"smoothing must be >= 0 mm, got {self.smooth_mm}")
        if self.k_clusters < 1 or self.slab_slices < 1:
            raise VertAppError("k_clusters and slab_slices must be >= 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PreprocessParams:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
