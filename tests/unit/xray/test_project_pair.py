"""Two radiographs of a project as a pair: their annotations are the ZOIs."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.errors import InputError
from vertapp.jobs import run_job
from vertapp.xray.project_pair import outlines_of, project_pair_job, zois_of

SQUARE = np.array([[10, 10], [30, 10], [30, 30], [10, 30]], float)


def _project(*outlines: tuple[str, str | None, np.ndarray]) -> Project:
    project = Project(label_set="parts")
    project.add_image(ImageRecord(1, "images/a.png", 60, 80, kind="radiograph"))
    for label, level, ring in outlines:
        inst = Instance(project.new_instance_id(), label, [ring])
        if level is not None:
            inst.extra = {"vertapp": {"vertebra": level}}
        project._insert_instance(1, inst, None)
    return project


def test_parts_of_one_level_make_one_zoi_and_unnamed_ones_are_skipped() -> None:
    project = _project(
        ("body", "L1", SQUARE),
        ("pedicle", "L1", SQUARE + [25, 0]),
        ("body", "L2", SQUARE + [0, 40]),
        ("body", None, SQUARE + [0, 20]),
    )
    zois, notes = zois_of(outlines_of(project, 1, None))
    assert list(zois) == ["L1", "L2"]
    assert set(zois["L1"].parts) == {"body", "pedicle"}
    assert zois["L1"].mask.sum() > zois["L2"].mask.sum()  # the union of its parts
    assert notes == ["1 annotation(s) name no vertebra and were skipped"]


def test_a_vertebra_label_names_its_level() -> None:
    project = _project(("T12", None, SQUARE))
    project.label_set = "vertebrae"
    zois, _ = zois_of(outlines_of(project, 1, None))
    assert list(zois) == ["T12"]


def test_refusals_in_words() -> None:
    unnamed = outlines_of(_project(("body", None, SQUARE)), 1, None)
    with pytest.raises(InputError, match="no annotation names its vertebra"):
        zois_of(unnamed)
    a = outlines_of(_project(("body", "L1", SQUARE)), 1, None, np.zeros((80, 60)))
    other = _project(("body", "L1", SQUARE))
    other.images[1].height = 90
    b = outlines_of(other, 1, None, np.zeros((90, 60)))
    with pytest.raises(InputError, match="same size"):
        run_job(project_pair_job(a, b))


def test_pixel_spacing_recorded_by_both_films_gives_mm() -> None:
    from vertapp.xray.project_pair import pair_inputs

    project = _project(("body", "L1", SQUARE))
    project.images[1].extra = {"vertapp": {"pixel_spacing_mm": [0.15, 0.15]}}
    pixels = np.zeros((80, 60), np.float32)
    a = outlines_of(project, 1, None, pixels)
    assert a.pixel_mm == (0.15, 0.15)
    assert pair_inputs(a, a).pixel_mm == (0.15, 0.15)
    bare = outlines_of(_project(("body", "L1", SQUARE)), 1, None, pixels)
    inputs = pair_inputs(a, bare)
    assert inputs.pixel_mm is None and any("pixel spacings" in n for n in inputs.notes)
