"""The back-projection as one cancellable job, and `BackProjector` for repeated use.

`BackProjector(volume, result)` does the mask-independent work once (rays, candidate bone
with marrow); `job(footprint)` then labels the vertebrae in 3D, and `slice_preview` gives
a footprint-only label slice at once (no 3D separation) for a view that must not wait.
A window re-running the back-projection after each edit keeps one BackProjector per CT.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi

from vertapp.backproject.bone import peel_to_edge, smoothed_bone, with_marrow
from vertapp.backproject.footprint import AMBIGUOUS
from vertapp.backproject.rays import Rays, compute_rays
from vertapp.backproject.separate import erosion_structure, separate
from vertapp.errors import InputError
from vertapp.io.volume import Volume
from vertapp.jobs import Job, Progress, run_job, sub_job
from vertapp.labels import ID_VERTEBRA
from vertapp.preprocess.result import MipResult

SLAB_MARGIN_MM = 10.0  # recomputed beyond the changed vertebrae and their neighbours


@dataclass(frozen=True)
class BackprojectParams:
    """Defaults and why: see docs/backproject.md.

    - `bone_hu=None`: the preprocessing's bone threshold (hu_min, 100 HU), the bone the MIP
      showed; darker marrow comes in through hole filling, not a lower threshold.
    - `half_width_mm=45`: lumbar transverse processes reach ~45 mm from the canal.
    - `close_mm=2`: seals cortex and endplate gaps up to ~4 mm before filling.
    - `max_hole_mm2=2500`: larger than any vertebral body's section (L5 ~ 50 x 40 mm).
    - `erode_mm=1`: opens joint spaces and partial-volume contacts between neighbours.
    - `smooth_mm=0.7`, `min_bone_mm3=30`: noise lifts soft tissue above 100 HU in single
      voxels; a light blur and dropping specks keep it out, thin cortex stays.
    - `edge_mm=3`, `soft_hu=40`, `edge_fraction=0.25`: the 100 HU threshold that keeps
      thin cortex connected also takes a partial-volume rim outside the bone; surface voxels
      darker than soft tissue + 0.25 x (brightest bone within 3 mm - soft tissue) are
      peeled off (one voxel). Half maximum (0.5) is the textbook edge of a blurred step
      and suits the phantoms, but manual labels on real scans are drawn more generously
      (0.5 cost 0.01-0.1 Dice on them, 0.2-0.3 gained ~0.01); `edge_mm=0` turns it off.
    - `min_other_mm3=500`: bone on a vertebra's rays but not connected to any vertebra once
      eroded (sacrum, ilium, ribs) seeds "not a vertebra" from this size on (a rib head
      is ~1 ml); smaller crumbs may be the vertebra's own thin cortex.
    - `tolerance_px=1`: footprint edge pixels left to connectivity (mask drawing error).
    """

    bone_hu: float | None = None
    half_width_mm: float = 45.0
    close_mm: float = 2.0
    max_hole_mm2: float = 2500.0
    erode_mm: float = 1.0
    smooth_mm: float = 0.7
    min_bone_mm3: float = 30.0
    edge_mm: float = 3.0
    soft_hu: float = 40.0
    edge_fraction: float = 0.25
    tolerance_px: int = 1
    min_other_mm3: float = 500.0
    outside_seeds: bool = True


@dataclass
class BackProjection:
    """3D vertebra labels on the CT's (LPS-reoriented) grid, and what was left over."""

    labels: np.ndarray  # uint8 (z, y, x) like the Volume: 0 or 1..17 = T1..L5
    voxel_mm3: float
    unclaimed_voxels: int  # candidate bone on the masks' rays that no vertebra took
    counts: dict[str, int] = field(default_factory=dict)  # voxels per vertebra
    warnings: list[str] = field(default_factory=list)
    footprint: np.ndarray | None = field(default=None, repr=False)  # the masks it came from

    def volume_ml(self, name: str) -> float:
        return self.counts.get(name, 0) * self.voxel_mm3 / 1000.0


