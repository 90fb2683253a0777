"""The training snapshot and the split by patient keys (no Qt, no stub samples)."""

from __future__ import annotations

import numpy as np

from vertapp.annotations.model import Instance
from vertapp.ml.dataset import split_by_patient as engine_split
from vertapp.review.snapshot import DataImage, data_images, snapshot, split_by_patient, to_sample


def test_split_keeps_each_patient_on_one_side_and_matches_the_engine() -> None:
    images = [DataImage(i, f"im{i}", f"p{i % 4}") for i in range(12)]
    train, val = split_by_patient(images, 0.25, seed=3)
    assert sorted(train + val) == list(range(12))
    patient = {im.image_id: im.patient for im in images}
    assert {patient[i] for i in train}.isdisjoint({patient[i] for i in val})
    assert len({patient[i] for i in val}) == 1

    class S:  # what the engine splits: anything with .patient
        def __init__(self, im: DataImage) -> None:
            self.patient, self.image_id = im.patient, im.image_id

    e_train, e_val = engine_split([S(im) for im in images], 0.25, seed=3)
    assert ([s.image_id for s in e_train], [s.image_id for s in e_val]) == (train, val)


def test_no_validation_with_one_patient() -> None:
    images = [DataImage(i, f"im{i}", "same") for i in range(3)]
    assert split_by_patient(images, 0.5) == ([0, 1, 2], [])


def accept_all(project, image_id: int):
    """The image's predictions accepted, as a reviewer would: training labels now (an
    undecided prediction is never a training mask, see test_training_labels.py)."""
    for inst in project.images[image_id].instances:
        inst.reviewed = True
    return project


def test_snapshot_copies_geometry_and_keeps_pending_pixels(project) -> None:
    accept_all(project, 1)
    pixels = np.full((64, 64), 7, np.uint8)
    [snap] = snapshot(project, [1], {1: pixels})
    project.instance(1).polygons[0][0, 0] = 99.0  # a later edit must not reach the job
    assert snap.instances[0][1][0][0, 0] == 10.0
    assert snap.path is None and snap.read() is not None and snap.patient == "p1"
    assert [d.patient for d in data_images(project)] == ["p1", "p2", "p3"]


def test_to_sample_rasterises_known_labels_only(project) -> None:
    accept_all(project, 1)
    [snap] = snapshot(project, [1], {1: np.zeros((64, 64), np.uint8)})
    sample = to_sample(snap, ["T1", "T3"])
    assert sample.masks.shape == (2, 64, 64) and list(sample.labels) == [1, 2]
    assert 100 < int(sample.masks[0].sum()) <= 13 * 13  # a 12 px square


def test_to_sample_carries_the_hip_landmark_for_validation(project) -> None:
    """Training validation numbers with the hip anchor, as Predict does."""
    from dataclasses import replace

    from vertapp.annotations.landmarks import record_hip_top_row

    [snap] = snapshot(project, [1], {1: np.zeros((64, 64), np.uint8)})
    assert to_sample(snap, ["T1", "T3"]).record == {}
    with_hip = to_sample(replace(snap, hip_top_row=51.5), ["T1", "T3"])
    assert record_hip_top_row(with_hip.record.get("vertapp")) == 51.5


def test_vertebrae_column_counts_a_parts_vertebra_once() -> None:
    """A vertebra drawn as body, two pedicles and a spinous process is one vertebra."""
    from vertapp.review.snapshot import vertebra_count

    def part(label: str, level: str | None) -> Instance:
        extra = {"vertapp": {"vertebra": level}} if level else {}
        return Instance(id=0, label=label, polygons=[np.zeros((3, 2))], extra=extra)

    parts = [
        part(lb, lv)
        for lv in ("L1", "L2")
        for lb in ("body", "pedicle", "pedicle", "spinous_process")
    ]
    assert vertebra_count(parts) == 2
    # a body of no known level is a vertebra; a lone pedicle of no level is not
    assert vertebra_count(parts + [part("body", "unknown"), part("pedicle", None)]) == 3
    assert vertebra_count([part("T1", None), part("T2", None)]) == 2  # MIP levels
