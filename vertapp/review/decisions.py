"""Review decisions as annotation-layer operations, so each one undoes (no Qt).

accept = `AcceptPrediction` (reviewed), reject = `RejectPrediction` (removed), relabel
marks a prediction "corrected" and reviewed, flag = `FlagInstance` (for an expert),
shifting the levels renumbers every vertebra of an image at once (the common error of an
automatic numbering is the whole spine one or two levels off, not one vertebra).
`apply_with_status` applies a decision and brings the image status up to date (see
`status.py`) as one inverse. New predictions enter the project as "predicted" instances
with their score and model id, replacing the undecided ones of an earlier run; accepted,
corrected and flagged ones are decisions and stay.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np

from vertapp.annotations.geometry import union_geometry
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.annotations.ops import (
    AcceptPrediction,
    AddInstance,
    DeleteInstance,
    EditError,
    FlagInstance,
    Macro,
    Operation,
    RejectPrediction,
    Relabel,
    SetImageStatus,
    SetInstanceFields,
    SetReviewed,
)
from vertapp.labels import PARTS, VERTEBRAE
from vertapp.review.compare import has_ground_truth
from vertapp.review.status import (
    APP,
    FLAG_KEY,
    ORIGINAL_LABEL_KEY,
    VERTEBRA_KEY,
    app_field,
    derived_image_status,
    is_pending,
)


def apply_with_status(project: Project, ops: Sequence[Operation], image_id: int) -> Operation:
    """Apply `ops` then bring the image status up to date; returns one inverse (a Macro).

    All or nothing: if an op is refused, those already applied are rolled back. Through
    `Project.apply`, so that the crash journal records the decision like any edit.
    """
    inverse = project.apply(Macro(tuple(ops), "Review"))
    return _with_statuses(project, [image_id], inverse, "Review", decided=True)


def _with_statuses(
    project: Project, image_ids: Sequence[int], inverse: Operation, text: str, decided: bool
) -> Operation:
    """Bring the images' statuses up to what their vertebrae say, after `inverse`'s edit;
    one inverse for both (through `Project.apply`: the crash journal sees it)."""
    ops = []
    for image_id in image_ids:
        img = project.images[image_id]
        status = derived_image_status(img, decided=decided)
        if status != img.status:
            ops.append(SetImageStatus(image_id, status))
    if not ops:
        return inverse
    return Macro((project.apply(Macro(tuple(ops), text)), inverse), text)


# -- decisions ---------------------------------------------------------------------------------
def _predictions(project: Project, instance_ids: Sequence[int]) -> list[int]:
    """The ids that are model output (hand-drawn outlines are not accepted or rejected)."""
    return [
        i
        for i in instance_ids
        if project.has_instance(i) and project.instance(i).source != "manual"
    ]


def accept_ops(project: Project, instance_ids: Sequence[int]) -> list[Operation]:
    """Accept the predictions not accepted yet (A on an accepted one added an undo step
    that changed nothing)."""
    ids = _predictions(project, instance_ids)
    return [AcceptPrediction(i, True) for i in ids if not project.instance(i).reviewed]


def already_accepted(project: Project, instance_ids: Sequence[int]) -> bool:
    """Every one of `instance_ids` is a prediction accepted before (and there is one)."""
    ids = _predictions(project, instance_ids)
    return bool(ids) and all(project.instance(i).reviewed for i in ids)


def reject_ops(project: Project, instance_ids: Sequence[int]) -> list[Operation]:
    return [RejectPrediction(i) for i in _predictions(project, instance_ids)]


def flag_ops(project: Project, instance_ids: Sequence[int]) -> list[Operation]:
    """Toggle the expert flag of each instance."""
    return [
        FlagInstance(i, not app_field(project.instance(i), FLAG_KEY, False)) for i in instance_ids
    ]


def relabel_ops(project: Project, instance_id: int, label: str) -> list[Operation]:
    """Relabel (marks a prediction corrected) and count it as reviewed."""
    ops: list[Operation] = []
    if project.instance(instance_id).label != label:
        ops.append(Relabel(instance_id, label))
    ops.append(SetReviewed(instance_id, True))
    return ops


def relabel_choices(labels: Sequence[str]) -> list[str]:
    """What the review's Relabel offers: a parts project's parts are relabelled by level
    (a pedicle of L3 becomes one of L2; turning it into a body is not a review decision),
    any other project by its own labels."""
    parts = bool(labels) and all(label in PARTS for label in labels)
    return list(VERTEBRAE) if parts else list(labels)


def shown_label(inst: Instance) -> str:
    """The label Relabel starts from: a part's level, else the instance's label."""
    if inst.label in PARTS:
        return str(app_field(inst, VERTEBRA_KEY, None) or "")
    return inst.label


def label_holder(img: ImageRecord, instance_id: int, label: str) -> Instance | None:
    """Another instance of the image that already carries `label` (a relabel would double it)."""
    return next((i for i in img.instances if i.label == label and i.id != instance_id), None)


def swap_label_ops(project: Project, instance_id: int, other_id: int) -> list[Operation]:
    """Give the two instances each other's label; the chosen one counts as reviewed."""
    mine, theirs = project.instance(instance_id).label, project.instance(other_id).label
    return [Relabel(other_id, mine), Relabel(instance_id, theirs), SetReviewed(instance_id, True)]


