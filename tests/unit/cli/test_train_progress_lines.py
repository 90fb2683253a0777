"""What `vertapp train` prints while it runs, in one order for CT and radiograph runs:
"start: …", "reading dataset", the warnings about the data, then "N train / M validation
images, 1 process on cpu". A radiograph run said its warnings first and no "start:";
"1 process(es)"; and the level-context net's 40 quick epochs printed 40 lines after a
one-iteration run (now the first, every tenth and the last; each with --verbose)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import vertapp.ml.train as ml_train
from tests.unit.cli.test_train_warnings import _dataset, doubtful_films
from tests.unit.xray.test_level_context import NAMES
from tests.unit.xray.test_level_context import _film as context_film
from vertapp.cli import main
from vertapp.commands.train import level_line_due
from vertapp.jobs import Progress, run_job
from vertapp.xray.level_context import train_level_context_job


class Started(BaseException):
    """Raised where the model would be built, once the run has said what it reads."""


@pytest.fixture
def stop_after_the_split(monkeypatch: pytest.MonkeyPatch) -> None:
    def stop(*_args: Any, **_kw: Any) -> None:
        raise Started

    monkeypatch.setattr(ml_train, "_build_state", stop)


def _lines(dataset: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    with pytest.raises(Started):
        main(["train", str(dataset), "--out", str(dataset.parent / "m.pt"), "--from-scratch"])
    return capsys.readouterr().err.splitlines()


def _shape(lines: list[str]) -> list[str]:
    """The kinds of line in order, repeats folded: start, reading, warning."""
    kinds = [line.split(":")[0] if ":" in line else line for line in lines]
    return [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]


@pytest.mark.usefixtures("stop_after_the_split")
def test_ct_and_radiograph_runs_say_their_start_data_and_warnings_in_one_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ct = _lines(_dataset(tmp_path / "ct"), capsys)
    films = _lines(doubtful_films(tmp_path / "xray"), capsys)
    assert _shape(ct) == _shape(films) == ["start", "reading dataset", "warning"]
    assert films[0] == "start: from scratch (VertApp ships no starter model for radiographs)"


def test_the_process_count_is_said_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[str] = []

    def stop(*_args: Any, **_kw: Any) -> None:
        said.append(capsys.readouterr().err)
        raise Started

    monkeypatch.setattr(ml_train, "_loader", stop)  # after the split is said
    with pytest.raises(Started):
        main(
            [
                "train",
                str(_dataset(tmp_path / "ct")),
                "--out",
                str(tmp_path / "m.pt"),
                "--from-scratch",
                "--device",
                "cpu",
                "--set",
                "val_fraction=0.3",
            ]
        )
    assert "validation images, 1 process on cpu" in said[0], said


def test_level_context_progress_is_a_line_every_tenth_epoch_unless_verbose() -> None:
    events: list[Any] = []
    run_job(train_level_context_job([context_film()], NAMES, epochs=25), events.append)
    assert [e.data["epoch"] for e in events] == list(range(1, 26))
    assert [e.data["epoch"] for e in events if level_line_due(e, False)] == [1, 10, 20, 25]
    assert all(level_line_due(e, True) for e in events)
    other = Progress("train", 0.5, "epoch 1/1 it 3/8 loss 0.7", {"epoch": 3})
    assert level_line_due(other, False)  # only the level context's lines are thinned
