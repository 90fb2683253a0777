"""Radiograph vocabularies and `vertapp.vertebra` on part annotations through COCO and back."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools.coco import COCO

from vertapp.annotations import ops, store
from vertapp.annotations.model import ImageRecord
from vertapp.labels import PARTS, VERTEBRAE
from vertapp.xray.parts import (
    MODEL_VOCABULARIES,
    class_part_level,
    is_radiograph_vocabulary,
    normalise_level,
    set_vertebra,
    vertebra_of,
)


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("T1", "T1"),
        ("t 12", "T12"),
        ("Th3", "T3"),
        (" l5 ", "L5"),
        ("L6", "unknown"),
        (None, "unknown"),
        (7, "unknown"),
    ],
)
def test_levels_are_normalised_or_unknown(raw, level):
    assert normalise_level(raw) == level


def test_level_lookup_order_level_category_then_vertapp_key_then_top_level():
    # a whole vertebra's category is its level (round 8: a relabel changes only that)
    assert vertebra_of({"vertapp": {"vertebra": "L2"}, "vertebra": "L3"}, "L4") == "L4"
    assert vertebra_of({"vertapp": {"vertebra": "L2"}, "vertebra": "L3"}, "body") == "L2"
    assert vertebra_of({"vertapp": {"vertebra": "unknown"}, "vertebra": "l3"}, "body") == "L3"
    assert vertebra_of({}, "L4") == "L4"
    assert vertebra_of({}, "pedicle") == "unknown"
    ann = set_vertebra({"vertapp": {"source": "manual"}}, "t7")
    assert ann["vertapp"] == {"source": "manual", "vertebra": "T7"}


def test_model_vocabularies_and_what_each_class_means():
    assert MODEL_VOCABULARIES["bodies"] == VERTEBRAE
    assert MODEL_VOCABULARIES["parts"][-3:] == ("spinous_process", "pedicle", "transverse_process")
    assert class_part_level("T3") == ("body", "T3")
    assert class_part_level("pedicle") == ("pedicle", "unknown")
    assert is_radiograph_vocabulary(list(MODEL_VOCABULARIES["parts"]))
    assert not is_radiograph_vocabulary(list(PARTS))


def _parts_project(tmp_path):
    project = store.new_project(tmp_path / "p", label_set="parts")
    project.add_image(ImageRecord(1, "images/a.png", 80, 120, kind="radiograph"))
    square = np.array([[10, 10], [40, 10], [40, 30], [10, 30]], float)
    for k, (part, level) in enumerate(
        [("body", "L1"), ("pedicle", "L1"), ("spinous_process", "unknown"), ("body", "L2")]
    ):
        op = ops.add_instance(project, 1, part, [square + (0, 25 * k)])
        op.instance.extra = {"vertapp": {"vertebra": level}, "vertebra": level}
        project.apply(op)
    return project


def test_vertebra_survives_save_load_save_and_pycocotools_reads_the_file(tmp_path):
    project = _parts_project(tmp_path)
    path = store.save_project(project)
    data = json.loads(path.read_text())
    levels = [a["vertapp"]["vertebra"] for a in data["annotations"]]
    assert levels == ["L1", "L1", "unknown", "L2"]
    assert [a["vertebra"] for a in data["annotations"]] == levels  # other tools' key kept too
    again = store.load_project(tmp_path / "p")
    store.save_project(again, force=True)
    data2 = json.loads((tmp_path / "p" / "project.json").read_text())
    assert [a["vertapp"]["vertebra"] for a in data2["annotations"]] == levels
    coco = COCO(str(path))  # unchanged file, pycocotools' own loader
    names = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    assert [names[a["category_id"]] for a in coco.loadAnns(coco.getAnnIds())] == [
        "body",
        "pedicle",
        "spinous_process",
        "body",
    ]
    assert coco.annToMask(coco.loadAnns(1)[0]).sum() == 30 * 20
