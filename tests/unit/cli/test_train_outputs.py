"""`vertapp train --out` is checked before training: the dataset's project.json, any file
that is not a checkpoint and folders are refused; a checkpoint may be replaced (find_04)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.ml.spines import spine_samples, write_coco_dataset
from tests.unit.ml.tiny_starter import training_checkpoint
from vertapp.cli import main

# tiny and quick, should a check ever let the run start
TINY = ["--from-scratch", "--backbone", "resnet18", "--weights", "none", "--min-size", "64"]
TINY += ["--max-size", "64", "--epochs", "1", "--max-iters", "1", "--device", "cpu", "--quiet"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    write_coco_dataset(folder, spine_samples(2, size=64))
    return folder


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str], said: str) -> None:
    assert main(argv + TINY) == 1
    err = capsys.readouterr().err
    assert said in err and "this is a bug" not in err, err
    assert "epoch" not in err  # refused before training


def test_out_onto_the_datasets_project_file_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (project / "project.json").read_bytes()
    argv = ["train", str(project), "--out", str(project / "project.json")]
    _refused(capsys, argv, f"is the project file of the dataset {project}")
    assert (project / "project.json").read_bytes() == before
    assert not list(project.glob("*.pt"))


def test_out_onto_a_coco_dataset_file_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    coco = project / "project.json"
    _refused(capsys, ["train", str(coco), "--out", str(coco)], f"is the dataset {coco}")


def test_out_onto_a_file_that_is_not_a_checkpoint_is_refused(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.pt"
    notes.write_text("not a model")
    _refused(capsys, ["train", str(project), "--out", str(notes)], "not a model checkpoint")
    assert notes.read_text() == "not a model"


def test_a_file_written_beside_out_is_held_to_the_same(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "m.last.pt").mkdir()
    argv = ["train", str(project), "--out", str(tmp_path / "m.pt")]
    _refused(capsys, argv, "m.last.pt: is an existing folder")


def test_an_earlier_checkpoint_may_be_replaced(tmp_path: Path) -> None:
    from vertapp.commands.train import _check_replaceable

    _check_replaceable(training_checkpoint(tmp_path / "m.pt"))  # no refusal
