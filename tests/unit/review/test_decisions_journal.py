"""Review decisions and new predictions reach the crash journal, like every other edit.

The window applies them through `vertapp.review.decisions`; an accept, a level shift or a
prediction run that went around `Project.apply` was never journalled, so a crash lost it
(and an undo of it, journalled, replayed onto a state without it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.unit.review.sample import review_project
from vertapp.annotations.store import Journal, recover, save_project
from vertapp.review import decisions
from vertapp.review import status as rv
from vertapp.review.prediction import PredictedShape


def _saved(tmp_path: Path):
    project = review_project()
    project.root = tmp_path
    save_project(project, tmp_path)
    return project, Journal(project, tmp_path).attach()


def test_review_decisions_survive_a_crash(tmp_path: Path) -> None:
    project, journal = _saved(tmp_path)
    decisions.apply_with_status(project, decisions.accept_ops(project, [1, 2, 3]), 1)
    assert project.images[1].status == rv.COMPLETED
    decisions.apply_with_status(project, decisions.reject_ops(project, [4]), 2)
    journal.close()  # the process dies here, unsaved
    back = recover(tmp_path)
    assert all(i.reviewed for i in back.images[1].instances)
    assert back.images[1].status == rv.COMPLETED
    assert not back.images[2].instances


def test_undoing_a_decision_replays_after_a_crash(tmp_path: Path) -> None:
    project, journal = _saved(tmp_path)
    undo = decisions.apply_with_status(project, decisions.accept_ops(project, [1]), 1)
    project.apply(undo)
    decisions.apply_with_status(project, decisions.accept_ops(project, [3]), 1)
    journal.close()
    back = recover(tmp_path)
    assert [i.reviewed for i in back.images[1].instances] == [False, False, True]


def test_predictions_reopen_a_completed_image_and_are_journalled(tmp_path: Path) -> None:
    project, journal = _saved(tmp_path)
    img = project.images[2]
    decisions.apply_with_status(project, decisions.reject_ops(project, [4]), 2)
    project.apply(decisions.SetImageStatus(2, rv.COMPLETED))  # "nothing here": completed
    square = np.array([[5, 5], [20, 5], [20, 20], [5, 20]], float)
    shapes = {2: [PredictedShape("L2", 0.9, [square])], 3: [PredictedShape("T1", 0.9, [square])]}
    inverse, added, skipped = decisions.apply_predictions(project, shapes, "m@e2")
    assert (added, skipped) == (1, [3])  # image 3 holds hand-drawn ground truth: kept
    assert img.status == rv.NOT_STARTED  # to review again, not passed over as completed
    assert rv.next_image(project, [1, 2, 3], 1) == 2
    journal.close()
    back = recover(tmp_path)
    assert [i.label for i in back.images[2].instances] == ["L2"]
    assert back.images[2].status == rv.NOT_STARTED
    assert inverse is not None
    project.apply(inverse)  # one undo step takes the run and the status back
    assert not img.instances and img.status == rv.COMPLETED


def test_a_rerun_keeps_decided_vertebrae_and_adds_no_twin(tmp_path: Path) -> None:
    """Accepted and flagged predictions are decisions: a new run keeps them, and its own
    mask of the same vertebra is not added beside them; undecided ones are replaced."""
    project, journal = _saved(tmp_path)
    decisions.apply_with_status(project, decisions.accept_ops(project, [1]), 1)  # T1
    decisions.apply_with_status(project, decisions.flag_ops(project, [3]), 1)  # T3
    journal.close()

    def at(label: str, y: float) -> PredictedShape:  # the sample's squares: x 10-22
        return PredictedShape(
            label, 0.9, [np.array([[10, y], [22, y], [22, y + 12], [10, y + 12]], float)]
        )

    rerun = {1: [at("T1", 3), at("T2", 18), at("T3", 35), at("T4", 50)]}
    _, added, _ = decisions.apply_predictions(project, rerun, "m@e2")
    kept = [(i.label, i.model_id) for i in project.images[1].instances]
    assert kept == [("T1", "m@e1"), ("T3", "m@e1"), ("T2", "m@e2"), ("T4", "m@e2")]
    assert added == 2 and rv.app_field(project.images[1].instances[1], rv.FLAG_KEY)
