"""`vertapp train` reads its inputs once before training: the dataset's COCO file was parsed
and checked five times (kind, starter, classes, samples, reviews), the start checkpoint
loaded twice (its kind checked, then the run). The run is stopped where the model would
be built: everything read by then is what a start reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

import vertapp.ml.dataset as dataset
import vertapp.ml.train as ml_train
from tests.unit.ml.spines import spine_samples, write_coco_dataset
from tests.unit.ml.tiny_starter import training_checkpoint
from vertapp.cli import main
from vertapp.ml.dataset import read_coco


class Started(BaseException):
    """Raised where the model would be built (main() turns an Exception into exit 1)."""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    def stop(*_args: Any, **_kw: Any) -> None:
        raise Started

    monkeypatch.setattr(ml_train, "_build_state", stop)
    write_coco_dataset(tmp_path / "proj", spine_samples(2, size=64))
    return tmp_path / "proj"


def _train(project: Path, *flags: str) -> None:
    with pytest.raises(Started):
        main(["train", str(project), "--out", str(project.parent / "m.pt"), *flags])


def test_train_start_parses_and_checks_its_dataset_once(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = (project / "project.json").read_bytes()
    parses, checks = [], []
    loads, check = json.loads, dataset.checked_coco

    def counted_loads(text: Any, *args: Any, **kw: Any) -> Any:
        parses.extend([1] if text == raw else [])
        return loads(text, *args, **kw)

    def counted_check(data: Any, name: str) -> dict[str, Any]:
        checks.append(name)
        return check(data, name)

    monkeypatch.setattr(json, "loads", counted_loads)
    monkeypatch.setattr(dataset, "checked_coco", counted_check)
    _train(project, "--from-scratch")
    assert len(parses) == 1
    assert checks == [str(project / "project.json")]


def test_a_dataset_rewritten_in_place_is_read_anew(project: Path) -> None:
    """Same size, same file, within a clock tick: what it holds decides, not its stat."""
    path = project / "project.json"
    assert read_coco(path)["images"][0]["vertapp"]["patient"] == "p0"
    path.write_text(path.read_text().replace('"patient": "p0"', '"patient": "q0"'))
    assert read_coco(path)["images"][0]["vertapp"]["patient"] == "q0"


def test_a_caller_changing_its_read_does_not_change_the_next(project: Path) -> None:
    first = read_coco(project / "project.json")
    first["images"] = []
    assert len(read_coco(project / "project.json")["images"]) == 2


@pytest.mark.parametrize("flag", ["--finetune-from", "--resume"])
def test_train_start_loads_its_start_checkpoint_once(
    project: Path, monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    start = training_checkpoint(project.parent / "start.pt")
    stored = torch.load(start, weights_only=True)
    torch.save({**stored, "scheduler": {}}, start)  # a run's last epoch, as --resume takes
    loads, load = [], torch.load

    def counted(f: Any, *args: Any, **kw: Any) -> Any:
        loads.append((Path(f).name, kw.get("weights_only")))
        return load(f, *args, **kw)

    monkeypatch.setattr(torch, "load", counted)
    _train(project, flag, str(start))
    assert loads == [("start.pt", True)]


def test_the_kept_read_is_freed_once_the_samples_are_built(project: Path) -> None:
    """Nothing reads the dataset after the start: its parsed copy (~236 MiB for a 73 MB
    project) is not kept through the run."""
    read_coco(project / "project.json")
    assert dataset._LAST_READ
    _train(project, "--from-scratch")  # stops where the model would be built
    assert not dataset._LAST_READ
