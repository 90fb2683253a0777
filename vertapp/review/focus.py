"""Where the review looks at a vertebra: the centre of its outline (no Qt).

The review panel sits beside the axial view so that each vertebra is checked on its
slices; selecting a row moves the axial view to the slice through this point (the window
maps a MIP point to its slice as a click on the MIP does).
"""

from __future__ import annotations

import numpy as np

from vertapp.annotations.geometry import union_geometry
from vertapp.annotations.model import Instance


def outline_centre(inst: Instance) -> tuple[float, float] | None:
    """(x, y) image coordinates of the outline's centre, None for an empty outline.

    The area centroid, not the bounding box's centre: a tilted vertebra's box centre can
    sit on the next level's slice. When the centroid falls outside (a C-shaped outline), a
    point inside is taken instead, so that the marker lands on the vertebra."""
    region = union_geometry(inst.polygons)
    if region.is_empty or region.area <= 0:
        points = [p for p in inst.polygons if len(p)]
        if not points:
            return None
        x, y = np.concatenate(points).mean(axis=0)
        return float(x), float(y)
    point = region.centroid
    if not region.contains(point):
        point = region.representative_point()
    return float(point.x), float(point.y)
