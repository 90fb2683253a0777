"""The level-context net: its training points, its place in the chain, and its checkpoint."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vertapp.errors import ModelError
from vertapp.jobs import run_job
from vertapp.labels import VERTEBRAE
from vertapp.ml.checkpoint import load_checkpoint, save_checkpoint
from vertapp.ml.config import TrainConfig
from vertapp.ml.dataset import Sample
from vertapp.ml.numbering import number_bodies
from vertapp.xray import level_context as lc

NAMES = list(VERTEBRAE)
SPACING = 20


def _film(first: int = 0, last: int = 17, seed: int = 0) -> Sample:
    """A 420 x 120 film: bodies of levels first..last-1 (0 = T1) every 20 rows, each a
    box whose width grows with the level (the lumbar bodies are the wide ones)."""
    rng = np.random.default_rng(seed)
    image = rng.integers(20, 40, (420, 120)).astype(np.uint8)
    masks, labels = [], []
    for k in range(first, last):
        row = 40 + SPACING * k
        half = 6 + k // 2
        m = np.zeros(image.shape, bool)
        m[row - 6 : row + 6, 60 - half : 60 + half] = True
        image[m] = 200
        masks.append(m)
        labels.append(k + 1)
    return Sample(image, np.array(masks), np.array(labels, np.int64))


def test_training_points_are_the_labelled_bodies_plus_c7_and_s1_one_spacing_beyond():
    points = lc.training_points(_film(), NAMES)
    classes = [k for _, _, k in points]
    assert sorted(classes) == list(range(len(lc.CONTEXT_LEVELS)))  # C7, T1..L5, S1
    by_class = {k: (c, s) for c, s, k in points}
    c7, s1 = by_class[0], by_class[len(lc.CONTEXT_LEVELS) - 1]
    assert c7[0][0] == pytest.approx(40 - SPACING - 0.5) and c7[1] == pytest.approx(SPACING)
    assert s1[0][0] == pytest.approx(40 + 17 * SPACING - 0.5)
    assert all(s == pytest.approx(SPACING) for _, s, _ in points)


def test_a_partial_film_gets_no_end_points_it_cannot_place():
    points = lc.training_points(_film(3, 10), NAMES)  # T4..T10: no T1, no L5
    assert sorted(k for _, _, k in points) == list(range(4, 11))
    assert lc.training_points(_film(3, 4), NAMES) == []  # one level: no spacing to read


def test_a_body_the_context_places_at_c7_stays_unknown_and_the_others_keep_their_levels():
    """The real failure: the detector's top class says T1 for C7, and for every body below
    the level above its own (a position-biased head). The context net knows better."""
    n = 18  # C7 (detected as a body), T1..L5
    centres = np.array([[40.0 + SPACING * k, 60.0] for k in range(n)])
    detector = np.full((n, 17), 0.01)
    for k in range(n):
        detector[k, min(k, 16)] = 0.5  # C7 -> T1, T1 -> T2, ...: one level too low
        detector[k, max(k - 1, 0)] += 0.3  # the right level second
    ctx = np.full((n, len(lc.CONTEXT_LEVELS)), 0.01)
    for k in range(n):
        ctx[k, k] = 0.8  # C7 -> C7, T1 -> T1, ...
        ctx[k, min(k + 1, 18)] += 0.1  # a little unsure towards the next level
    alone = number_bodies(centres, detector)
    assert list(alone[:2]) == [1, 2]  # without it, C7 is numbered T1 and all follow
    chain = number_bodies(centres, lc.combined_evidence(ctx, detector))
    levels = lc.context_levels(chain)
    assert levels[0] == 0  # C7: not one of T1..L5
    assert list(levels[1:]) == list(range(1, 18))


def test_context_levels_map_the_ends_out_of_the_vocabulary():
    assert list(lc.context_levels(np.array([0, 1, 2, 18, 19]))) == [0, 0, 1, 17, 0]


def test_combined_evidence_keeps_the_detector_out_of_c7_and_s1():
    ctx = np.full((1, 19), 1 / 19)
    det = np.zeros((1, 17))
    det[0, 0] = 1.0  # sure it is T1
    ev = lc.combined_evidence(ctx, det)[0]
    assert ev.shape == (19,) and ev.argmax() == 1
    assert ev[0] == pytest.approx(ev[18]) and ev[0] < ev[1] * 0.2


def test_the_net_learns_levels_from_context_and_its_checkpoint_entry_loads(tmp_path):
    films = [_film(seed=s) for s in range(4)]
    events: list = []
    state = run_job(lc.train_level_context_job(films, NAMES, epochs=40, seed=0), events.append)
    assert len(events) == 40 and events[-1].fraction == pytest.approx(1.0)
    assert events[-1].data["loss"] < events[0].data["loss"]
    net = lc.LevelContext.from_state(state)
    test = _film(seed=9)
    points = lc.training_points(test, NAMES)
    probs = net.probs(test.image, np.array([c for c, _, _ in points]), np.full(19, SPACING))
    assert probs.shape == (19, 19) and np.allclose(probs.sum(axis=1), 1)
    truth = np.array([k for _, _, k in points])
    assert np.mean(np.abs(probs.argmax(axis=1) - truth) <= 1) >= 0.6  # chance: ~0.15

    cfg = TrainConfig(weights="none", class_names=NAMES)
    ckpt = tmp_path / "m.pt"
    save_checkpoint(ckpt, {"model": {}, "config": cfg.to_dict(), "class_names": NAMES})
    assert run_job(lc.add_level_context_job(ckpt, films[:1], epochs=1)) == ckpt
    stored = torch.load(ckpt, weights_only=True)
    assert set(stored["level_context"]) == set(net.net.state_dict())


def test_a_context_entry_that_does_not_fit_is_refused_in_words():
    with pytest.raises(ModelError, match="level context does not fit"):
        lc.LevelContext.from_state({"features.0.0.weight": torch.zeros(3)}, "m.pt")


def test_no_film_with_two_levels_is_refused_in_words():
    with pytest.raises(ModelError, match="two labelled vertebral levels"):
        next(lc.train_level_context_job([_film(3, 4)], NAMES))


def test_a_model_without_levels_gets_no_context(tmp_path):
    cfg = TrainConfig(weights="none", class_names=["body"])
    ckpt = tmp_path / "m.pt"
    save_checkpoint(ckpt, {"model": {}, "config": cfg.to_dict(), "class_names": ["body"]})
    with pytest.raises(ModelError, match="T1..L5"):
        next(lc.add_level_context_job(ckpt, [_film()]))


def test_load_checkpoint_keeps_the_entry(tmp_path):
    from vertapp.ml.checkpoint import read_checkpoint

    from .test_predict_images import tiny_checkpoint

    state = lc.LevelContextNet().state_dict()
    ckpt = tiny_checkpoint(tmp_path / "m.pt", NAMES)
    data = read_checkpoint(ckpt)
    data["level_context"] = state
    save_checkpoint(ckpt, data)
    loaded = load_checkpoint(ckpt)
    assert set(loaded.extra["level_context"]) == set(state)


def test_vertapp_train_keeps_its_model_when_the_films_cannot_teach_levels(tmp_path, capsys):
    from vertapp.commands.train import with_level_context

    cfg = TrainConfig(weights="none", class_names=NAMES)
    ckpt = tmp_path / "m.pt"
    save_checkpoint(ckpt, {"model": {}, "config": cfg.to_dict(), "class_names": NAMES})
    with_level_context(ckpt, [_film(3, 4)], print)  # one level per film: nothing to learn
    said = capsys.readouterr()  # a warning: stderr, stdout keeps the result lines
    assert "warning: no level context: no film has two labelled" in said.err
    assert "no level context" not in said.out
    assert "level_context" not in torch.load(ckpt, weights_only=True)
    with_level_context(ckpt, "a CT project folder", print)  # CT MIPs: not its business
    assert "level_context" not in torch.load(ckpt, weights_only=True)
