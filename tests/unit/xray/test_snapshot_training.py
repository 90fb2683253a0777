"""Training a radiograph project from the window: the command line's model, from snapshots."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest

from vertapp.annotations import ops, store
from vertapp.annotations.model import ImageRecord
from vertapp.errors import ModelError
from vertapp.jobs import run_job
from vertapp.ml.checkpoint import load_checkpoint
from vertapp.ml.config import preset
from vertapp.review.snapshot import snapshot
from vertapp.review.training import TrainRequest, train_job_from_snapshots
from vertapp.synth import make_radiograph_pair
from vertapp.xray.parts import MODEL_VOCABULARIES
from vertapp.xray.snapshot_training import (
    radiograph_train_job,
    snapshot_sample,
    snapshot_vocabulary,
)
from vertapp.xray.training import radiograph_samples

PARTS = list(MODEL_VOCABULARIES["parts"])
BODIES = list(MODEL_VOCABULARIES["bodies"])


@cache
def _pair():
    return make_radiograph_pair(5, "T12", "L3")


def _project(tmp_path, parts=("body", "pedicle"), kinds=("radiograph", "radiograph")):
    """Two 16-bit synthetic films (two patients); each part drawn carries its level."""
    pair = _pair()
    project = store.new_project(tmp_path / "p", label_set="parts")
    h, w = pair.high.shape
    for i, kind in enumerate(kinds):
        name = f"images/{i}.png"
        img = (np.clip(pair.high.array, 0, 1) * 50000 + 1000).astype(np.uint16)
        cv2.imwrite(str(tmp_path / "p" / name), img)
        project.add_image(ImageRecord(i + 1, name, w, h, kind=kind, patient_key=f"p{i}"))
        for part in pair.high_parts:
            if part.part in parts:
                op = ops.add_instance_from_mask(
                    project, i + 1, part.part, part.mask, source="manual"
                )
                op.instance.extra = {"vertapp": {"vertebra": part.level}}
                project.apply(op)
    store.save_project(project)
    return project, pair


def _config(**kw):
    small = dict(weights="none", fpn_channels=32, mask_head_channels=32, batch_size=1)
    small.update(max_size=128, max_iterations=2, epochs=1, device="cpu", warmup_iters=1)
    small.update(kw)
    return preset("mobile", **small)


def test_snapshot_samples_are_what_the_command_line_reads(tmp_path):
    project, pair = _project(tmp_path)
    snaps = snapshot(project, [1, 2])
    assert [inst[3] for inst in snaps[0].instances] == [
        p.level for p in pair.high_parts if p.part in ("body", "pedicle")
    ]
    assert snapshot_vocabulary(snaps) == PARTS  # a pedicle is drawn: the parts vocabulary
    body_only, _ = _project(tmp_path / "b", parts=("body",))
    assert snapshot_vocabulary(snapshot(body_only, [1])) == BODIES
    for names in (PARTS, BODIES):
        (cli, _) = radiograph_samples(project.root, names, long_side=160)
        ours = snapshot_sample(snaps[0], names, 160)
        assert ours.image.shape == cli.image.shape and np.array_equal(ours.image, cli.image)
        assert ours.labels.tolist() == cli.labels.tolist()
        assert ours.spacing_mm == cli.spacing_mm
        for a, b in zip(ours.masks, cli.masks, strict=True):  # polygons vs the COCO file's
            assert 2 * (a & b).sum() / (a.sum() + b.sum()) > 0.95
    # a body whose level nobody set has no class: left out, not guessed
    next(i for i in project.images[1].instances if i.label == "body").extra = {}
    (snap,) = snapshot(project, [1])
    assert len(snapshot_sample(snap, BODIES, 160).labels) == len(pair.levels) - 1


def test_window_training_on_radiographs_gives_the_command_lines_model(tmp_path):
    project, _ = _project(tmp_path)
    train, val = snapshot(project, [1]), snapshot(project, [2])
    # what the dialog sends: the preset with the project's label set as classes
    cfg = _config(class_names=["body", "spinous_process", "pedicle", "transverse_process"])
    request = TrainRequest(cfg, [1], [2], tmp_path / "m.pt")
    stages = []
    result = run_job(radiograph_train_job(request, train, val), lambda e: stages.append(e.stage))
    loaded = load_checkpoint(result.out)
    assert loaded.class_names == PARTS
    assert (loaded.config.min_size, loaded.config.max_size) == (128, 128)
    assert loaded.config.resize_in_training is False
    assert "level_context" in loaded.extra  # numbered by what lies around each body
    assert result.history[0]["val_mean_dice"] is not None  # validated on numbered bodies
    assert "load" in stages


def test_a_run_without_levels_keeps_its_model_and_says_why(tmp_path):
    project, _ = _project(tmp_path, parts=("body",))
    for inst in project.images[1].instances[1:]:  # one labelled level per film: no context
        inst.extra = {}
    request = TrainRequest(_config(), [1], [], tmp_path / "m.pt")
    messages = []
    result = run_job(
        radiograph_train_job(request, snapshot(project, [1]), []),
        lambda e: messages.append(e.message),
    )
    assert "level_context" not in load_checkpoint(result.out).extra
    assert any(m.startswith("no level context") for m in messages)


def test_mixed_radiographs_and_mips_are_refused_in_words(tmp_path):
    project, _ = _project(tmp_path, kinds=("radiograph", "mip"))
    request = TrainRequest(_config(), [1, 2], [], tmp_path / "m.pt")
    with pytest.raises(ModelError, match="mix radiographs and CT MIPs"):
        run_job(train_job_from_snapshots(request, snapshot(project, [1, 2]), []))
    assert not (tmp_path / "m.pt").exists()


def test_the_windows_job_factory_routes_radiographs_to_the_xray_engine(tmp_path, monkeypatch):
    from vertapp.gui.model import jobs

    project, _ = _project(tmp_path, kinds=("radiograph", "mip"))
    chosen = []
    monkeypatch.setattr(jobs, "run_in_process", lambda fn, *a, **k: chosen.append(fn))
    factory = jobs.project_train_factory(project)
    factory(TrainRequest(_config(), [1], [], tmp_path / "m.pt"))
    factory(TrainRequest(_config(), [2], [], tmp_path / "m.pt"))
    factory(TrainRequest(_config(), [1, 2], [], tmp_path / "m.pt"))
    assert chosen == [radiograph_train_job, train_job_from_snapshots, train_job_from_snapshots]


def test_what_a_window_run_leaves_out_is_sent_once_before_training(tmp_path, monkeypatch):
    """A body of unknown level (and a part the classes lack) was skipped without a word;
    the job now sends the command line's sentence once, under WARNINGS, for the dialog."""
    import vertapp.ml.train as ml_train
    from vertapp.jobs import WARNINGS
    from vertapp.xray.snapshot_training import unclassed_instances

    project, _ = _project(tmp_path, parts=("body",))
    for inst in project.images[1].instances[:2]:
        inst.extra = {}  # two bodies whose level nobody set
    snaps = snapshot(project, [1, 2])
    said = unclassed_instances(snaps, BODIES)
    assert said == [
        "2 annotations of category 'body' left out of training: vertebra level unknown "
        "(body classes are the levels T1..L5)"
    ]
    pedicle = ("pedicle", (), (), "T12")
    assert unclassed_instances([_with(snaps[1], pedicle)], BODIES) == [
        "1 annotation of category 'pedicle' left out of training: not a class of the model"
    ]

    def no_training(*_a, **_k):  # the engine is not the point
        from types import SimpleNamespace

        return SimpleNamespace(out=None)
        yield

    monkeypatch.setattr(ml_train, "train_job", no_training)
    events = []
    run_job(
        radiograph_train_job(
            TrainRequest(_config(), [1], [2], tmp_path / "m.pt"), snaps[:1], snaps[1:]
        ),
        events.append,
    )
    sent = [e for e in events if WARNINGS in e.data]
    assert len(sent) == 1 and sent[0].stage == "load" and sent[0].data[WARNINGS] == said


def _with(snap, instance):
    from dataclasses import replace

    return replace(snap, instances=(*snap.instances, instance))
