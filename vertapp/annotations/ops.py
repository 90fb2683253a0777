"""Edit operations: each `apply(project)` changes the project and returns its inverse.

Undo is "apply the inverse", redo is "apply the inverse of the inverse", so no
snapshot of the project is ever taken and each step costs O(vertices of one
polygon). The GUI wraps an operation in a QUndoCommand (redo = apply, undo =
apply the returned inverse); `History` below is the same thing without Qt, used
by tests and the CLI.

Merging (one drag = one undo step): consecutive operations with equal, non-None
`merge_key()` merge. The merged step keeps the *first* inverse and the combined
forward `first.absorb(second)` (for absolute ops like MoveVertex, the second op).

Editing a predicted instance (geometry or label) marks it "corrected"; its score
and model id stay for audit, and the inverse restores "predicted".
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vertapp.annotations.geometry import (
    DEFAULT_TOLERANCE,
    GeometryError,
    as_points,
    clean_polygons,
    mask_to_rings,
    polygons_to_mask,
)
from vertapp.annotations.model import SOURCES, STATUSES, Change, Instance, Project
from vertapp.errors import VertAppError
from vertapp.labels import VERTEBRAE


class EditError(VertAppError, ValueError):
    """An edit refers to something that does not exist or would break the model."""


class Operation:
    """Base class. Subclasses are frozen dataclasses."""

    # The undo entry, in the user's words ("outline", not "instance"); the GUI passes a
    # fuller one ("Add T5 outline") where it knows the level.
    text = "Edit"

    def apply(self, project: Project) -> Operation:
        raise NotImplementedError

    def merge_key(self) -> Hashable | None:
        """Equal non-None keys of consecutive ops -> one undo step."""
        return None

    def absorb(self, later: Operation) -> Operation:
        """Forward op equivalent to applying self then `later` (merge_keys are equal)."""
        return Macro((self, later), self.text)


# ------------------------------------------------------------------- helpers


def _instance(project: Project, instance_id: int) -> Instance:
    if not project.has_instance(instance_id):
        raise EditError(f"no instance with id {instance_id}")
    return project.instance(instance_id)


def _ring(inst: Instance, polygon: int) -> np.ndarray:
    if not 0 <= polygon < len(inst.polygons):
        raise EditError(f"instance {inst.id} has no polygon {polygon}")
    return inst.polygons[polygon]


def _point(xy: Any) -> tuple[float, float]:
    try:
        p = as_points([xy])[0]
    except GeometryError as err:
        raise EditError(f"bad point {xy!r}: {err}") from None
    return float(p[0]), float(p[1])


def _mark_corrected(project: Project, inst: Instance, inverse: Operation) -> Operation:
    """Editing a prediction makes it 'corrected'; the inverse puts 'predicted' back."""
    if inst.source != "predicted":
        return inverse
    inst.source = "corrected"
    return Macro((inverse, SetInstanceFields(inst.id, (("source", "predicted"),))), inverse.text)


def _sync_level(inst: Instance) -> None:
    """A whole vertebra drawn on a radiograph also keeps its level in
    extra["vertapp"]["vertebra"] (as parts do), and readers look there first: a relabel to
    another level changes both, or the saved file kept the old level for the command line,
    the pair and training."""
    app = inst.extra.get("vertapp")
    if inst.label in VERTEBRAE and isinstance(app, dict) and app.get("vertebra"):
        app["vertebra"] = inst.label


def _changed(project: Project, inst_id: int) -> None:
    project._changed(Change("instance_changed", project.image_of(inst_id).id, inst_id))


# ------------------------------------------------------------------- instances


@dataclass(frozen=True, eq=False)
class AddInstance(Operation):
    """Add `instance` (its id must be new: use project.new_instance_id()) to an image."""

    image_id: int
    instance: Instance
    index: int | None = None
    text = "Add outline"

    def apply(self, project: Project) -> Operation:
        if self.image_id not in project.images:
            raise EditError(f"no image with id {self.image_id}")
        if project.has_instance(self.instance.id):
            raise EditError(f"instance id {self.instance.id} is already used")
        if not self.instance.polygons or any(len(p) < 3 for p in self.instance.polygons):
            raise EditError("an outline needs at least one polygon of 3 or more vertices")
        # The project owns a copy: the op can be re-applied (redo) after later edits.
        project._insert_instance(self.image_id, self.instance.copy(), self.index)
        project._changed(Change("instance_added", self.image_id, self.instance.id))
        return DeleteInstance(self.instance.id)


@dataclass(frozen=True)
class DeleteInstance(Operation):
    instance_id: int
    text = "Delete outline"

    def apply(self, project: Project) -> Operation:
        _instance(project, self.instance_id)
        image_id, inst, pos = project._remove_instance(self.instance_id)
        project._changed(Change("instance_removed", image_id, self.instance_id))
        return AddInstance(image_id, inst, pos)


@dataclass(frozen=True)
class RejectPrediction(DeleteInstance):
    """Reject a prediction: it is removed (undo brings it back)."""

    text = "Reject prediction"


@dataclass(frozen=True)
class SetInstanceFields(Operation):
    """Set scalar fields (label, source, score, model_id, reviewed, order_changed).

    `changes` is a tuple of (field, value) pairs so the op stays hashable/frozen.
    """

    instance_id: int
    changes: tuple[tuple[str, Any], ...]
    text = "Change outline"

    FIELDS = ("label", "source", "score", "model_id", "reviewed", "order_changed")

    def apply(self, project: Project) -> Operation:
        inst = _instance(project, self.instance_id)
        old = []
        for name, value in self.changes:
            self._check(project, name, value)
            old.append((name, getattr(inst, name)))
        for name, value in self.changes:
            setattr(inst, name, value)
        _sync_level(inst)
        _changed(project, inst.id)
        return SetInstanceFields(inst.id, tuple(reversed(old)))

    def _check(self, project: Project, name: str, value: Any) -> None:
        if name not in self.FIELDS:
            raise EditError(f"cannot set instance field {name!r}")
        if name == "label" and value not in project.labels:
            raise EditError(f"unknown label {value!r}; expected one of {project.labels}")
        if name == "source" and value not in SOURCES:
            raise EditError(f"unknown source {value!r}")


@dataclass(frozen=True)
class Relabel(Operation):
    instance_id: int
    label: str
    text = "Relabel"

    def apply(self, project: Project) -> Operation:
        inst = _instance(project, self.instance_id)
        if self.label not in project.labels:
            raise EditError(f"unknown label {self.label!r}; expected one of {project.labels}")
        inverse: Operation = Relabel(inst.id, inst.label)
        inst.label = self.label
        _sync_level(inst)
        inverse = _mark_corrected(project, inst, inverse)
        _changed(project, inst.id)
        return inverse


@dataclass(frozen=True)
class SetReviewed(Operation):
    instance_id: int
    reviewed: bool = True
    text = "Review"

    def apply(self, project: Project) -> Operation:
        inst = _instance(project, self.instance_id)
        inverse = SetReviewed(inst.id, inst.reviewed)
        inst.reviewed = bool(self.reviewed)
        _changed(project, inst.id)
        return inverse


@dataclass(frozen=True)
class AcceptPrediction(SetReviewed):
    """Accept a prediction as is: reviewed, source stays 'predicted' (or 'corrected')."""

    text = "Accept prediction"


# ------------------------------------------------------------------- vertices


@dataclass(frozen=True)
class MoveVertex(Operation):
    """Move vertex `vertex` of polygon `polygon` to `xy`. `gesture` separates drags.

    Consecutive MoveVertex of the same vertex in the same gesture merge into one
    undo step (the GUI bumps `gesture` on every mouse press).
    """

    instance_id: int
    polygon: int
    vertex: int
    xy: tuple[float, float]
    gesture: int = 0
    text = "Move vertex"

    def apply(self, project: Project) -> Operation:
        inst = _instance(project, self.instance_id)
        ring = _ring(inst, self.polygon)
        if not 0 <= self.vertex < len(ring):
            raise EditError(f"polygon {self.polygon} has no vertex {self.vertex}")
        x, y = _point(self.xy)
        old = (float(ring[self.vertex, 0]), float(ring[self.vertex, 1]))
        ring[self.vertex] = (x, y)
        inverse = _mark_corrected(
            project, inst, MoveVertex(inst.id, self.polygon, self.vertex, old, self.gesture)
        )
        _changed(project, inst.id)
        return inverse

    def merge_key(self) -> Hashable | None:
        return ("move_vertex", self.instance_id, self.polygon, self.vertex, self.gesture)

    def absorb(self, later: Operation) -> Operation:
        return later  # absolute position: the later move is the whole step


@dataclass(frozen=True)
class InsertVertex(Operation):
    """Insert `xy` so that it becomes vertex `vertex` of the polygon."""

    instance_id: int
    polygon: int
    vertex: int
    xy: tuple[float, float]
    text = "Insert vertex"

    def apply(self, project: Project) -> Operation:
        inst = _instance(project, self.instance_id)
        ring = _ring(inst, self.polygon)
        if not 0 <= self.vertex <= len(ring):
            raise EditError(f"cannot insert at vertex {self.vertex} of {len(ring)}")
        inst.polygons[self.polygon] = np.insert(ring, self.vertex, _point(self.xy), axis=0)
        inverse = _mark_corrected(project, inst, DeleteVertex(inst.id, self.polygon, self.vertex))
        _changed(project, inst.id)
        return inverse


@dataclass(frozen=True)
class DeleteVertex(Operation):
    """Delete a vertex; refused when the polygon would have fewer than 3."""

    instance_id: int
    polygon: int
    vertex: int
    text = "Delete vertex"

    def apply(self, project: Project) -> Operation:
        inst = _instance(project, self.instance_id)
        ring = _ring(inst, self.polygon)
        if not 0 <= self.vertex < len(ring):
            raise EditError(f"polygon {self.polygon} has no vertex {self.vertex}")
        if len(ring) <= 3:
            raise EditError("an outline needs at least 3 vertices; delete the outline instead")
        old = (float(ring[self.vertex, 0]), float(ring[self.vertex, 1]))
        inst.polygons[self.polygon] = np.delete(ring, self.vertex, axis=0)
        inverse = _mark_corrected(
            project, inst, InsertVertex(inst.id, self.polygon, self.vertex, old)
        )
        _changed(project, inst.id)
        return inverse


# ------------------------------------------------------------------- polygons


@dataclass(frozen=True)
class ReplacePolygons(Operation):
    """Replace an instance's whole geometry (brush/eraser result, repaired polygon).

    The arrays are copied in; the inverse holds the old arrays, so undo is exact.
    """

    instance_id: int
    polygons: tuple[np.ndarray, ...]
    holes: tuple[np.ndarray, ...] = ()
    text = "Edit outline"

    def apply(self, project: Project) -> Operation:
        inst = _instance(project, self.instance_id)
        polys = [np.array(as_points(p), dtype=np.float64) for p in self.polygons]
        holes = [np.array(as_points(h), dtype=np.float64) for h in self.holes]
        if not polys or any(len(p) < 3 for p in polys):
            raise EditError("an outline needs at least one polygon of 3 or more vertices")
        inverse: Operation = ReplacePolygons(inst.id, tuple(inst.polygons), tuple(inst.holes))
        inst.polygons, inst.holes = polys, holes
        inverse = _mark_corrected(project, inst, inverse)
        _changed(project, inst.id)
        return inverse


@dataclass(frozen=True)
class MovePolygon(Operation):
    """Translate polygon `polygon` (None: all polygons and holes) by (dx, dy).

    The inverse restores the old coordinates exactly (no float round trip through
    -dx). Consecutive moves of the same gesture merge into one undo step.
    """

    instance_id: int
    dx: float
    dy: float
    polygon: int | None = None
    gesture: int = 0
    text = "Move polygon"

    def apply(self, project: Project) -> Operation:
        inst = _instance(project, self.instance_id)
        old = ReplacePolygons(inst.id, tuple(inst.polygons), tuple(inst.holes))
        d = np.array(_point((self.dx, self.dy)))
        if self.polygon is None:
            inst.polygons = [p + d for p in inst.polygons]
            inst.holes = [h + d for h in inst.holes]
        else:
            inst.polygons[self.polygon] = _ring(inst, self.polygon) + d
        inverse = _mark_corrected(project, inst, old)
        _changed(project, inst.id)
        return inverse

    def merge_key(self) -> Hashable | None:
        return ("move_polygon", self.instance_id, self.polygon, self.gesture)


# ------------------------------------------------------------------- images


@dataclass(frozen=True)
class FlagInstance(Operation):
    """Flag (or unflag) one instance for an expert; saved as `"vertapp": {"flagged": true}`
    in its COCO annotation (kept in `Instance.extra`)."""

    instance_id: int
    flagged: bool = True
    text = "Flag for expert"

    def apply(self, project: Project) -> Operation:
        inst = _instance(project, self.instance_id)
        app = dict(inst.extra.get("vertapp") or {})
        inverse = FlagInstance(inst.id, bool(app.get("flagged", False)))
        if self.flagged:
            app["flagged"] = True
        else:
            app.pop("flagged", None)
        if app:
            inst.extra["vertapp"] = app
        else:
            inst.extra.pop("vertapp", None)
        _changed(project, inst.id)
        return inverse


@dataclass(frozen=True)
class SetImageStatus(Operation):
    image_id: int
    status: str
    text = "Set review status"

    def apply(self, project: Project) -> Operation:
        if self.image_id not in project.images:
            raise EditError(f"no image with id {self.image_id}")
        if self.status not in STATUSES:
            raise EditError(f"unknown status {self.status!r}; expected one of {STATUSES}")
        img = project.images[self.image_id]
        inverse = SetImageStatus(img.id, img.status)
        img.status = self.status
        project._changed(Change("image_changed", img.id))
        return inverse


# ------------------------------------------------------------------- macro


@dataclass(frozen=True)
class Macro(Operation):
    """Several operations as one undo step; applied in order, undone in reverse.

    If one fails part way, the ones already applied are rolled back before the
    error propagates, so a macro is all or nothing.
    """

    ops: tuple[Operation, ...] = field(default_factory=tuple)
    text: str = "Edit"

    def apply(self, project: Project) -> Operation:
        inverses: list[Operation] = []
        try:
            for op in self.ops:
                inverses.append(op.apply(project))
        except Exception:
            for inv in reversed(inverses):
                inv.apply(project)
            raise
        return Macro(tuple(reversed(inverses)), self.text)


# ------------------------------------------------------------------- history


class History:
    """Undo/redo stacks of (forward, inverse) pairs, with merging and a clean mark.

    The Qt GUI uses QUndoStack instead; this is the same contract, headless.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self._undo: list[tuple[Operation, Operation]] = []
        self._redo: list[tuple[Operation, Operation]] = []
        self._clean: int | None = 0
        self._merge_open = True
        self._last_key: Hashable | None = None

    def push(self, op: Operation) -> None:
        """Apply `op` and record it (merged into the last step when keys match)."""
        inverse = self.project.apply(op)
        key = op.merge_key()
        mergeable = self._merge_open and self._clean != len(self._undo)
        if self._undo and key is not None and mergeable and self._last_key == key:
            first, first_inv = self._undo[-1]
            self._undo[-1] = (first.absorb(op), first_inv)
            self._redo.clear()
            return
        if self._clean is not None and self._clean > len(self._undo):
            self._clean = None  # the clean state was in the redo branch we are dropping
        self._undo.append((op, inverse))
        self._redo.clear()
        self._merge_open = True
        self._last_key = key

    def undo(self) -> bool:
        if not self._undo:
            return False
        forward, inverse = self._undo.pop()
        self.project.apply(inverse)  # the recorded forward op is re-applied on redo
        self._redo.append((forward, inverse))
        self._merge_open = False
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        forward, _ = self._redo.pop()
        inverse = self.project.apply(forward)
        self._undo.append((forward, inverse))
        self._merge_open = False
        return True

    def set_clean(self) -> None:
        self._clean = len(self._undo)
        self._merge_open = False

    @property
    def is_clean(self) -> bool:
        return self._clean == len(self._undo)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo_text(self) -> str:
        return self._undo[-1][0].text if self._undo else ""

    def redo_text(self) -> str:
        return self._redo[-1][0].text if self._redo else ""


