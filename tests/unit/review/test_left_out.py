"""What a window training run on CT MIPs leaves out is counted and said (no Qt).

`to_sample` skipped an outline labelled C7, L6 or "vertebra" in a T1..L5 model, and one
covering no pixel, without a word; the run now says it once before training, in the
sentences of `vertapp train` (`ml.train.left_out`), naming images by id only.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from tests.unit.review.sample import square
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.jobs import WARNINGS, Progress, run_job
from vertapp.labels import VERTEBRAE
from vertapp.ml.config import TrainConfig
from vertapp.review.left_out import LeftOut
from vertapp.review.snapshot import snapshot, to_sample, to_sample_noted
from vertapp.review.training import TrainRequest, train_job_from_snapshots

SAID = [
    "3 annotations of category 'C7' left out of training: not a class of the model",
    "1 annotation of category 'vertebra' left out of training: not a class of the model",
    "1 annotation of category 'L6' left out of training: not a class of the model",
    "1 annotation of category 'T2' left out of training: the outline covers no pixel of the image",
    "1 image (id 3) with no annotation of the model's classes: trained on as images with "
    "nothing to find",
]


def mip_project() -> Project:
    """1: T1, two C7 and a "vertebra"; 2: T3, a C7 and a T2 drawn off the image;
    3: an L6 only. File names carry a "patient name": it must never be said."""
    instances = {
        1: [("T1", 2), ("C7", 18), ("C7", 34), ("vertebra", 50)],
        2: [("T3", 2), ("C7", 18), ("T2", 500)],
        3: [("L6", 2)],
    }
    project = Project(label_set="vertebrae")
    iid = 0
    for image_id, outlines in instances.items():
        name = f"images/Doe_Jane_{image_id}.png"
        rec = ImageRecord(image_id, name, 64, 64, patient_key=f"p{image_id}")
        for label, y in outlines:
            iid += 1
            rec.instances.append(Instance(iid, label, [square(10, y, 12)]))
        project.add_image(rec)
    return project


def pixels(project: Project) -> dict[int, np.ndarray]:
    return {i: np.zeros((64, 64), np.uint8) for i in project.images}


def test_each_image_counts_what_it_leaves_out() -> None:
    project = mip_project()
    snaps = snapshot(project, [1, 2, 3], pixels(project))
    sample, left = to_sample_noted(snaps[1], list(VERTEBRAE))
    assert list(sample.labels) == [3]  # the T3 only: the C7 has no class, the T2 no pixel
    assert (dict(left.foreign), dict(left.empty), left.bare) == ({"C7": 1}, {"T2": 1}, [])
    assert list(to_sample(snaps[1], list(VERTEBRAE)).labels) == [3]  # the same sample
    _, bare = to_sample_noted(snaps[2], list(VERTEBRAE))
    assert (dict(bare.foreign), bare.bare) == ({"L6": 1}, [3])


def test_a_run_adds_them_up_in_the_command_lines_words() -> None:
    project = mip_project()
    total = LeftOut()
    for snap in snapshot(project, [1, 2, 3], pixels(project)):
        total.add(to_sample_noted(snap, list(VERTEBRAE))[1])
    words = total.words()
    assert words == SAID
    assert not any("Doe" in w for w in words)  # images by id, never by file name
    assert LeftOut().words() == []  # nothing left out: nothing said


def test_the_command_line_says_a_foreign_category_in_the_same_words() -> None:
    """One wording for both: `left_out`'s sentences are the functions the window uses."""
    from vertapp.ml.train import bare_sentence, foreign_sentence

    assert foreign_sentence("C7", 3) == SAID[0]
    assert bare_sentence([3]) == SAID[-1]


def test_the_window_job_sends_them_once_before_training(monkeypatch, tmp_path) -> None:
    import vertapp.ml.train as engine

    events: list[Progress] = []

    def fake_train_job(config, train, out, val_data=None, **kw):
        yield Progress("train", 0.0, "training")
        return SimpleNamespace(out=None, epochs=0)

    monkeypatch.setattr(engine, "train_job", fake_train_job)
    project = mip_project()
    request = TrainRequest(TrainConfig(class_names=list(VERTEBRAE)), [1, 3], [2], tmp_path / "m.pt")
    train = snapshot(project, [1, 3], pixels(project))
    val = snapshot(project, [2], pixels(project))
    run_job(train_job_from_snapshots(request, train, val), events.append)
    sent = [k for k, e in enumerate(events) if WARNINGS in e.data]
    assert len(sent) == 1 and events[sent[0]].stage == "load"
    assert events[sent[0]].data[WARNINGS] == SAID  # train and validation images both
    assert sent[0] < next(k for k, e in enumerate(events) if e.stage == "train")


def test_a_run_that_leaves_nothing_out_says_nothing(monkeypatch, tmp_path) -> None:
    import vertapp.ml.train as engine

    def fake_train_job(config, train, out, val_data=None, **kw):
        return SimpleNamespace(out=None, epochs=0)
        yield  # a job: a generator

    monkeypatch.setattr(engine, "train_job", fake_train_job)
    project = mip_project()
    request = TrainRequest(TrainConfig(class_names=["T1", "C7", "vertebra"]), [1], [], tmp_path)
    events: list[Progress] = []
    run_job(
        train_job_from_snapshots(request, snapshot(project, [1], pixels(project)), []),
        events.append,
    )
    assert not any(WARNINGS in e.data for e in events)
