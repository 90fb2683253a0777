"""A checkpoint records what it was trained on (digests of the training split's patients
and MIPs; a fine-tune adds its start's), so Compare can say a score on those scans is
no test. The shipped starter predates the record: it is known by its file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from vertapp.jobs import run_job
from vertapp.ml import trained_on as tr
from vertapp.ml.checkpoint import load_checkpoint
from vertapp.ml.config import TrainConfig
from vertapp.ml.starter import is_shipped_starter
from vertapp.ml.train import train_job

from .conftest import TINY
from .spines import spine_samples

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "vertapp" / "resources" / "models" / "starter-ct.pt"


@pytest.mark.slow
def test_training_records_its_split_and_a_finetune_adds_its_start(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    samples = spine_samples(4)  # patients p0..p3; one is held out for validation
    cfg = TrainConfig(**TINY).override(epochs=1, max_iterations=1, val_fraction=0.25)
    base = run_job(train_job(cfg, samples, tmp_path / "base.pt")).out
    raw = torch.load(base, map_location="cpu", weights_only=True)  # plain types only
    learnt = tr.read(raw["trained_on"])
    assert learnt is not None
    seen = [s.patient for s in samples if learnt.saw(s.patient)]
    assert len(seen) == 3  # the training split, not the validation patient
    assert all(learnt.saw("", s.image) for s in samples if s.patient in seen)
    assert not any("p0" in d or "p1" in d for d in raw["trained_on"]["patients"])  # digests
    more = spine_samples(1, seed=9)
    more[0].patient = "q9"
    ft = run_job(train_job(cfg, more, tmp_path / "ft.pt", finetune_from=base)).out
    loaded = load_checkpoint(ft)
    both = tr.of_checkpoint(loaded.extra, ft)
    assert both is not None and both.saw("q9") and all(both.saw(p) for p in seen)


def test_an_old_checkpoint_records_nothing_and_a_spoiled_record_is_ignored() -> None:
    assert tr.of_checkpoint({}, Path("/elsewhere/model.pt")) is None
    assert tr.read({"patients": "p1"}) is None
    assert tr.read({"patients": [1, 2]}) is None
    assert tr.read([]) is None


def test_the_shipped_starter_is_known_by_its_file(tmp_path: Path) -> None:
    assert is_shipped_starter(SHIPPED)
    copy = tmp_path / "renamed.pt"
    copy.write_bytes(SHIPPED.read_bytes())
    assert is_shipped_starter(copy)
    other = tmp_path / "other.pt"
    other.write_bytes(b"x" * 10)
    assert not is_shipped_starter(other)
    learnt = tr.of_checkpoint({}, copy)
    assert learnt is not None
    from vertapp.io.neutral_names import neutral_key

    for key in ("sub-verse005", "totalseg-example", neutral_key("sub-verse007")):
        assert learnt.saw(key), key  # as an import keys them, names shown or hidden
    assert not learnt.saw("sub-verse012")
    assert not learnt.saw("", np.zeros((180, 103), np.uint8))


def test_image_digests_see_the_same_pixels_only() -> None:
    a = np.arange(60, dtype=np.uint8).reshape(6, 10)
    learnt = tr.TrainedOn(images=frozenset({tr.image_digest(a)}))
    assert learnt.saw("", a.copy())
    assert not learnt.saw("", a.reshape(10, 6))  # same bytes, another picture
    assert not learnt.saw("", a + 1)