def delete_instances(instance_ids: Sequence[int], label: str = "Delete outlines") -> Macro:
    """One undo step deleting several instances."""
    return Macro(tuple(DeleteInstance(i) for i in instance_ids), label)


# ------------------------------------------------------------------- builders


def add_instance(
    project: Project,
    image_id: int,
    label: str,
    polygons: Sequence[Any],
    *,
    source: str = "manual",
    score: float | None = None,
    model_id: str | None = None,
    order_changed: bool = False,
    index: int | None = None,
) -> AddInstance:
    """AddInstance for freshly drawn or predicted polygons: repaired, clipped, new id.

    Raises GeometryError (a VertAppError) for < 3 vertices or nothing inside the image.
    """
    if image_id not in project.images:
        raise EditError(f"no image with id {image_id}")
    if label not in project.labels:
        raise EditError(f"unknown label {label!r}; expected one of {project.labels}")
    img = project.images[image_id]
    rings = clean_polygons(polygons, img.height, img.width)
    inst = Instance(
        id=project.new_instance_id(),
        label=label,
        polygons=rings,
        source=source,
        score=score,
        model_id=model_id,
        order_changed=order_changed,
    )
    return AddInstance(image_id, inst, index)


def add_instance_from_mask(
    project: Project,
    image_id: int,
    label: str,
    mask: np.ndarray,
    *,
    source: str = "predicted",
    score: float | None = None,
    model_id: str | None = None,
    order_changed: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
) -> AddInstance | None:
    """AddInstance for a predicted (or painted) mask, traced with holes; None if empty."""
    img = project.images.get(image_id)
    if img is None:
        raise EditError(f"no image with id {image_id}")
    if mask.shape != (img.height, img.width):
        raise EditError(
            f"mask shape {mask.shape} differs from the image ({img.height}, {img.width})"
        )
    outers, holes = mask_to_rings(mask, tolerance)
    if not outers:
        return None
    op = add_instance(
        project,
        image_id,
        label,
        outers,
        source=source,
        score=score,
        model_id=model_id,
        order_changed=order_changed,
    )
    op.instance.holes = holes
    return op