class BackProjector:
    """Mask-independent preparation for one (CT, preprocessing) pair; see module doc."""

    def __init__(
        self, volume: Volume, result: MipResult, params: BackprojectParams | None = None
    ) -> None:
        run_job(self._prepare(volume, result, params))

    @classmethod
    def prepare_job(
        cls, volume: Volume, result: MipResult, params: BackprojectParams | None = None
    ) -> Job[BackProjector]:
        """The constructor as a cancellable job (for a worker thread)."""
        self = cls.__new__(cls)
        yield from self._prepare(volume, result, params)
        return self

    def _prepare(
        self, volume: Volume, result: MipResult, params: BackprojectParams | None
    ) -> Job[None]:
        self.volume, self.result = volume, result
        self.params = p = params or BackprojectParams()
        yield Progress("rays", 0.0, "rays of the MIP on the CT grid")
        self.rays: Rays = compute_rays(volume, result, p.half_width_mm)
        self.hu = volume.array[self.rays.box]
        rows = np.where(self.rays.inside, self.rays.row, np.iinfo(np.int16).max)
        self._row_min = rows.reshape(len(rows), -1).min(axis=1)
        self._row_max = self.rays.row.reshape(len(rows), -1).max(axis=1)
        bone_hu = result.params.hu_min if p.bone_hu is None else p.bone_hu
        yield Progress("bone", 0.05, "bone (smoothed HU)")
        bone, smooth = smoothed_bone(self.hu, volume.spacing, bone_hu, p.smooth_mm, p.min_bone_mm3)
        self.outside_bone = bone & ~self.rays.inside if p.outside_seeds else None
        bone &= self.rays.inside
        yield Progress("marrow", 0.1, "marrow enclosed by the bone")
        bone = with_marrow(bone, volume.spacing, p.close_mm, p.max_hole_mm2)
        yield Progress("edges", 0.25, "bone edges")
        self.bone = (
            peel_to_edge(bone, smooth, volume.spacing, p.edge_mm, p.soft_hu, p.edge_fraction)
            if p.edge_mm
            else bone
        )

    @property
    def mip_shape(self) -> tuple[int, int]:
        return tuple(self.result.mip.shape)  # type: ignore[return-value]

    def check_footprint(self, footprint: np.ndarray) -> None:
        if footprint.shape != self.mip_shape:
            rows, cols = self.mip_shape
            raise InputError(
                f"the masks are {footprint.shape[1]}x{footprint.shape[0]} px but this CT's MIP "
                f"is {cols}x{rows} px: the masks belong to another image"
            )

    def job(
        self, footprint: np.ndarray, previous: BackProjection | None = None
    ) -> Job[BackProjection]:
        """3D labels for a footprint image (`footprint.py`), yielding Progress per step.

        With `previous` (this projector's result for earlier masks), only the slab of CT
        slices around the vertebrae whose masks changed (and their neighbours) is
        recomputed; the rest is kept. An edit of one vertebra then costs a few of them."""
        self.check_footprint(footprint)
        yield Progress("masks", 0.0, "masks on the rays")
        slab, involved = self._changed_slab(footprint, previous)
        if slab is not None and slab.stop <= slab.start:
            return previous  # type: ignore[return-value]  # nothing changed
        seed = self.rays.lookup(footprint)
        union = ndi.binary_dilation(footprint > 0, iterations=self.params.tolerance_px)
        candidate = self.bone & self.rays.lookup(union.astype(np.uint8)).astype(bool)
        yield Progress("separate", 0.2, "separating vertebrae in 3D")
        structure = erosion_structure(self.volume.spacing, self.params.erode_mm)
        min_other = int(np.ceil(self.params.min_other_mm3 / np.prod(self.volume.spacing)))
        if slab is None or previous is None:
            local = separate(self.hu, candidate, seed, structure, min_other, self.outside_bone)
        else:
            local = previous.labels[self.rays.box].copy()
            outside = None if self.outside_bone is None else self.outside_bone[slab]
            fresh = separate(
                self.hu[slab], candidate[slab], seed[slab], structure, min_other, outside
            )
            # vertebrae the edit does not touch keep their voxels: the slab may cut them,
            # and a cut vertebra is not judged right on its own piece
            kept = (local[slab] > 0) & ~np.isin(local[slab], involved)
            local[slab] = np.where(kept, local[slab], np.where(np.isin(fresh, involved), fresh, 0))
        yield Progress("collect", 0.95, "counting voxels")
        return self._collect(local, candidate, footprint)

    def _changed_slab(
        self, footprint: np.ndarray, previous: BackProjection | None
    ) -> tuple[slice | None, list[int]]:
        """Box slices to recompute after an edit (empty: nothing changed; None: all) and
        the vertebrae it involves (those edited and their neighbours)."""
        old = None if previous is None else previous.footprint
        if old is None or old.shape != footprint.shape:
            return None, []
        changed = old != footprint
        if not changed.any():
            return slice(0, 0), []
        ids = {int(v) for v in np.unique(np.concatenate([old[changed], footprint[changed]]))}
        ids = {w for v in ids - {0, AMBIGUOUS} for w in (v - 1, v, v + 1)}  # and neighbours
        if not ids:
            return None, []
        rows = np.flatnonzero(changed.any(axis=1))
        for image in (old, footprint):
            rows = np.concatenate([rows, np.flatnonzero(np.isin(image, list(ids)).any(axis=1))])
        margin = int(np.ceil(SLAB_MARGIN_MM / self.result.grid.spacing))
        r0, r1 = rows.min() - margin, rows.max() + margin
        zs = np.flatnonzero((self._row_max >= r0) & (self._row_min <= r1))
        if not zs.size:
            return slice(0, 0), []
        return slice(int(zs[0]), int(zs[-1]) + 1), sorted(ids)

    def run(self, footprint: np.ndarray, previous: BackProjection | None = None) -> BackProjection:
        return run_job(self.job(footprint, previous))

    def slice_preview(self, footprint: np.ndarray, z: int) -> np.ndarray:
        """uint8 (y, x) labels of CT slice `z` from the footprint alone (no 3D step), fast."""
        self.check_footprint(footprint)
        out = np.zeros(self.volume.shape[1:], np.uint8)
        bz, by, bx = self.rays.box
        if not bz.start <= z < bz.stop:
            return out
        zz = z - bz.start
        row, col = self.rays.row[zz], self.rays.col[zz]
        m = (row >= 0) & self.bone[zz]
        lab = np.zeros(row.shape, np.uint8)
        lab[m] = footprint[row[m], col[m]]
        lab[lab == AMBIGUOUS] = 0
        out[by, bx] = lab
        return out

    def _collect(
        self, local: np.ndarray, candidate: np.ndarray, footprint: np.ndarray
    ) -> BackProjection:
        labels = np.zeros(self.volume.shape, np.uint8)
        labels[self.rays.box] = local
        counts = np.bincount(local.ravel(), minlength=256)
        names = {ID_VERTEBRA[v]: int(counts[v]) for v in ID_VERTEBRA if counts[v]}
        warnings = [
            f"{ID_VERTEBRA[int(v)]}: no bone found on its mask's rays"
            for v in np.unique(footprint)
            if int(v) in ID_VERTEBRA and not counts[int(v)]
        ]
        return BackProjection(
            labels=labels,
            voxel_mm3=float(np.prod(self.volume.spacing)),
            unclaimed_voxels=int((candidate & (local == 0)).sum()),
            counts=names,
            warnings=warnings,
            footprint=footprint.copy(),
        )


def backproject_job(
    volume: Volume,
    result: MipResult,
    footprint: np.ndarray,
    params: BackprojectParams | None = None,
) -> Job[BackProjection]:
    """Volume + preprocessing + footprint -> BackProjection, yielding Progress."""
    projector = yield from sub_job(BackProjector.prepare_job(volume, result, params), 0.0, 0.3)
    return (yield from sub_job(projector.job(footprint), 0.3, 1.0))


def backproject(
    volume: Volume,
    result: MipResult,
    footprint: np.ndarray,
    params: BackprojectParams | None = None,
) -> BackProjection:
    """Blocking version of `backproject_job`."""
    return run_job(backproject_job(volume, result, footprint, params))
