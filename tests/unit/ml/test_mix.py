"""Mixing real and phantom images in training, with a configurable share of the views."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from vertapp.errors import ModelError
from vertapp.jobs import Progress, run_job
from vertapp.ml.config import TrainConfig
from vertapp.ml.data import ViewDataset, mix_plan
from vertapp.ml.train import train_job

from .conftest import TINY
from .spines import spine_samples


@pytest.mark.parametrize(("n_real", "n_phantom", "share"), [(2, 10, 0.5), (3, 9, 0.8), (5, 1, 0.1)])
def test_plan_draws_the_share_from_real_images_each_used_equally(
    n_real: int, n_phantom: int, share: float
) -> None:
    views = 8 * (n_real + n_phantom)
    plan = mix_plan(n_real, n_phantom, views, share, np.random.default_rng(0))
    counts = np.bincount(plan, minlength=n_real + n_phantom)
    assert len(plan) == views
    assert counts[:n_real].sum() == round(share * views)
    assert np.ptp(counts[:n_real]) <= 1 and np.ptp(counts[n_real:]) <= 1


def test_plan_without_one_group_or_share_uses_what_there_is() -> None:
    rng = np.random.default_rng(1)
    assert set(mix_plan(0, 4, 12, 0.9, rng)) == {0, 1, 2, 3}  # no real images
    assert set(mix_plan(3, 0, 12, 0.1, rng)) == {0, 1, 2}  # no phantoms
    counts = np.bincount(mix_plan(2, 6, 16, None, rng))  # None: by image count
    assert counts[:2].sum() == 4


def test_view_dataset_follows_the_share_and_changes_order_per_epoch() -> None:
    samples = spine_samples(6)
    cfg = TrainConfig(**TINY).override(views_per_image=4, real_share=0.75)
    ds = ViewDataset(samples, cfg, n_real=2)
    first = [ds.sample_index(i) for i in range(len(ds))]
    assert sum(i < 2 for i in first) == 18  # 0.75 of 24 views
    ds.epoch = 1
    assert [ds.sample_index(i) for i in range(len(ds))] != first
    plain = ViewDataset(samples, replace(cfg, real_share=None), n_real=2)
    assert [plain.sample_index(i) for i in range(len(plain))] == [i % 6 for i in range(24)]


def test_share_outside_0_1_is_refused() -> None:
    with pytest.raises(ModelError, match="real_share"):
        TrainConfig(**TINY).override(real_share=1.5)


@pytest.mark.slow
def test_training_mixes_phantoms_into_training_never_into_validation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    real = spine_samples(3, seed=1)
    for s in real:
        s.patient = f"real{s.image_id}"
    phantoms = spine_samples(5, seed=2)
    cfg = TrainConfig(**TINY).override(
        epochs=1, views_per_image=2, val_fraction=0.34, real_share=0.5, max_iterations=2
    )
    events: list[Progress] = []
    run_job(train_job(cfg, real, tmp_path / "m.pt", phantoms=phantoms), events.append)
    start = next(e.message for e in events if e.stage == "train" and "validation" in e.message)
    assert start.startswith("7 train (5 phantom) / 1 validation images"), start