def replace_with_mask(
    project: Project, instance_id: int, mask: np.ndarray, tolerance: float = DEFAULT_TOLERANCE
) -> Operation:
    """Brush/eraser result: the instance's geometry becomes `mask` (traced, holes kept).

    An empty mask (everything erased) gives DeleteInstance.
    """
    img = project.image_of(instance_id)
    if mask.shape != (img.height, img.width):
        raise EditError(
            f"mask shape {mask.shape} differs from the image ({img.height}, {img.width})"
        )
    outers, holes = mask_to_rings(mask, tolerance)
    if not outers:
        return DeleteInstance(instance_id)
    return ReplacePolygons(instance_id, tuple(outers), tuple(holes))


def instance_mask(project: Project, instance_id: int) -> np.ndarray:
    """The instance's mask as pycocotools rasterises it (for the brush to paint on)."""
    img = project.image_of(instance_id)
    inst = project.instance(instance_id)
    return polygons_to_mask(inst.polygons, img.height, img.width, inst.holes)


def repair_instance(project: Project, instance_id: int) -> ReplacePolygons | None:
    """ReplacePolygons making every polygon valid and inside the image, or None if it is.

    For the end of a vertex drag: a drag can create a self-intersection.
    Raises GeometryError if nothing of the instance is left inside the image.
    """
    img = project.image_of(instance_id)
    inst = project.instance(instance_id)
    rings = clean_polygons(inst.polygons, img.height, img.width)
    same = len(rings) == len(inst.polygons) and all(
        a is b or np.array_equal(a, b) for a, b in zip(rings, inst.polygons, strict=False)
    )
    return None if same else ReplacePolygons(instance_id, tuple(rings), tuple(inst.holes))
