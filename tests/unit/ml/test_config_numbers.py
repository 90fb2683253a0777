"""Training settings must be finite numbers, whole numbers not negative: `--lr nan` trained
and saved an all-NaN model with exit 0; `--workers -1` and `--seed -1` said "this is a bug".
The check is the config's own, so the command line, --set and the window all get it."""

from __future__ import annotations

import math

import pytest

from vertapp.errors import ModelError
from vertapp.ml.config import TrainConfig, preset


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"lr": math.nan}, "lr must be a finite number, got nan"),
        ({"lr": math.inf}, "lr must be a finite number, got inf"),
        ({"momentum": math.nan}, "momentum must be a finite number"),
        ({"rotate_deg": -math.inf}, "rotate_deg must be a finite number"),
        ({"workers": -1}, "workers must be 0 or more, got -1"),
        ({"seed": -1}, "seed must be 0 or more, got -1"),
        ({"seed": 2**40}, "seed must lie in 0..4294967295"),
        ({"views_per_image": -2}, "views_per_image must be 0 or more"),
        ({"lr": 0.0}, "lr must be above 0"),
    ],
)
def test_absurd_numbers_are_refused_in_words(changes: dict[str, float], words: str) -> None:
    cfg = preset("fast", lr=0.002, workers=2, seed=0, rotate_deg=0.0)  # sensible ones pass
    assert (cfg.lr, cfg.workers, cfg.seed) == (0.002, 2, 0)
    with pytest.raises(ModelError, match=words):
        preset("fast", **changes)  # what the command line and --set build
    with pytest.raises(ModelError, match=words):
        TrainConfig.from_dict({**TrainConfig().to_dict(), **changes})  # a stored config
