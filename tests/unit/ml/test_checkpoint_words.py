"""A model file that cannot be read is said in words: cut short, not a checkpoint, or
holding objects that are not plain weights."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest


def test_an_unreadable_checkpoint_is_said_in_words(tmp_path: Path) -> None:
    """A cut-short model file read "not a readable checkpoint (OSError)"."""
    import pickle

    import torch

    from vertapp.errors import ModelError
    from vertapp.ml.checkpoint import read_checkpoint

    whole = tmp_path / "whole.pt"
    torch.save({"weights": torch.zeros(4096)}, whole)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    text = tmp_path / "notes.pt"
    text.write_text("hello")
    objects = tmp_path / "objects.pt"
    objects.write_bytes(pickle.dumps({"x": Path("/")}))  # a pickle of arbitrary objects
    said = {}
    for path in (cut, text, objects):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # torch's pickle-protocol note is not for users
            with pytest.raises(ModelError) as err:
                read_checkpoint(path)
        said[path.name] = str(err.value)
    assert "damaged or cut short" in said["cut.pt"]
    assert "not a PyTorch checkpoint" in said["notes.pt"]
    assert "not a readable checkpoint" in said["objects.pt"]
