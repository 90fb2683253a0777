"""overview.png: what preprocessing did, in one picture (OpenCV only, no matplotlib).

Panels: (1) an axial slice with its canal circles, (2) the whole-volume coronal MIP with
every circle centre (x-z scatter, coloured by k-means cluster; hollow = capped), the canal
track and the crop (cuboid and per-slice lateral window), (3) the resulting sagittal MIP.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from vertapp.errors import InputError
from vertapp.preprocess.result import MipResult, write_image

CLUSTER_BGR = [(255, 160, 0), (0, 165, 255), (255, 0, 255), (0, 255, 255), (255, 255, 0)]
TRACK_BGR = (0, 220, 0)
CROP_BGR = (0, 0, 255)
HEIGHT = 640


def _gray(img: np.ndarray, hu_max: float) -> np.ndarray:
    u8 = np.clip(img.astype(np.float32) * (255.0 / hu_max), 0, 255).astype(np.uint8)
    return cv2.cvtColor(u8, cv2.COLOR_GRAY2BGR)


def _fit(img: np.ndarray) -> float:
    """Scale that fits an image into a HEIGHT x HEIGHT box."""
    return min(HEIGHT / img.shape[0], HEIGHT / img.shape[1])


def _title(img: np.ndarray, text: str) -> np.ndarray:
    if img.shape[1] < 340:  # room for the title
        img = cv2.copyMakeBorder(img, 0, 0, 0, 340 - img.shape[1], cv2.BORDER_CONSTANT, value=0)
    bar = np.zeros((26, img.shape[1], 3), np.uint8)
    cv2.putText(bar, text, (4, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return np.vstack([bar, img])


def _axial_panel(res: MipResult) -> np.ndarray:
    k = int(res.previews["axial_slice"])
    img = _gray(res.previews["axial"], res.params.hu_max)
    f = _fit(img)
    img = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_LINEAR)
    g = res.grid
    for i in np.flatnonzero(res.circle_slice == k):
        _, x, y, r, c = res.circles[i]
        centre = (
            int(round((x - g.origin[0]) / g.spacing * f)),
            int(round((y - g.origin[1]) / g.spacing * f)),
        )
        colour = TRACK_BGR if res.circle_on_track[i] else CLUSTER_BGR[int(c) % len(CLUSTER_BGR)]
        cv2.circle(img, centre, max(int(round(r / g.spacing * f)), 2), colour, 2, cv2.LINE_AA)
    return _title(img, f"axial z={res.track[k, 0]:.0f} mm: canal circles (green = spine)")


def _coronal_panel(res: MipResult) -> np.ndarray:
    g, c = res.grid, res.crop
    nz = g.shape[0]
    img = _gray(res.previews["coronal"][::-1], res.params.hu_max)  # head up
    f = _fit(img)
    img = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_LINEAR)

    def px(xmm: float, k: float) -> tuple[int, int]:
        return int(round((xmm - g.origin[0]) / g.spacing * f)), int(round((nz - 1 - k) * f))

    for i in range(len(res.circles)):
        _, x, _, _, cl = res.circles[i]
        colour = CLUSTER_BGR[int(cl) % len(CLUSTER_BGR)]
        cv2.circle(img, px(x, res.circle_slice[i]), 3, colour, 1 if res.circle_capped[i] else -1)
    track = np.array([px(x, k) for k, x in enumerate(res.track[:, 1])], np.int32)
    cv2.polylines(img, [track], False, TRACK_BGR, 1, cv2.LINE_AA)
    x0 = g.origin[0] - g.spacing * 0.5
    p0 = (int((x0 + g.spacing * c.i[0] - g.origin[0]) / g.spacing * f), int((nz - c.k[1]) * f))
    p1 = (int((x0 + g.spacing * c.i[1] - g.origin[0]) / g.spacing * f), int((nz - c.k[0]) * f))
    cv2.rectangle(img, p0, p1, CROP_BGR, 1)
    ks = np.arange(c.k[0], c.k[1])
    for edge in (c.x_lo, c.x_hi):
        pts = np.array(
            [(int(e * f), int((nz - 1 - k) * f)) for e, k in zip(edge, ks, strict=True)], np.int32
        )
        cv2.polylines(img, [pts], False, CROP_BGR, 1)
    return _title(img, f"coronal MIP, circles by cluster, spine={res.spine_cluster}")


def _sagittal_panel(res: MipResult) -> np.ndarray:
    img = cv2.cvtColor(res.mip_u8, cv2.COLOR_GRAY2BGR)
    f = _fit(img)
    img = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_LINEAR)
    return _title(img, "sagittal MIP of crop")


def render_overview(res: MipResult) -> np.ndarray:
    """BGR uint8 overview image; needs the previews kept by `preprocess_job`."""
    if not {"axial", "coronal", "axial_slice"} <= res.previews.keys():
        raise InputError("overview needs a result fresh from preprocessing (no previews kept)")
    panels = [_axial_panel(res), _coronal_panel(res), _sagittal_panel(res)]
    h = max(p.shape[0] for p in panels)
    gap = np.full((h, 6, 3), 40, np.uint8)
    row: list[np.ndarray] = []
    for p in panels:
        padded = cv2.copyMakeBorder(p, 0, h - p.shape[0], 0, 0, cv2.BORDER_CONSTANT, value=0)
        row += [padded, gap]
    return np.hstack(row[:-1])


def write_overview(res: MipResult, path: str | Path) -> Path:
    """Render and write the overview atomically (temp file beside it, then a rename)."""
    return write_image(path, render_overview(res))
