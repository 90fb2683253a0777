"""Step 7 of the paper: partial views of a full-spine MIP (training augmentation).

From a labelled MIP: every window of 4..17 consecutive vertebrae (ids contiguous) becomes
a crop of whole rows, from `margin` above the first vertebra to `margin` below the last;
the annotations are cropped the same way. On a full T1..L5 spine this gives
sum_{n=4}^{17} (18 - n) = 105 views, the paper's 1260 images from 12 spines.
Neighbours that reach into the crop keep their clipped part (what is visible stays
labelled) and are listed as `partial_labels`.
From an unlabelled MIP: windows of given lengths in mm, sliding by a step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Polygon, box

from vertapp.errors import InputError

Polygons = dict[int, list[np.ndarray]]


@dataclass
class PartialView:
    image: np.ndarray
    rows: tuple[int, int]  # [r0, r1) in the source image
    labels: tuple[int, ...] = ()  # the consecutive vertebrae shown whole
    partial_labels: tuple[int, ...] = ()  # neighbours cut by the crop's edges
    annotations: Polygons | np.ndarray | None = None  # same kind as the input, cropped
    meta: dict[str, float] = field(default_factory=dict)


def _row_extents(
    ann: Mapping[int, Sequence[np.ndarray]] | np.ndarray,
) -> dict[int, tuple[float, float]]:
    if isinstance(ann, np.ndarray):
        out = {}
        for lab in np.unique(ann[ann > 0]):
            rows = np.flatnonzero((ann == lab).any(axis=1))
            out[int(lab)] = (float(rows[0]), float(rows[-1] + 1))
        return out
    ext = {}
    for lab, polys in ann.items():
        ys = (
            np.concatenate([np.asarray(p, float).reshape(-1, 2)[:, 1] for p in polys])
            if polys
            else None
        )
        if ys is not None and ys.size:
            ext[int(lab)] = (float(ys.min()), float(ys.max()))
    return ext


def _clip_polygons(
    polys: Sequence[np.ndarray], r0: int, r1: int, width: int, min_area: float
) -> list[np.ndarray]:
    window = box(-1e6, r0, width + 1e6, r1)
    out = []
    for p in polys:
        arr = np.asarray(p, float).reshape(-1, 2)
        if len(arr) < 3:
            continue
        geom = shapely.make_valid(Polygon(arr)).intersection(window)
        for piece in getattr(geom, "geoms", [geom]):
            if isinstance(piece, Polygon) and piece.area >= min_area:
                xy = np.asarray(piece.exterior.coords)[:-1]
                out.append(xy - [0.0, r0])
    return out


def crop_annotations(
    ann: Mapping[int, Sequence[np.ndarray]] | np.ndarray,
    r0: int,
    r1: int,
    width: int,
    min_area: float = 10.0,
) -> Polygons | np.ndarray:
    """Annotations restricted to rows [r0, r1) and shifted to the crop's frame."""
    if isinstance(ann, np.ndarray):
        return ann[r0:r1].copy()
    out: Polygons = {}
    for lab, polys in ann.items():
        clipped = _clip_polygons(polys, r0, r1, width, min_area)
        if clipped:
            out[int(lab)] = clipped
    return out


def partial_views(
    image: np.ndarray,
    instances_by_label: Mapping[int, Sequence[np.ndarray]] | np.ndarray,
    min_count: int = 4,
    max_count: int = 17,
    margin_frac: float = 0.15,
) -> list[PartialView]:
    """Crops showing `min_count`..`max_count` consecutive vertebrae, annotations cropped.

    `instances_by_label`: {label id: [polygon (N, 2) x, y]} or a label image of the same
    height as `image`. `margin_frac`: rows kept above/below, as a share of the median
    vertebra height."""
    if (
        isinstance(instances_by_label, np.ndarray)
        and instances_by_label.shape[:2] != image.shape[:2]
    ):
        raise InputError(
            f"label image {instances_by_label.shape} does not match image {image.shape}"
        )
    ext = _row_extents(instances_by_label)
    labels = sorted(ext)
    if not labels:
        return []
    height = float(np.median([b - a for a, b in ext.values()]))
    margin = int(round(margin_frac * height))
    views = []
    for n in range(min_count, min(max_count, len(labels)) + 1):
        for s in range(len(labels) - n + 1):
            window = labels[s : s + n]
            if window[-1] - window[0] != n - 1:
                continue  # an id is missing: not consecutive vertebrae
            r0 = max(int(np.floor(min(ext[w][0] for w in window))) - margin, 0)
            r1 = min(int(np.ceil(max(ext[w][1] for w in window))) + margin + 1, image.shape[0])
            ann = crop_annotations(instances_by_label, r0, r1, image.shape[1])
            shown = ann.keys() if isinstance(ann, dict) else np.unique(ann[ann > 0]).tolist()
            views.append(
                PartialView(
                    image=image[r0:r1].copy(),
                    rows=(r0, r1),
                    labels=tuple(window),
                    partial_labels=tuple(sorted(int(v) for v in shown if int(v) not in window)),
                    annotations=ann,
                )
            )
    return views


def partial_views_by_length(
    image: np.ndarray,
    pixel_mm: float,
    lengths_mm: Sequence[float] = (110, 170, 230, 290, 350, 410, 470),
    step_mm: float = 30.0,
) -> list[PartialView]:
    """Unlabelled MIP: windows of each length (about 4..17 vertebrae) sliding by `step_mm`."""
    rows = image.shape[0]
    views = []
    for length in lengths_mm:
        n = int(round(length / pixel_mm))
        if n > rows:
            continue
        step = max(int(round(step_mm / pixel_mm)), 1)
        starts = list(range(0, rows - n + 1, step))
        if starts[-1] != rows - n:
            starts.append(rows - n)  # reach the bottom too
        for r0 in starts:
            views.append(
                PartialView(
                    image=image[r0 : r0 + n].copy(),
                    rows=(r0, r0 + n),
                    meta={"length_mm": float(length)},
                )
            )
    return views
