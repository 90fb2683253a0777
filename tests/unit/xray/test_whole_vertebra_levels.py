"""A whole vertebra on a radiograph keeps its level in its category and in
vertapp.vertebra: a relabel or a level shift changes both, and readers trust the category."""

from __future__ import annotations

import numpy as np

from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.annotations.ops import Relabel, SetInstanceFields
from vertapp.xray.parts import vertebra_of

SQUARE = np.array([[1.0, 1.0], [9.0, 1.0], [9.0, 9.0], [1.0, 9.0]])


def _project() -> Project:
    project = Project(label_set="vertebrae")
    inst = Instance(1, "T1", [SQUARE], extra={"vertapp": {"vertebra": "T1"}})
    project.add_image(ImageRecord(1, "images/a.png", 20, 20, kind="radiograph", instances=[inst]))
    return project


def test_relabel_and_shift_move_the_stored_level_and_undo_it() -> None:
    project = _project()
    inst = project.instance(1)
    undo = project.apply(Relabel(1, "T2"))
    assert (inst.label, inst.extra["vertapp"]["vertebra"]) == ("T2", "T2")
    project.apply(undo)
    assert (inst.label, inst.extra["vertapp"]["vertebra"]) == ("T1", "T1")
    project.apply(SetInstanceFields(1, (("label", "T3"),)))  # a hidden one moved by a shift
    assert inst.extra["vertapp"]["vertebra"] == "T3"


def test_a_level_category_is_the_level_even_beside_a_stale_one() -> None:
    """Files saved before the fix hold category T2 with vertapp.vertebra T1."""
    assert vertebra_of({"vertapp": {"vertebra": "T1"}}, "T2") == "T2"
    assert vertebra_of({"vertapp": {"vertebra": "L3"}}, "pedicle") == "L3"  # parts: as before
    assert vertebra_of({"vertebra": "l 4"}, "body") == "L4"
    assert vertebra_of({}, "body") == "unknown"
