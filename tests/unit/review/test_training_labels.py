"""Training learns only from labels: what a person drew, corrected or accepted (no Qt).

An undecided prediction (shown, hidden below the review threshold or flagged for an
expert) is the model's own guess: the Train dialog does not count it and no training
job gets it as a mask, else the model would train on its own uncorrected errors.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from tests.unit.review.sample import predicted, square
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.jobs import run_job
from vertapp.ml.config import TrainConfig
from vertapp.review.snapshot import data_images, is_training_label, snapshot
from vertapp.review.status import hidden_by_threshold
from vertapp.review.training import TrainRequest, train_job_from_snapshots

FLAG = {"vertapp": {"flagged": True}}


def mip_project() -> Project:
    """1: undecided predictions only (one hidden below 0.5, one flagged); 2: an accepted,
    a corrected and an undecided prediction; 3: a hand-drawn T1."""
    instances = {
        1: [
            predicted(1, "T1", 2, 0.95),
            predicted(2, "T2", 18, 0.31),
            predicted(3, "T3", 34, 0.90, extra=FLAG),
        ],
        2: [
            predicted(4, "T1", 2, 0.95, reviewed=True),
            Instance(5, "T2", [square(10, 18, 12)], source="corrected", score=0.7),
            predicted(6, "T3", 34, 0.92),
        ],
        3: [Instance(7, "T1", [square(10, 2, 12)])],
    }
    project = Project(label_set="vertebrae")
    for image_id, insts in instances.items():
        rec = ImageRecord(image_id, f"images/im{image_id}.png", 64, 64, patient_key=f"p{image_id}")
        rec.instances = insts
        project.add_image(rec)
    return project


def part(iid: int, label: str, level: str, y: float, **kw) -> Instance:
    kw.setdefault("source", "predicted")
    return Instance(iid, label, [square(10, y, 12)], extra={"vertapp": {"vertebra": level}}, **kw)


@pytest.mark.parametrize(
    ("inst", "label"),
    [
        (Instance(1, "T1", [square(0, 0, 4)]), True),  # drawn by hand
        (Instance(1, "T1", [square(0, 0, 4)], source="corrected", score=0.8), True),
        (predicted(1, "T1", 0, 0.9, reviewed=True), True),  # accepted
        (predicted(1, "T1", 0, 0.9, reviewed=True, extra=FLAG), True),  # accepted, then flagged
        (predicted(1, "T1", 0, 0.9), False),  # undecided
        (predicted(1, "T1", 0, 0.2), False),  # undecided, hidden below the threshold
        (predicted(1, "T1", 0, 0.9, extra=FLAG), False),  # awaits an expert's decision
    ],
)
def test_a_training_label_is_what_a_person_made_or_decided(inst, label) -> None:
    assert is_training_label(inst) is label


def test_train_dialog_counts_labelled_vertebrae_only() -> None:
    project = mip_project()
    assert hidden_by_threshold(project.instance(2), 0.5)  # hidden, yet was counted
    counts = [im.n_instances for im in data_images(project)]
    assert counts == [0, 2, 1]  # was [3, 3, 1]: image 1 (all undecided) is no longer ticked
    # the undecided ones are shown beside the count; an image with any starts unticked
    pending = [im.n_pending for im in data_images(project)]
    assert pending[0] == 3 and pending[2] == 0


def test_train_dialog_counts_a_radiograph_vertebra_once_from_its_labelled_parts() -> None:
    project = Project(label_set="parts")
    rec = ImageRecord(1, "images/film.png", 64, 64, kind="radiograph")
    rec.instances = [
        part(1, "body", "L3", 2, reviewed=True),
        part(2, "pedicle", "L3", 2, source="manual"),
        part(3, "body", "L4", 30),  # undecided: L4 is not labelled
        part(4, "pedicle", "L4", 30),
    ]
    project.add_image(rec)
    only_guesses = ImageRecord(2, "images/film2.png", 64, 64, kind="radiograph")
    only_guesses.instances = [part(5, "body", "L1", 2), part(6, "pedicle", "L1", 2)]
    project.add_image(only_guesses)
    assert [im.n_instances for im in data_images(project)] == [1, 0]


def test_a_training_snapshot_holds_the_labels_only(tmp_path) -> None:
    project = mip_project()
    project.root = tmp_path  # pixels read from the folder later, in the job
    snaps = snapshot(project, [1, 2, 3])
    assert [[lab for lab, *_ in s.instances] for s in snaps] == [[], ["T1", "T2"], ["T1"]]
    # every instance on request; the rest of the snapshot is the same either way
    everything = snapshot(project, [1, 2, 3], labels_only=False)
    assert [len(s.instances) for s in everything] == [3, 3, 1]
    for a, b in zip(snaps, everything, strict=True):
        assert (a.image_id, a.file_name, a.path, a.patient, a.kind) == (
            b.image_id,
            b.file_name,
            b.path,
            b.patient,
            b.kind,
        )


def captured_train_job(monkeypatch) -> dict:
    """The engine's train_job replaced by one that keeps the samples it is handed."""
    import vertapp.ml.train as engine

    seen: dict = {}

    def fake_train_job(config, train, out, val_data=None, **kw):
        seen.update(config=config, train=list(train), val=list(val_data or []))
        return SimpleNamespace(out=None, epochs=0)
        yield  # a job: a generator

    monkeypatch.setattr(engine, "train_job", fake_train_job)
    return seen


def test_the_engine_gets_masks_of_labels_only(monkeypatch, tmp_path) -> None:
    project = mip_project()
    pixels = {i: np.zeros((64, 64), np.uint8) for i in project.images}
    seen = captured_train_job(monkeypatch)
    config = TrainConfig(class_names=["T1", "T2", "T3"])
    request = TrainRequest(config, [1, 2], [3], tmp_path / "m.pt")
    train, val = snapshot(project, [1, 2], pixels), snapshot(project, [3], pixels)
    run_job(train_job_from_snapshots(request, train, val))
    assert [list(s.labels) for s in seen["train"]] == [[], [1, 2]]  # no T3, no image-1 guess
    assert [list(s.labels) for s in seen["val"]] == [[1]]
    assert seen["train"][0].masks.shape == (0, 64, 64)


def test_a_radiograph_trains_on_its_labelled_parts_only(monkeypatch, tmp_path) -> None:
    from vertapp.xray.snapshot_training import radiograph_train_job

    project = Project(label_set="parts")
    rec = ImageRecord(1, "images/film.png", 64, 64, kind="radiograph", patient_key="p")
    rec.instances = [
        part(1, "body", "L3", 2, reviewed=True),
        part(2, "pedicle", "L3", 2, source="manual"),
        part(3, "body", "L4", 30),  # undecided
        part(4, "pedicle", "L4", 30),
    ]
    project.add_image(rec)
    seen = captured_train_job(monkeypatch)
    request = TrainRequest(TrainConfig(), [1], [], tmp_path / "m.pt")
    film = np.tile(np.arange(64, dtype=np.uint8)[:, None] * 4, (1, 64))
    run_job(radiograph_train_job(request, snapshot(project, [1], {1: film}), []))
    names = list(seen["config"].class_names)
    [sample] = seen["train"]
    assert sorted(names[c - 1] for c in sample.labels) == ["L3", "pedicle"]
