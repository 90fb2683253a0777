"""A checkpoint's training config is untrusted: absurd or mistyped values are refused in words."""

from __future__ import annotations

import pytest

from vertapp.errors import ModelError
from vertapp.ml.checkpoint import read_checkpoint, save_checkpoint
from vertapp.ml.config import TrainConfig


def _write(tmp_path, **changes):
    config = {**TrainConfig().to_dict(), **changes}
    path = tmp_path / "model.pt"
    save_checkpoint(path, {"model": {}, "config": config, "class_names": ["T1"]})
    return path


def test_a_plain_config_passes(tmp_path) -> None:
    assert read_checkpoint(_write(tmp_path))["config"]["min_size"] == 384


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_size": 10**9}, r"min_size = 1000000000 lies outside 32\.\.4096"),
        ({"max_size": -5}, r"max_size = -5 lies outside"),
        ({"min_size": "384"}, r"min_size = '384' is not int"),
        ({"max_size": 512.5}, r"max_size = 512.5 is not int"),
        ({"min_size": True}, r"min_size = True is not int"),
        ({"score_thresh": float("nan")}, r"score_thresh = nan lies outside"),
        ({"class_names": [1, 2]}, r"class_names = \[1, 2\] is not list"),
        ({"augment": "yes"}, r"augment = 'yes' is not bool"),
    ],
)
def test_absurd_or_mistyped_input_size_is_refused(tmp_path, changes, message) -> None:
    with pytest.raises(ModelError, match=message):
        read_checkpoint(_write(tmp_path, **changes))


def test_unknown_keys_from_a_newer_version_are_ignored(tmp_path) -> None:
    assert read_checkpoint(_write(tmp_path, future_field={"x": 1}))
