"""Edit operations: every op's inverse restores the exact state; history, merging, observers."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.annotations import ops
from vertapp.annotations.model import Change, Instance

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")


def _square(x: float, y: float, s: float = 10.0) -> np.ndarray:
    return np.array([[x, y], [x + s, y], [x + s, y + s], [x, y + s]], dtype=np.float64)


def _all_ops(project) -> list[ops.Operation]:
    new = Instance(id=project.new_instance_id(), label="L1", polygons=[_square(5, 5)])
    return [
        ops.AddInstance(1, new),
        ops.AddInstance(1, Instance(id=9999, label="T2", polygons=[_square(1, 1)]), index=0),
        ops.DeleteInstance(2),
        ops.RejectPrediction(3),
        ops.MoveVertex(1, 0, 2, (33.25, 41.5)),
        ops.InsertVertex(1, 0, 1, (20.125, 19.0)),
        ops.DeleteVertex(1, 0, 3),
        ops.MovePolygon(1, 0.1, 0.7),
        ops.MovePolygon(1, -3.3, 2.2, polygon=0),
        ops.Relabel(4, "L5"),
        ops.SetReviewed(4, True),
        ops.AcceptPrediction(4),
        ops.SetInstanceFields(4, (("order_changed", True), ("score", 0.5))),
        ops.ReplacePolygons(4, (_square(30, 30), _square(60, 60)), (_square(32, 32, 2),)),
        ops.SetImageStatus(1, "completed"),
        ops.Macro((ops.Relabel(1, "T9"), ops.MoveVertex(1, 0, 0, (1.0, 1.0))), "Fix"),
    ]


@pytest.mark.parametrize("index", range(16))
@pytest.mark.parametrize("source", ["manual", "predicted"])
def test_every_op_undo_and_redo_restore_exact_state(make_project, index, source) -> None:
    project = make_project(source=source)
    op = _all_ops(project)[index]
    before = project.state()
    inverse = project.apply(op)
    after = project.state()
    assert after != before  # the op did something
    redo = project.apply(inverse)
    assert project.state() == before
    project.apply(redo)
    assert project.state() == after


def test_editing_a_prediction_marks_it_corrected_and_keeps_score(make_project) -> None:
    project = make_project(source="predicted")
    inverse = project.apply(ops.MoveVertex(1, 0, 0, (2.0, 3.0)))
    inst = project.instance(1)
    assert inst.source == "corrected" and inst.score == 0.9 and inst.model_id == "m1"
    project.apply(inverse)
    assert project.instance(1).source == "predicted"
    project.apply(ops.AcceptPrediction(2))
    assert project.instance(2).source == "predicted" and project.instance(2).reviewed


def test_history_merges_one_drag_into_one_step(make_project) -> None:
    project = make_project()
    start = project.state()
    original = project.instance(1).polygons[0][0].copy()
    history = ops.History(project)
    for k in range(10):
        history.push(ops.MoveVertex(1, 0, 0, (10.0 + k, 20.0), gesture=1))
    history.push(ops.MoveVertex(1, 0, 0, (50.0, 50.0), gesture=2))  # a new drag
    assert len(history._undo) == 2
    history.undo()
    assert project.instance(1).polygons[0][0].tolist() == [19.0, 20.0]
    history.undo()
    assert project.state() == start
    assert project.instance(1).polygons[0][0].tolist() == original.tolist()
    history.redo()
    assert project.instance(1).polygons[0][0].tolist() == [19.0, 20.0]
    assert history.can_redo and history.redo_text() == "Move vertex"


def test_history_polygon_drag_merges_and_undo_is_exact(make_project) -> None:
    project = make_project()
    start = project.state()
    history = ops.History(project)
    for _ in range(7):
        history.push(ops.MovePolygon(2, 0.1, 0.3, gesture=5))
    assert len(history._undo) == 1
    history.undo()
    assert project.state() == start
    history.redo()
    moved = project.instance(2).polygons[0]
    assert history.undo() and project.state() == start
    assert not np.array_equal(moved, project.instance(2).polygons[0])


def test_history_does_not_merge_across_clean_mark(make_project) -> None:
    project = make_project()
    history = ops.History(project)
    history.push(ops.MoveVertex(1, 0, 0, (1.0, 1.0)))
    history.set_clean()
    history.push(ops.MoveVertex(1, 0, 0, (2.0, 2.0)))
    assert len(history._undo) == 2 and not history.is_clean
    history.undo()
    assert history.is_clean


def test_redo_branch_dropped_by_new_edit(make_project) -> None:
    project = make_project()
    history = ops.History(project)
    history.push(ops.Relabel(1, "L2"))
    history.undo()
    history.push(ops.Relabel(1, "L3"))
    assert not history.can_redo and project.instance(1).label == "L3"


def test_observers_hear_each_change(make_project) -> None:
    project = make_project()
    heard: list[Change] = []
    unsubscribe = project.subscribe(heard.append)
    project.apply(ops.MoveVertex(3, 0, 0, (1.0, 1.0)))
    project.apply(ops.DeleteInstance(4))
    project.apply(ops.SetImageStatus(2, "flagged"))
    assert heard == [
        Change("instance_changed", 1, 3),
        Change("instance_removed", 1, 4),
        Change("image_changed", 2, None),
    ]
    unsubscribe()
    project.apply(ops.Relabel(1, "L4"))
    assert len(heard) == 3
    assert project.modified


def test_macro_is_all_or_nothing(make_project) -> None:
    project = make_project()
    before = project.state()
    bad = ops.Macro((ops.Relabel(1, "L2"), ops.DeleteInstance(12345)))
    with pytest.raises(ops.EditError, match="no instance with id 12345"):
        project.apply(bad)
    assert project.state() == before


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (ops.DeleteVertex(1, 0, 0), None),
        (ops.MoveVertex(1, 3, 0, (0.0, 0.0)), "no polygon 3"),
        (ops.MoveVertex(1, 0, 999, (0.0, 0.0)), "no vertex 999"),
        (ops.MoveVertex(1, 0, 0, (float("nan"), 0.0)), "bad point"),
        (ops.Relabel(1, "S1"), "unknown label"),
        (ops.SetImageStatus(1, "done"), "unknown status"),
        (ops.AddInstance(77, Instance(id=500, label="T1", polygons=[_square(0, 0)])), "no image"),
        (ops.AddInstance(1, Instance(id=1, label="T1", polygons=[_square(0, 0)])), "already used"),
        (ops.ReplacePolygons(1, (np.zeros((2, 2)),)), "3 or more vertices"),
        (ops.SetInstanceFields(1, (("id", 5),)), "cannot set"),
    ],
)
def test_invalid_edits_are_refused_and_change_nothing(make_project, op, message) -> None:
    project = make_project()
    if message is None:  # shrink polygon 0 of instance 1 to a triangle first
        poly = project.instance(1).polygons[0][:3].copy()
        project.apply(ops.ReplacePolygons(1, (poly,)))
        message = "at least 3 vertices"
    before = project.state()
    with pytest.raises(ops.EditError, match=message):
        project.apply(op)
    assert project.state() == before


def test_deleted_ids_are_not_reused(make_project) -> None:
    project = make_project()
    top = max(i.id for _, i in project.iter_instances())
    project.apply(ops.DeleteInstance(top))
    assert project.new_instance_id() == top + 1


def test_add_instance_builder_repairs_and_clips(make_project) -> None:
    project = make_project()
    img = project.image(1)
    bow_tie_partly_outside = [[-10, 0], [20, 20], [20, 0], [-10, 20]]
    op = ops.add_instance(project, 1, "L2", [bow_tie_partly_outside], source="manual")
    inverse = project.apply(op)
    inst = project.instance(op.instance.id)
    assert len(inst.polygons) == 2 and all(p[:, 0].min() >= 0 for p in inst.polygons)
    assert all(p[:, 0].max() <= img.width for p in inst.polygons)
    project.apply(inverse)
    assert not project.has_instance(op.instance.id)
    with pytest.raises(ops.GeometryError):
        ops.add_instance(project, 1, "L2", [[[0, 0], [1, 1]]])


def test_brush_and_eraser_through_masks(make_project) -> None:
    project = make_project()
    before = project.state()
    original = ops.instance_mask(project, 1)
    mask = original.copy()
    mask[44:52, 20:110] = True  # brush stroke
    mask[28:31, :] = False  # eraser stroke
    op = ops.replace_with_mask(project, 1, mask)
    inverse = project.apply(op)
    after = ops.instance_mask(project, 1)
    from vertapp.annotations.geometry import dice

    assert dice(after, mask) > 0.98 and dice(after, original) < 0.9
    project.apply(inverse)
    assert project.state() == before
    erased = ops.replace_with_mask(project, 1, np.zeros_like(mask))
    assert isinstance(erased, ops.DeleteInstance)


def test_repair_after_drag_creates_self_intersection(make_project) -> None:
    project = make_project()
    assert ops.repair_instance(project, 1) is None
    square = np.array([[10, 10], [30, 10], [30, 30], [10, 30]], float)
    project.apply(ops.ReplacePolygons(1, (square,)))
    # vertex 1 dragged past vertex 2: edge 0-1 now runs through vertex 2 (invalid ring)
    project.apply(ops.MoveVertex(1, 0, 1, (35.0, 35.0)))
    from vertapp.annotations.geometry import is_valid_polygon

    assert not is_valid_polygon(project.instance(1).polygons[0])
    fix = ops.repair_instance(project, 1)
    assert fix is not None
    project.apply(fix)
    assert all(is_valid_polygon(p) for p in project.instance(1).polygons)


def test_broken_observer_does_not_break_edits(make_project) -> None:
    project = make_project()

    def boom(change) -> None:
        raise RuntimeError("view bug")

    project.subscribe(boom)
    inverse = project.apply(ops.Relabel(1, "L2"))
    assert project.instance(1).label == "L2"
    project.apply(inverse)
    assert project.instance(1).label == "T1"


def test_add_predicted_mask_keeps_score_model_and_holes(make_project) -> None:
    project = make_project()
    img = project.image(2)
    mask = np.zeros((img.height, img.width), bool)
    mask[50:90, 20:70] = True
    mask[60:70, 30:50] = False
    op = ops.add_instance_from_mask(
        project, 2, "L1", mask, score=0.93, model_id="run7", order_changed=True
    )
    assert op is not None
    project.apply(op)
    inst = project.instance(op.instance.id)
    assert (inst.source, inst.score, inst.model_id, inst.order_changed) == (
        "predicted",
        0.93,
        "run7",
        True,
    )
    assert len(inst.holes) == 1
    assert np.array_equal(ops.instance_mask(project, inst.id), mask)
    empty = np.zeros_like(mask)
    assert ops.add_instance_from_mask(project, 2, "L1", empty) is None
