"""Flagging an instance for an expert is an edit like any other: undoable and journalled."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vertapp.annotations.model import ImageRecord, Project
from vertapp.annotations.ops import FlagInstance, add_instance
from vertapp.annotations.store import Journal, recover, save_project


def _project(root: Path) -> tuple[Project, int]:
    project = Project(root)
    project.add_image(ImageRecord(id=1, file_name="images/a.png", width=64, height=64))
    square = np.array([[10, 10], [40, 10], [40, 30], [10, 30]], float)
    project.apply(add_instance(project, 1, "L1", [square], source="predicted", score=0.8))
    return project, project.images[1].instances[0].id


def test_flag_undoes_and_survives_a_crash(tmp_path: Path) -> None:
    project, inst_id = _project(tmp_path)
    save_project(project, tmp_path)
    journal = Journal(project, tmp_path).attach()
    undo = project.apply(FlagInstance(inst_id, True))
    assert project.instance(inst_id).extra["vertapp"]["flagged"] is True
    project.apply(undo)
    assert "vertapp" not in project.instance(inst_id).extra
    project.apply(FlagInstance(inst_id, True))
    journal.close()  # the process "dies" here, unsaved
    recovered = recover(tmp_path)
    assert recovered.instance(inst_id).extra["vertapp"]["flagged"] is True


def test_every_operation_can_be_journalled() -> None:
    """An op the journal cannot encode would fail the edit in any saved project."""
    import inspect

    from vertapp.annotations import ops
    from vertapp.annotations.opcodec import OP_TYPES

    defined = {
        name
        for name, cls in inspect.getmembers(ops, inspect.isclass)
        if issubclass(cls, ops.Operation) and cls is not ops.Operation
    }
    assert defined - set(OP_TYPES) == set()
