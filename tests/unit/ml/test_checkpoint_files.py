"""A training run keeps two checkpoints (the model and the last epoch), and the model's id
says how long it trained (issue #19: three 160 MB files per run; "model@e1" for 3 epochs)."""

from __future__ import annotations

import pytest
import torch

from vertapp.jobs import run_job
from vertapp.ml.checkpoint import load_checkpoint, read_checkpoint
from vertapp.ml.config import TrainConfig
from vertapp.ml.train import train_job
from vertapp.review.prediction import model_id_of

from .conftest import TINY
from .spines import spine_samples

pytestmark = pytest.mark.slow  # trains a tiny model for three epochs


def test_a_run_leaves_the_model_and_the_last_epoch_only(tmp_path) -> None:
    torch.set_num_threads(1)
    cfg = TrainConfig(**TINY).override(epochs=3, views_per_image=1)
    samples = spine_samples(2)
    out = tmp_path / "model.pt"
    result = run_job(train_job(cfg, samples, out, val_data=samples[:1]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.last.pt", "model.pt"]
    kept = read_checkpoint(out)
    assert kept["epochs_trained"] == 3 and result.epochs == 3
    assert kept["best_val_mean_dice"] == max(h["val_mean_dice"] for h in kept["history"])
    assert read_checkpoint(result.last)["epoch"] == 3
    loaded = load_checkpoint(out)
    model_id = model_id_of(out, loaded.epoch, loaded.extra["epochs_trained"])
    if loaded.epoch == 3:
        assert model_id.startswith("model@e3:")
    else:  # the best epoch was an earlier one: the id says it came from a 3-epoch run
        assert model_id.startswith(f"model@e{loaded.epoch}of3:")


def test_model_id_names_the_epoch_and_the_run_length(tmp_path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(b"weights")
    assert model_id_of(path, 1, 3).startswith("model@e1of3:")
    assert model_id_of(path, 3, 3).startswith("model@e3:")
    assert model_id_of(path, 2).startswith("model@e2:")
