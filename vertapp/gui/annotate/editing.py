"""Translate gestures into annotation operations, and MIP <-> slice lookups.

Thin glue only: geometry comes from `vertapp.annotations.geometry`, edits are
`vertapp.annotations.ops`, coordinates come from the preprocessing result's
own mapping (`MipResult.mip_to_source_index` / `lps_to_mip`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from vertapp.annotations import geometry as geo
from vertapp.annotations import ops
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.gui.views.axial_view import CanalCircle
from vertapp.preprocess.coverage import bridged_slices, canal_coverage
from vertapp.review.decisions import move_to_level_ops
from vertapp.xray.part_display import instance_level
from vertapp.xray.parts import UNKNOWN, normalise_level, set_vertebra, vertebra_of

# Pixel (r, c) covers [c, c+1) x [r, r+1) (COCO), so its centre is at (c+0.5, r+0.5):
# scene coordinates minus half a pixel are the continuous indices the mapping expects.
HALF = 0.5


# ------------------------------------------------------------------- edits
def add_polygon(
    project: Project, image_id: int, points: np.ndarray, label: str, level: str | None = None
) -> ops.AddInstance:
    """A new hand-drawn instance; `level`: the vertebra a radiograph part belongs to."""
    img = project.images[image_id]
    rings = geo.clean_polygon(points, img.height, img.width)
    inst = Instance(id=project.new_instance_id(), label=label, polygons=rings, source="manual")
    if level is not None:
        set_vertebra(inst.extra, level)  # saved as annotation["vertapp"]["vertebra"]
    return ops.AddInstance(image_id, inst)


def set_level(project: Project, key: int, level: str) -> ops.Operation | None:
    """Move a part to another vertebra (None when it is there already).

    The annotation layer has no operation for an instance's "vertapp" fields, so the
    instance is replaced in place by a copy with the new level: one undo step, journalled
    like any other, its place in the image kept. A prediction counts as corrected.
    """
    inst, level = project.instance(key), normalise_level(level)
    if vertebra_of(inst.extra) == level:
        return None
    moved = move_to_level_ops(project.image_of(key), inst, level)
    return ops.Macro(tuple(moved), f"Vertebra {level}")


def move_vertex(key: int, part: int, index: int, xy: Any, gesture: int) -> ops.MoveVertex:
    return ops.MoveVertex(key, part, index, (float(xy[0]), float(xy[1])), gesture)


def insert_vertex(key: int, part: int, index: int, xy: Any) -> ops.InsertVertex:
    return ops.InsertVertex(key, part, index, (float(xy[0]), float(xy[1])))


def delete_vertex(key: int, part: int, index: int) -> ops.DeleteVertex:
    return ops.DeleteVertex(key, part, index)


def move_polygon(key: int, dx: float, dy: float, gesture: int) -> ops.MovePolygon:
    return ops.MovePolygon(key, float(dx), float(dy), None, gesture)


def delete_instance(key: int) -> ops.DeleteInstance:
    return ops.DeleteInstance(key)


def relabel(key: int, label: str) -> ops.Relabel:
    return ops.Relabel(key, label)


# ------------------------------------------------------------------- undo entries
def outline_name(label: str, level: str | None = None) -> str:
    """An outline as the user calls it: "T5", or a radiograph part with its vertebra."""
    return f"{label} of {level}" if level and level != UNKNOWN else label


def instance_name(inst: Instance) -> str:
    return outline_name(inst.label, instance_level(inst.label, inst.extra))


def relabel_words(inst: Instance, label: str) -> tuple[str, str]:
    """(undo entry, status-bar sentence) of giving outline `inst` the label `label`, named
    from and to: "Relabel T3 → T4", "T3 outline is now T4" (a part keeps its vertebra)."""
    old, level = instance_name(inst), instance_level(inst.label, inst.extra)
    new = outline_name(label, level)
    return f"Relabel {old} → {new}", f"{old} outline is now {new}"


def deleted_words(name: str) -> str:
    """The status bar after an outline is deleted by hand."""
    return f"Deleted {name} outline (Ctrl+Z brings it back)"


# the first word of another panel's undo entries ("Accept 1 prediction"), told as done
_DONE = {
    "Accept": "Accepted",
    "Reject": "Rejected",
    "Flag": "Flagged",
    "Relabel": "Relabelled",
    "Swap": "Swapped",
    "Move": "Moved",
    "Predict": "Predicted",
}


def pushed_words(text: str) -> str:
    """The status bar after a step another panel pushed without a word of its own:
    "Accept 1 prediction" -> "Accepted 1 prediction (Ctrl+Z undoes it)"."""
    verb, _, rest = text.partition(" ")
    done = f"{_DONE[verb]} {rest}".strip() if verb in _DONE else text
    return f"{done} (Ctrl+Z undoes it)"


def stroke_text(
    project: Project,
    key: int | None,
    op: ops.Operation,
    erase: bool,
    label: str,
    level: str | None = None,
) -> str:
    """The undo entry of a brush or eraser stroke on outline `key` (None: the brush
    started a new one), named before the stroke is applied."""
    if key is None:
        return f"Add {outline_name(label, level)} outline"
    name = instance_name(project.instance(key))
    if isinstance(op, ops.DeleteInstance):  # erased to nothing
        return f"Erase the whole {name} outline"
    return f"Erase from {name}" if erase else f"Brush stroke on {name}"


def stroke_mask(points: np.ndarray, radius: float, height: int, width: int) -> np.ndarray:
    """Rasterise a brush stroke (a round pen along the points) with QPainter."""
    image = QImage(width, height, QImage.Format.Format_Grayscale8)
    image.fill(0)
    painter = QPainter(image)
    pen = QPen(
        QColor(255, 255, 255),
        2 * radius,
        Qt.PenStyle.SolidLine,
        Qt.PenCapStyle.RoundCap,
        Qt.PenJoinStyle.RoundJoin,
    )
    painter.setPen(pen)
    pts = [QPointF(float(x) - HALF, float(y) - HALF) for x, y in points]
    if len(pts) == 1:
        painter.drawPoint(pts[0])
    else:
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            painter.drawLine(a, b)
    painter.end()
    stride = image.bytesPerLine()
    buf = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return buf.reshape(height, stride)[:, :width] > 127


def brush_op(
    project: Project,
    img: ImageRecord,
    key: int | None,
    points: np.ndarray,
    radius: float,
    erase: bool,
    label: str,
    level: str | None = None,
) -> ops.Operation | None:
    """Paint onto (or erase from) the selected instance's mask; the result is traced back
    to polygons by the annotation layer. With nothing selected the brush starts a new one."""
    stroke = stroke_mask(points, radius, img.height, img.width)
    if key is None:
        if erase:
            return None
        rings = geo.mask_to_polygons(stroke)
        if not rings:
            return None
        inst = Instance(id=project.new_instance_id(), label=label, polygons=rings)
        if level is not None:
            set_vertebra(inst.extra, level)
        return ops.AddInstance(img.id, inst)
    inst = project.instance(key)
    mask = geo.polygons_to_mask(inst.polygons, img.height, img.width, inst.holes)
    mask = mask & ~stroke if erase else mask | stroke
    outers, holes = geo.mask_to_rings(mask)
    if not outers:
        return ops.DeleteInstance(key)
    return ops.ReplacePolygons(key, tuple(outers), tuple(holes))


# ------------------------------------------------------------------- CT mapping
def canal_circles(mip: Any) -> tuple[list[CanalCircle], int]:
    """The preprocessing result's circles for the axial overlay (spine = on the canal track)."""
    circles = np.asarray(mip.circles, dtype=float).reshape(-1, 5)
    on_track = np.asarray(getattr(mip, "circle_on_track", np.zeros(len(circles), bool)))
    out = [
        CanalCircle(float(z), float(x), float(y), float(r), int(c), bool(t))
        for (z, x, y, r, c), t in zip(circles, on_track, strict=True)
    ]
    spine = int(mip.spine_cluster)
    track = np.asarray(getattr(mip, "track", np.zeros((0, 3))), dtype=float)
    detected = np.asarray(getattr(mip, "track_detected", []), dtype=bool)
    if spine < 0 or len(track) != len(detected) or not on_track.any():
        return out, spine
    radius = float(np.median(circles[on_track.astype(bool), 3]))  # the canal's own size
    for k in bridged_slices(detected):
        z, x, y = track[k]
        out.append(CanalCircle(float(z), float(x), float(y), radius, spine, True, bridged=True))
    return out, spine


