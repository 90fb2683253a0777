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