def shift_levels_ops(
    project: Project, image_id: int, step: int, hidden: Collection[int] = ()
) -> list[Operation]:
    """Every vertebra of the image `step` levels further down (+1: T12 becomes L1; -1: L1
    becomes T12): a T1..L5 label (CT MIPs, whole vertebrae) or a radiograph part's level.

    The outlines stay; each changed prediction counts as corrected. EditError in words when
    a shown level would leave T1..L5 or the image has no numbered vertebra. `hidden`: ids
    of undecided predictions the review threshold hides. They move with the spine but stay
    undecided (nobody saw them), and one that would leave T1..L5 is dropped; before, a
    hidden "L5" refused a shift the reviewer could not see the reason for, and a hidden
    one came out "corrected" and in sight below the threshold."""
    img = project.images[image_id]
    numbered = [(inst, lv) for inst in img.instances if (lv := _level_of(inst)) is not None]
    shown = [(inst, lv) for inst, lv in numbered if inst.id not in hidden]
    if not shown:
        raise EditError("this image has no vertebra numbered T1..L5 to renumber")
    if step == 0:
        raise EditError("a shift of 0 levels changes nothing")
    off = sorted(
        {lv for _, lv in shown if not 0 <= VERTEBRAE.index(lv) + step < len(VERTEBRAE)},
        key=VERTEBRAE.index,
    )
    if off:
        where = "above T1" if step < 0 else "below L5"
        raise EditError(f"{', '.join(off)} would go {where}: shift refused, nothing changed")
    ops: list[Operation] = []
    for inst, lv in numbered:
        ops += _shifted(img, inst, lv, step, inst.id in hidden)
    return ops


def _shifted(
    img: ImageRecord, inst: Instance, level: str, step: int, hidden: bool
) -> list[Operation]:
    k = VERTEBRAE.index(level) + step
    if not 0 <= k < len(VERTEBRAE):  # only a hidden one gets here (shown ones refuse)
        return [DeleteInstance(inst.id)]
    new = VERTEBRAE[k]
    if inst.label not in VERTEBRAE:
        return move_to_level_ops(img, inst, new, corrected=not hidden)
    if hidden:
        return [SetInstanceFields(inst.id, (("label", new),))]
    return [Relabel(inst.id, new)]


def _level_of(inst: Instance) -> str | None:
    """The vertebra an instance is: its T1..L5 label, else its part's level (or None)."""
    if inst.label in VERTEBRAE:
        return inst.label
    level = app_field(inst, VERTEBRA_KEY, None)
    return level if level in VERTEBRAE else None


def move_to_level_ops(
    img: ImageRecord, inst: Instance, level: str, corrected: bool = True, reviewed: bool = False
) -> list[Operation]:
    """A radiograph part moved to vertebra `level` (already normalised): the annotation
    layer has no operation for an instance's "vertapp" fields, so it is replaced in place
    by a copy, its place in the image kept; a prediction becomes corrected (unless not
    `corrected`: a hidden one moved along with a shift)."""
    new = inst.copy()
    new.extra.setdefault(APP, {})[VERTEBRA_KEY] = level
    new.reviewed = new.reviewed or reviewed
    if corrected and new.source == "predicted":
        new.source = "corrected"
    return [DeleteInstance(inst.id), AddInstance(img.id, new, img.instance_index(inst.id))]