def canal_coverage_text(mip: Any) -> tuple[str, bool]:
    """The track's measured vs bridged share in words, and whether it is low."""
    detected = np.asarray(getattr(mip, "track_detected", []), dtype=bool)
    if int(getattr(mip, "spine_cluster", -1)) < 0:
        return "no spinal canal found: the crop is centred on the body", True
    cov = canal_coverage(detected, float(mip.grid.spacing))
    return cov.sentence() + ("  ⚠ check the MIP holds every vertebra" if cov.low else ""), cov.low


def slice_of_mip_point(mip: Any, volume: Any, x: float, y: float) -> int | None:
    """Axial slice index (in the shown volume) under a MIP point."""
    k = float(mip.mip_to_source_index(y - HALF, x - HALF)[0])
    if not np.isfinite(k):
        return None
    return int(np.clip(round(k), 0, volume.shape[0] - 1))


def mip_point_lps(mip: Any, x: float, y: float) -> np.ndarray:
    """LPS mm of what a MIP pixel shows: the voxel that won the projection where it is
    bone, else the canal track's depth on that slice (`MipResult.mip_to_lps`, "shown")."""
    return np.asarray(mip.mip_to_lps(y - HALF, x - HALF, depth="shown"), dtype=float)


def lps_mip_point(mip: Any, lps: Any) -> tuple[float, float] | None:
    """Scene (x, y) on the MIP of an LPS point (None when it falls outside the MIP)."""
    row, col = mip.lps_to_mip(np.asarray(lps, dtype=float))
    h, w = mip.mip_u8.shape[:2]
    if not (np.isfinite(row) and np.isfinite(col) and 0 <= row < h and 0 <= col < w):
        return None
    return float(col) + HALF, float(row) + HALF


