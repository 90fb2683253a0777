"""A checkpoint whose stored fields are wrong is refused in words naming the file.

class_names empty, text, or not one per class of the model head said "IndexError; this is
a bug" when a vertebra was named; an unknown arch named no file; resuming from a model
with no optimizer state (the shipped starter) said "does not fit ('optimizer')".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from vertapp.errors import ModelError
from vertapp.jobs import run_job
from vertapp.ml.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from vertapp.ml.config import TrainConfig
from vertapp.ml.train import train_job

from .conftest import TINY
from .spines import spine_samples
from .tiny_starter import training_checkpoint


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return training_checkpoint(tmp_path_factory.mktemp("ckpt") / "trained.pt")


def _spoiled(trained: Path, folder: Path, **changes: Any) -> Path:
    """A copy of `trained` with top-level fields changed (None: dropped)."""
    data = read_checkpoint(trained)
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    path = folder / "spoiled.pt"
    save_checkpoint(path, data)
    return path


@pytest.mark.parametrize(
    ("class_names", "words"),
    [
        ([], "class_names must be a non-empty list of names, got []"),
        ("T1", "class_names must be a non-empty list of names, got 'T1'"),
        (["T1", "T2"], "class_names lists 2 classes, but its model's head has 17"),
    ],
)
def test_class_names_that_do_not_fit_are_refused(
    trained: Path, tmp_path: Path, class_names: Any, words: str
) -> None:
    loaded = load_checkpoint(trained)  # as trained, one name per class of the head
    assert len(loaded.class_names) == loaded.config.num_classes - 1 == 17
    path = _spoiled(trained, tmp_path, class_names=class_names)
    with pytest.raises(ModelError, match=re.escape(f"{path}: the checkpoint's {words}")):
        load_checkpoint(path)


def test_an_unknown_arch_names_the_file(trained: Path, tmp_path: Path) -> None:
    config = {**read_checkpoint(trained)["config"], "arch": "nope"}
    path = _spoiled(trained, tmp_path, config=config)
    with pytest.raises(ModelError, match=re.escape(f"{path}: checkpoint config: unknown arch")):
        load_checkpoint(path)


def test_resuming_a_model_without_run_state_says_to_fine_tune(
    trained: Path, tmp_path: Path
) -> None:
    path = _spoiled(trained, tmp_path, optimizer=None)
    job = train_job(
        TrainConfig().override(**TINY), spine_samples(1), tmp_path / "m.pt", resume=path
    )
    with pytest.raises(ModelError, match=re.escape(f"{path}: cannot resume")) as err:
        run_job(job)
    assert "--finetune-from" in str(err.value)
    assert not (tmp_path / "m.last.pt").exists()  # refused before any training
