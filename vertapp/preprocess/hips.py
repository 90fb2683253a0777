"""Keep the hip bones out of the projection (the purpose of the paper's step 5).

The per-slice lateral window around the canal track already leaves the iliac wings out
when they are far from the spine. With a narrow pelvis or a scoliotic lumbar spine an
iliac wing can reach into the window at L5 level, so the window alone is not enough.

The k-means step found circles in the hip bones' marrow (the paper's two hip clusters).
Each such circle (not on the canal track, not capped, >= 25 mm left or right of the
track) is walled in by hip bone. Hip bone touches the sacrum at the sacro-iliac joints
(in the bone window they often fuse), so first, on every slice with a canal circle, the
2-D bone component around the canal (the vertebral ring, or the sacrum with whatever is
fused to it on that slice) is set aside. In the remaining bone, the 3-D components
(6-connected) touching a hip circle's rim are hip bone and are removed before the MIP,
on every slice they reach (also the iliac crest beside L4/L5, where no circle is found).
Limits keep the spine whole when a hip bone touches it (a transverse process resting on
the iliac crest, partial volume): only bone within 15 mm of a hip circle's rim is removed
(the thick posterior ilium, the crest just above the highest circle), and closer than
23 mm left/right of the canal track (vertebral body, arch, spinous process) only the
hip circle's own wall (within 5 mm of its rim), never closer than 18 mm. At most the tip
of a touching transverse process goes.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from scipy.spatial import cKDTree

from vertapp.preprocess.crop import Crop
from vertapp.preprocess.resample import Grid

HIP_OFFSET_MM = 25.0
HIP_REACH_MM = 15.0  # hip bone lies within this of its marrow circle's rim
PROTECT_MM = 23.0  # half-width of a vertebral body: cut closer to the canal only ...
SHELL_MM = 5.0  # ... the hip circle's own cortical wall (within 5 mm of its rim) ...
SHELL_PROTECT_MM = 18.0  # ... and never closer than this
SIX = ndi.generate_binary_structure(3, 1)


def _rim_labels(labels: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> set[int]:
    """Component ids of bone in an annulus r+0.5 .. r+3 px around each circle (k, y, x px)."""
    found: set[int] = set()
    nz, ny, nx = labels.shape
    for (k, y, x), r in zip(centres, radii, strict=True):
        k = int(round(k))
        if not 0 <= k < nz:
            continue
        reach = int(np.ceil(r + 3))
        y0, y1 = max(int(y) - reach, 0), min(int(y) + reach + 2, ny)
        x0, x1 = max(int(x) - reach, 0), min(int(x) + reach + 2, nx)
        if y0 >= y1 or x0 >= x1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        d = np.hypot(yy - y, xx - x)
        patch = labels[k, y0:y1, x0:x1][(d >= r + 0.5) & (d <= r + 3)]
        found.update(int(v) for v in np.unique(patch[patch > 0]))
    return found


def _spine_rings(bone: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Per slice, the 2-D bone components (8-connected) around the canal circles."""
    out = np.zeros_like(bone)
    for kk in np.unique(np.round(centres[:, 0]).astype(int)):
        if not 0 <= kk < bone.shape[0]:
            continue
        sel = np.round(centres[:, 0]).astype(int) == kk
        lab, _ = ndi.label(bone[kk], structure=np.ones((3, 3), bool))
        ids = _rim_labels(
            lab[None], np.column_stack([np.zeros(sel.sum()), centres[sel, 1:]]), radii[sel]
        )
        out[kk] = np.isin(lab, sorted(ids)) if ids else False
    return out


def hip_circles(
    circles: np.ndarray,
    circle_slice: np.ndarray,
    capped: np.ndarray,
    on_track: np.ndarray,
    track_x: np.ndarray,
) -> np.ndarray:
    """Which circles (N, >=2: z_mm, x_mm, ...) lie in hip-bone marrow: closed, off the canal
    track and >= HIP_OFFSET_MM left or right of it."""
    lateral = np.abs(circles[:, 1] - track_x[circle_slice]) >= HIP_OFFSET_MM
    return lateral & ~capped & ~on_track


def remove_hip_bones(
    windowed: np.ndarray,
    grid: Grid,
    crop: Crop,
    circles: np.ndarray,
    circle_slice: np.ndarray,
    capped: np.ndarray,
    on_track: np.ndarray,
    track_x: np.ndarray,
) -> int:
    """Zero hip-bone voxels of `windowed` inside the crop's z/y range, in place.

    circles: (N, 5) z_mm, x_mm, y_mm, r_mm, cluster. Returns the number of voxels removed."""
    s, (ox, oy, _) = grid.spacing, grid.origin
    k = circle_slice
    in_crop = (k >= crop.k[0]) & (k < crop.k[1])
    hip = in_crop & hip_circles(circles, circle_slice, capped, on_track, track_x)
    spine = in_crop & on_track
    if not hip.any() or not spine.any():
        return 0
    cx = (circles[:, 1] - ox) / s
    reach = circles[:, 3] / s + 4
    i0 = int(max(min(crop.i[0], np.floor((cx[hip] - reach[hip]).min())), 0))
    i1 = int(min(max(crop.i[1], np.ceil((cx[hip] + reach[hip]).max()) + 1), grid.shape[2]))
    # only bone within HIP_REACH_MM of a hip circle's rim can go: work on the slices
    # around the hip circles, not on the whole crop
    zreach = int(np.ceil((circles[hip, 3].max() + HIP_REACH_MM) / s)) + 1
    k0 = max(crop.k[0], int(k[hip].min()) - zreach)
    k1 = min(crop.k[1], int(k[hip].max()) + zreach + 1)
    j0, j1 = crop.j
    region = windowed[k0:k1, j0:j1, i0:i1]
    bone = region > 0

    def local(sel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pix = np.column_stack([k[sel] - k0, (circles[sel, 2] - oy) / s - j0, cx[sel] - i0])
        return pix, circles[sel, 3] / s

    cut = bone & ~_spine_rings(bone, *local(spine))
    labels, n = ndi.label(cut, structure=SIX)
    hip_ids = _rim_labels(labels, *local(hip))
    remove = sorted(hip_ids)
    if not remove:
        return 0
    # never cut within PROTECT_MM left/right of the canal: whatever bone is that close is
    # spine (body, arch, spinous process), even if partial volume fused it to a hip bone
    x = ox + s * np.arange(i0, i1)
    lateral = np.abs(x[None, :] - track_x[k0:k1, None])  # (k, i) mm left/right of the canal
    is_hip = np.zeros(n + 1, bool)
    is_hip[remove] = True
    cand = np.argwhere(is_hip[labels] & (lateral >= SHELL_PROTECT_MM)[:, None, :])
    if cand.size == 0:
        return 0
    # only bone near a hip circle is hip: a transverse process touching the ilium may go,
    # the rest of its vertebra (reached through that contact) stays
    pix, rad = local(hip)
    dist, near = cKDTree(pix * s).query(cand * s)
    rim = dist - rad[near] * s  # mm outside the hip circle's rim
    lat = lateral[cand[:, 0], cand[:, 2]]
    cut = ((lat >= PROTECT_MM) & (rim <= HIP_REACH_MM)) | (rim <= SHELL_MM)
    cut_idx = cand[cut]
    region[tuple(cut_idx.T)] = 0
    return len(cut_idx)
