"""Where a polygon's name is written: a point well inside its outline (no Qt).

The centre of the bounding box often falls outside a vertebra's outline on a real CT
MIP (in the dark gap between the body and the posterior elements, or off a bent
outline), where a name is hard to read and seems to belong to its neighbour. The pole
of inaccessibility of the largest part (the inside point farthest from the edges) is
always inside and sits in the widest region, the vertebral body; the centroid is kept
where it is nearly as far from the edges (it reads as the middle).

Repaints come many times per second; the point is cached on the polygon's coordinates,
so it is computed once per outline revision (a drag computes one per mouse move, about
0.2 ms for 200 vertices).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

# Pole precision, as a share of the part's size: a pixel on a vertebra, whatever the zoom.
TOLERANCE_SHARE = 0.01
# The centroid is used instead when at least this deep inside, relative to the pole.
CENTRE_DEPTH = 0.8


def label_anchor(polygons: Sequence[np.ndarray]) -> tuple[float, float] | None:
    """(x, y) inside the largest of `polygons` ((N, 2) x, y each); None without an area."""
    parts = [np.ascontiguousarray(p, dtype=float).reshape(-1, 2) for p in polygons]
    parts = [p for p in parts if len(p) >= 3]
    if not parts:
        return None
    return _anchor(tuple(p.tobytes() for p in parts))


@lru_cache(maxsize=8192)
def _anchor(parts: tuple[bytes, ...]) -> tuple[float, float] | None:
    pieces = [_valid_parts(Polygon(np.frombuffer(b).reshape(-1, 2))) for b in parts]
    candidates = [p for piece in pieces for p in piece if p.area > 0]
    if not candidates:
        return None
    largest = max(candidates, key=lambda p: p.area)
    x0, y0, x1, y1 = largest.bounds
    try:
        point = polylabel(largest, tolerance=max(TOLERANCE_SHARE * max(x1 - x0, y1 - y0), 0.1))
    except (ValueError, shapely.errors.GEOSException):  # a degenerate ring
        point = largest.representative_point()
    # The pole of a long thin shape (a thoracic body on a radiograph) is anywhere along
    # its middle line: the centroid reads as the centre there, when it is nearly as deep.
    centre = largest.centroid
    edges = largest.boundary
    if largest.contains(centre) and edges.distance(centre) >= CENTRE_DEPTH * edges.distance(point):
        point = centre
    return float(point.x), float(point.y)


def _valid_parts(poly: Polygon) -> list[Polygon]:
    """A self-crossing outline (drawn by hand) repaired into its polygon parts."""
    return _polygons(poly if poly.is_valid else shapely.make_valid(poly))


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom]
    return [p for g in getattr(geom, "geoms", []) for p in _polygons(g)]


__all__ = ["label_anchor"]