def accept_above_ops(img: ImageRecord, threshold: float) -> list[Operation]:
    """Accept every pending prediction of the image whose score reaches `threshold`,
    except those flagged for an expert: that call is the expert's, one by one."""
    return [
        AcceptPrediction(i.id, True)
        for i in img.instances
        if is_pending(i)
        and not app_field(i, FLAG_KEY)
        and i.score is not None
        and i.score >= threshold
    ]


# -- predictions -> project --------------------------------------------------------------------
def shapes_for_labels(shapes: Sequence[Any], labels: Collection[str]) -> list[Any]:
    """A radiograph run's parts fitted to a project of whole vertebrae (T1..L5 categories,
    as landmark imports into a CT project make): a body becomes its level's instance, the
    other parts, which have no category there, are left out. Other shapes pass as they are.
    """
    out = []
    for shape in shapes:
        level = getattr(shape, "level", None)
        if level is None or shape.label in labels:
            out.append(shape)
        elif shape.label == "body" and level in labels:
            out.append(dataclasses.replace(shape, label=level))
    return out


def prediction_instances(project: Project, shapes: Sequence[Any], model_id: str) -> list[Instance]:
    """New predicted Instances (fresh ids) from a run's PredictedShapes of one image."""
    out: list[Instance] = []
    for shape in shapes:
        extra: dict[str, Any] = {}
        if shape.order_changed and shape.original_label:
            extra[APP] = {ORIGINAL_LABEL_KEY: shape.original_label}
        level = getattr(shape, "level", None)
        if level is not None:  # a radiograph part: the vertebra it belongs to, as drawn ones
            extra.setdefault(APP, {})[VERTEBRA_KEY] = level
        out.append(
            Instance(
                id=project.new_instance_id(),
                label=shape.label,
                polygons=[np.asarray(p, np.float64) for p in shape.polygons],
                source="predicted",
                score=float(shape.score),
                model_id=model_id,
                order_changed=bool(shape.order_changed),
                extra=extra,
            )
        )
    return out


def apply_predictions(
    project: Project, shapes: Mapping[int, Sequence[Any]], model_id: str, text: str = "Predict"
) -> tuple[Operation | None, int, list[int]]:
    """A run's shapes into the project as undecided predictions, as one undo step.

    Images holding hand-drawn ground truth are left as they are. Each image's status
    follows its new vertebrae: one marked completed (nothing on it, say) that now holds
    predictions is to review again, or "Next unreviewed" would pass them by.
    Returns (the inverse, or None when nothing changed; instances added; image ids
    skipped for their ground truth)."""
    ops: list[Operation] = []
    added, skipped = 0, []
    for image_id, image_shapes in shapes.items():
        if image_id not in project.images:
            continue
        if has_ground_truth(project, image_id):
            skipped.append(image_id)
            continue
        new = prediction_instances(project, image_shapes, model_id)
        image_ops = replace_prediction_ops(project.images[image_id], new)
        ops += image_ops
        added += sum(isinstance(op, AddInstance) for op in image_ops)
    if not ops:
        return None, added, skipped
    inverse = project.apply(Macro(tuple(ops), text))
    shown = [i for i in shapes if i in project.images]
    return _with_statuses(project, shown, inverse, text, decided=False), added, skipped


def replace_prediction_ops(img: ImageRecord, new: Sequence[Instance]) -> list[Operation]:
    """Drop the image's undecided predictions and add `new` ones. Decided work is kept:
    accepted, corrected and flagged-for-expert vertebrae stay, and a new prediction that
    covers one of them (IoU >= `SAME_VERTEBRA_IOU`) is not added beside it."""
    kept = [i for i in img.instances if not _undecided(i)]
    ops: list[Operation] = [DeleteInstance(i.id) for i in img.instances if _undecided(i)]
    shapes = [union_geometry(i.polygons) for i in kept]
    ops.extend(
        AddInstance(img.id, inst)
        for inst in new
        if not any(_iou(union_geometry(inst.polygons), s) >= SAME_VERTEBRA_IOU for s in shapes)
    )
    return ops


# A re-run's mask of a vertebra already decided overlaps it by 0.7-0.95 IoU; neighbouring
# vertebrae barely touch (< 0.1).
SAME_VERTEBRA_IOU = 0.5


def _undecided(inst: Instance) -> bool:
    """A prediction nobody has accepted, corrected or flagged for an expert yet."""
    return inst.source == "predicted" and not inst.reviewed and not app_field(inst, FLAG_KEY)


def _iou(a: Any, b: Any) -> float:
    union = a.union(b).area
    return float(a.intersection(b).area / union) if union > 0 else 0.0