def slice_row(mip: Any, volume: Any, k: int) -> float | None:
    """Scene y of the MIP row that axial slice k projects onto."""
    nz, ny, nx = volume.shape
    xyz = volume.index_to_lps((k, (ny - 1) / 2, (nx - 1) / 2))
    row, _ = mip.lps_to_mip(xyz)
    return float(row) + HALF if np.isfinite(row) else None


def rows_without_circle(mip: Any, volume: Any) -> np.ndarray:
    """MIP rows whose resampled slice has no canal circle on the track (bridged there)."""
    detected = np.asarray(getattr(mip, "track_detected", []), dtype=bool)
    track = np.asarray(getattr(mip, "track", np.zeros((0, 3))), dtype=float)
    if len(track) == 0 or len(detected) != len(track):
        return np.zeros(0)
    rows = np.array([mip.lps_to_mip((0.0, 0.0, z))[0] for z in track[~detected, 0]])
    h = mip.mip_u8.shape[0]
    return rows[(rows >= 0) & (rows < h)]


def describe_mip_point(rec: ImageRecord, opened: Any, x: float, y: float) -> str:
    """Status-bar text for the cursor on the annotated image (LPS mm and HU when known)."""
    if not (0 <= x < rec.width and 0 <= y < rec.height):
        return ""
    r, c = int(y), int(x)
    text = f"{rec.kind.upper()}  row {r}  col {c}"
    if opened is not None:
        lps = opened.mip.mip_to_lps(y - HALF, x - HALF)
        hu = float(opened.mip.mip[r, c])
        text += f"   L {lps[0]:.1f}  P {lps[1]:.1f}  S {lps[2]:.1f} mm   MIP HU {hu:.0f}"
    elif rec.mip_affine is not None:
        lps = np.asarray(rec.mip_affine, dtype=float) @ np.array([y - HALF, x - HALF, 1.0])
        text += f"   P {lps[1]:.1f}  S {lps[2]:.1f} mm"
    return text
