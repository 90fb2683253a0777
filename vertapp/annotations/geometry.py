"""Polygons and masks: validity, rasterisation (pycocotools) and contour tracing (OpenCV).

Coordinates are COCO pixel coordinates: a polygon is an (N, 2) float array of
(x, y) = (column, row) and pixel (r, c) covers the unit square [c, c+1) x [r, r+1).
A polygon is stored open (the first vertex is not repeated at the end).

Rasterisation is pycocotools' own (`frPyObjects` + `merge` + `decode`), so a mask
drawn here is bit-for-bit the mask `COCOeval` scores. Tracing goes the other way:
OpenCV finds the boundary pixel chain, it is moved half a pixel outwards onto
the pixel edges (pycocotools' convention) and simplified with Douglas-Peucker at
`DEFAULT_TOLERANCE` pixels, which keeps the round-trip Dice of a vertebra-sized
mask (>= 20 px across) above 0.98 while cutting vertices 5-10x.

COCO polygons cannot express holes: `mask_to_rings` returns holes separately
and the COCO writer switches such an instance to RLE (see coco.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import cv2
import numpy as np
import shapely
from pycocotools import mask as coco_mask
from scipy import ndimage
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from vertapp.errors import VertAppError

#: Douglas-Peucker epsilon (pixels) used by mask_to_polygons.
DEFAULT_TOLERANCE = 0.5
#: Parts smaller than this (pixels^2) are dropped when tracing or repairing.
MIN_PART_AREA = 4.0
#: A repaired polygon keeps every part at least this share of its largest part.
KEEP_PART_RATIO = 0.1

Points = np.ndarray  # (N, 2) float64 of (x, y)


class GeometryError(VertAppError, ValueError):
    """A polygon cannot be used: too few vertices, not finite, empty after repair."""


# --------------------------------------------------------------------- points


def as_points(obj: Any) -> Points:
    """(N, 2) float64 array from an (N, 2) array-like or a flat COCO list [x0, y0, x1, ...]."""
    try:
        arr = np.asarray(obj, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise GeometryError(f"polygon is not a list of numbers ({err})") from None
    if arr.ndim == 1:
        if arr.size % 2:
            raise GeometryError(f"flat polygon has an odd number of coordinates ({arr.size})")
        arr = arr.reshape(-1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise GeometryError(f"polygon must be (N, 2) points, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise GeometryError("polygon has a non-finite coordinate")
    return arr


def flat(points: Points) -> list[float]:
    """COCO flat list [x0, y0, x1, y1, ...] of plain floats."""
    return np.asarray(points, dtype=np.float64).ravel().tolist()  # type: ignore[no-any-return]


def _open_ring(points: Points) -> Points:
    """Drop the closing vertex and consecutive duplicates."""
    if len(points) > 1 and np.array_equal(points[0], points[-1]):
        points = points[:-1]
    if len(points) > 1:
        keep = np.ones(len(points), dtype=bool)
        keep[1:] = np.any(np.diff(points, axis=0) != 0, axis=1)
        points = points[keep]
    return points


# ------------------------------------------------------------------- validity


def _parts(geom: BaseGeometry) -> list[Polygon]:
    """Polygonal parts of any geometry (make_valid may return collections with lines)."""
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _parts(g)]
    return []


def _sensible_parts(geom: BaseGeometry, min_area: float) -> list[Polygon]:
    parts = [p for p in _parts(geom) if p.area >= min_area]
    if not parts:
        return []
    largest = max(p.area for p in parts)
    parts = [p for p in parts if p.area >= KEEP_PART_RATIO * largest]
    return sorted(parts, key=lambda p: -p.area)


def _exterior(poly: Polygon) -> Points:
    coords = np.asarray(poly.exterior.coords, dtype=np.float64)
    return _open_ring(coords)


def clean_polygon(
    points: Any,
    height: int | None = None,
    width: int | None = None,
    *,
    min_area: float = 1.0,
) -> list[Points]:
    """Validate one polygon; returns one or more valid simple rings.

    - fewer than 3 distinct vertices -> GeometryError
    - self-intersections are repaired with shapely's make_valid; the largest part and
      any part at least KEEP_PART_RATIO of it are kept (a bow-tie gives two triangles)
    - with height/width, the polygon is clipped to the image [0, width] x [0, height]
    - nothing left (zero area, outside the image) -> GeometryError
    A polygon that is already valid and inside the image is returned unchanged.
    """
    pts = _open_ring(as_points(points))
    if len(pts) < 3 or len(np.unique(pts, axis=0)) < 3:
        raise GeometryError(f"a polygon needs at least 3 distinct vertices, got {len(pts)}")
    poly = Polygon(pts)
    inside = height is None or width is None or _inside(pts, height, width)
    if poly.is_valid and inside and poly.area >= min_area:
        return [pts]
    geom: BaseGeometry = poly if poly.is_valid else shapely.make_valid(poly)
    if not inside:
        geom = geom.intersection(box(0, 0, float(width), float(height)))  # type: ignore[arg-type]
    parts = _sensible_parts(geom, min_area)
    if not parts:
        where = "inside the image" if not inside else "after repair"
        raise GeometryError(f"polygon has no area {where}")
    return [_exterior(p) for p in parts]


def _inside(pts: Points, height: int, width: int) -> bool:
    return bool(
        pts[:, 0].min() >= 0
        and pts[:, 1].min() >= 0
        and pts[:, 0].max() <= width
        and pts[:, 1].max() <= height
    )


def clean_polygons(
    polygons: Iterable[Any], height: int | None = None, width: int | None = None
) -> list[Points]:
    """clean_polygon over a list, concatenating the resulting rings."""
    out: list[Points] = []
    for p in polygons:
        out.extend(clean_polygon(p, height, width))
    return out


def is_valid_polygon(points: Any) -> bool:
    """True for >= 3 distinct vertices forming a simple (non self-intersecting) ring."""
    try:
        pts = _open_ring(as_points(points))
    except GeometryError:
        return False
    return len(pts) >= 3 and bool(Polygon(pts).is_valid)


def polygon_area(points: Points) -> float:
    """Shoelace area in pixels^2 (geometric, not the rasterised pixel count)."""
    x, y = points[:, 0], points[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


# -------------------------------------------------------------- rasterisation

Rle = dict[str, Any]


def _poly_rles(polygons: Sequence[Points], height: int, width: int) -> list[Rle]:
    flat_polys = [flat(p) for p in polygons if len(p) >= 3]
    if not flat_polys:
        return []
    return coco_mask.frPyObjects(flat_polys, int(height), int(width))  # type: ignore[no-any-return]


def empty_rle(height: int, width: int) -> Rle:
    return coco_mask.encode(np.zeros((int(height), int(width)), dtype=np.uint8, order="F"))  # type: ignore[no-any-return]


def polygons_to_rle(
    polygons: Sequence[Points], height: int, width: int, holes: Sequence[Points] = ()
) -> Rle:
    """Compressed RLE (counts as bytes, pycocotools' in-memory form) of the union minus holes."""
    rles = _poly_rles(polygons, height, width)
    if not rles:
        return empty_rle(height, width)
    rle = coco_mask.merge(rles)
    hole_rles = _poly_rles(holes, height, width)
    if hole_rles:
        hole = coco_mask.merge(hole_rles)
        # A - H = A & ~H, computed on masks: pycocotools has no RLE difference.
        m = coco_mask.decode(rle) & ~coco_mask.decode(hole).astype(bool)
        rle = coco_mask.encode(np.asfortranarray(m.astype(np.uint8)))
    return rle  # type: ignore[no-any-return]


def polygons_to_mask(
    polygons: Sequence[Points], height: int, width: int, holes: Sequence[Points] = ()
) -> np.ndarray:
    """Boolean (height, width) mask, rasterised exactly as pycocotools does."""
    return coco_mask.decode(polygons_to_rle(polygons, height, width, holes)).astype(bool)


def mask_to_rle(mask: np.ndarray) -> Rle:
    """Compressed RLE of a 2-D mask (counts as bytes)."""
    m = np.asfortranarray(np.asarray(mask, dtype=bool).astype(np.uint8))
    return coco_mask.encode(m)  # type: ignore[no-any-return]


def rle_to_mask(rle: Rle) -> np.ndarray:
    return coco_mask.decode(rle).astype(bool)


def rle_to_json(rle: Rle) -> dict[str, Any]:
    """RLE with counts as str, as written in COCO JSON."""
    counts = rle["counts"]
    if isinstance(counts, bytes):
        counts = counts.decode("ascii")
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": counts}


def segmentation_to_rle(segmentation: Any, height: int, width: int) -> Rle:
    """COCO segmentation (polygon list, uncompressed or compressed RLE) -> compressed RLE.

    Raises GeometryError for anything else (callers turn it into a FormatError).
    """
    try:
        if isinstance(segmentation, list):
            polys = [as_points(p) for p in segmentation]
            for p in polys:
                if len(p) < 3:
                    raise GeometryError("a COCO polygon needs at least 3 vertices")
            rles = _poly_rles(polys, height, width)
            return coco_mask.merge(rles) if rles else empty_rle(height, width)  # type: ignore[no-any-return]
        if isinstance(segmentation, dict):
            return _dict_rle(segmentation, height, width)
    except (TypeError, ValueError, KeyError, OverflowError) as err:
        if isinstance(err, GeometryError):
            raise
        raise GeometryError(f"bad segmentation ({type(err).__name__}: {err})") from None
    raise GeometryError(
        f"segmentation must be a list or an RLE dict, not {type(segmentation).__name__}"
    )


def _dict_rle(seg: dict[str, Any], height: int, width: int) -> Rle:
    size, counts = seg.get("size"), seg.get("counts")
    if not (isinstance(size, list) and len(size) == 2 and all(type(s) is int for s in size)):
        raise GeometryError("RLE 'size' must be [height, width]")
    if list(size) != [int(height), int(width)]:
        raise GeometryError(f"RLE size {size} differs from the image ({height}, {width})")
    if isinstance(counts, list):
        if not all(type(c) is int and 0 <= c <= height * width for c in counts):
            raise GeometryError("uncompressed RLE counts must be non-negative integers")
        if sum(counts) != height * width:
            raise GeometryError(f"RLE counts sum to {sum(counts)}, not {height * width}")
        return coco_mask.frPyObjects(seg, height, width)  # type: ignore[no-any-return]
    if isinstance(counts, str):
        rle = {"size": [height, width], "counts": counts.encode("ascii")}
        _check_compressed(rle, height * width)
        return rle
    raise GeometryError("RLE 'counts' must be a list of ints or a string")


def _check_compressed(rle: Rle, n_pixels: int) -> None:
    """pycocotools does not bounds-check compressed counts; decoding junk can overrun."""
    try:
        rle["counts"].decode("ascii")
    except UnicodeDecodeError:
        raise GeometryError("RLE counts is not ASCII") from None
    if any(b < 48 or b > 111 for b in rle["counts"]):
        raise GeometryError("RLE counts has characters outside the COCO alphabet")
    runs = _decode_counts(rle["counts"])
    if any(r < 0 for r in runs) or sum(runs) != n_pixels:
        raise GeometryError("RLE counts do not cover the image exactly")


def _decode_counts(s: bytes) -> list[int]:
    """Pure-Python port of pycocotools' rleFrString, used only to validate foreign input."""
    counts: list[int] = []
    p, n = 0, len(s)
    while p < n:
        x, k, more = 0, 0, True
        while more:
            if p >= n:
                raise GeometryError("RLE counts string is truncated")
            c = s[p] - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
            if k > 13:
                raise GeometryError("RLE count is absurdly large")
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def segmentation_to_mask(segmentation: Any, height: int, width: int) -> np.ndarray:
    return rle_to_mask(segmentation_to_rle(segmentation, height, width))


def rle_area(rle: Rle) -> float:
    return float(coco_mask.area(rle))


def rle_bbox(rle: Rle) -> list[float]:
    """[x, y, w, h] of the mask's pixels, as pycocotools computes it."""
    return [float(v) for v in coco_mask.toBbox(rle)]


# ---------------------------------------------------------------- tracing


def _outer_chains(mask: np.ndarray) -> list[np.ndarray]:
    """OpenCV outer boundary chains (pixel indices, 8-connected) of a mask's parts."""
    # A one-pixel zero border so regions touching the edge still get closed contours.
    m = np.pad(np.ascontiguousarray(mask, dtype=np.uint8), 1)
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    return [c.reshape(-1, 2).astype(np.float64) - 1.0 for c in contours]


def _traced_rings(mask: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Boundary chains of the parts and of the holes.

    Holes are traced as parts of their own (the background enclosed by the mask,
    4-connected as the complement of OpenCV's 8-connected foreground), because
    OpenCV's hole contours cut the corners of the foreground pixels around them.
    """
    m = np.asarray(mask, dtype=bool)
    filled = ndimage.binary_fill_holes(m)
    return _outer_chains(filled), _outer_chains(filled & ~m)


def _chain_to_region(chain: np.ndarray) -> BaseGeometry:
    """Pixel-centre chain -> region on pixel edges (pycocotools' convention).

    A chain through pixel centres (i + 0.5) lies half a pixel inside the region's
    edge, so it is buffered out by 0.5. Mitre joins and
    square caps keep corners square, which is what a pixel boundary is; a
    one-pixel-wide spur collapses to a line that the buffer turns back into pixels.
    """
    centres = chain + 0.5
    geom: BaseGeometry
    if len(centres) >= 3:
        geom = shapely.make_valid(Polygon(centres))
    elif len(centres) == 2:
        geom = shapely.LineString(centres)
    else:
        geom = shapely.Point(centres[0])
    return geom.buffer(0.5, join_style="mitre", cap_style="square", mitre_limit=2.0)


def mask_to_rings(
    mask: np.ndarray, tolerance: float = DEFAULT_TOLERANCE, *, min_area: float = MIN_PART_AREA
) -> tuple[list[Points], list[Points]]:
    """Trace a mask: (outer rings, hole rings), each simplified by `tolerance` pixels.

    Parts and holes smaller than `min_area` pixels are dropped. Every ring is a
    valid simple polygon with >= 3 vertices.
    """
    outers, holes = _traced_rings(mask)
    out_polys: list[Points] = []
    for chain in outers:
        out_polys.extend(_simplified(_chain_to_region(chain), tolerance, min_area))
    hole_polys: list[Points] = []
    for chain in holes:
        hole_polys.extend(_simplified(_chain_to_region(chain), tolerance, min_area))
    return out_polys, hole_polys


def _simplified(region: BaseGeometry, tolerance: float, min_area: float) -> list[Points]:
    rings: list[Points] = []
    for part in _parts(region):
        if part.area < min_area:
            continue
        simple = (
            part.exterior.simplify(tolerance, preserve_topology=True)
            if tolerance > 0
            else part.exterior
        )
        poly = Polygon(simple)
        if not poly.is_valid:
            poly = max(_parts(shapely.make_valid(poly)) or [part], key=lambda p: p.area)
        pts = _exterior(poly)
        if len(pts) >= 3 and poly.area >= min_area:
            rings.append(pts)
    return rings


def mask_to_polygons(
    mask: np.ndarray, tolerance: float = DEFAULT_TOLERANCE, *, min_area: float = MIN_PART_AREA
) -> list[Points]:
    """Outer boundaries of a mask's parts as (N, 2) x,y polygons (holes are filled).

    Use mask_to_rings to keep holes. Largest part first.
    """
    outers, _ = mask_to_rings(mask, tolerance, min_area=min_area)
    return sorted(outers, key=polygon_area, reverse=True)


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """2|A & B| / (|A| + |B|); 1.0 when both are empty."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int(np.logical_and(a, b).sum()) / total


def union_geometry(polygons: Sequence[Points]) -> BaseGeometry:
    """Shapely union of rings (for hit testing, areas, overlap checks in callers)."""
    polys = [Polygon(p) for p in polygons if len(p) >= 3]
    return shapely.union_all(polys) if polys else MultiPolygon()
