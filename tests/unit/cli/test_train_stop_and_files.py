"""Round 14: `vertapp train` says what it has not validated, what Ctrl+C leaves and how
to resume, and keeps an earlier run's resumable checkpoints apart from the new run's.

- With no validation images (one patient, --val-fraction 0) it said nothing but
  "best validation mean Dice: n/a".
- Ctrl+C printed only "vertapp train: interrupted".
- A new run to the same --out replaced the previous run's MODEL.last.pt at its first
  epoch: stopped then, MODEL.pt and MODEL.last.pt belonged to different runs, unsaid (and
  a MODEL.best.pt an interrupted run left became the next unvalidated run's model).
- A SIGKILL during a checkpoint write left MODEL.last.pt.tmp for good.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

import vertapp.ml.train as ml_train
from tests.unit.ml.spines import spine_samples, write_coco_dataset
from tests.unit.ml.tiny_starter import training_checkpoint
from vertapp.cli import main

TINY = ["--from-scratch", "--backbone", "resnet18", "--weights", "none", "--min-size", "64"]
TINY += ["--max-size", "64", "--device", "cpu", "--quiet", "--set", "views_per_image=1"]
TINY += ["--batch", "2"]


def _dataset(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "proj"
    write_coco_dataset(folder, spine_samples(n, size=64))
    return folder


def _train(folder: Path, out: Path, *flags: str) -> int:
    return main(["train", str(folder), "--out", str(out), *TINY, *flags])


@pytest.mark.parametrize(
    ("n", "flags", "why"),
    [
        (1, [], "the dataset holds one patient: validation holds out whole patients, not all"),
        (2, ["--val-fraction", "0"], "--val-fraction 0"),
    ],
)
def test_a_run_without_validation_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], n: int, flags: list[str], why: str
) -> None:
    out = tmp_path / "m.pt"
    assert _train(_dataset(tmp_path, n), out, "--epochs", "1", "--max-iters", "1", *flags) == 0
    err = capsys.readouterr().err
    assert f"warning: no validation images ({why}" in err
    assert "m.pt will be the last epoch, unvalidated" in err
    assert f"warning: no validation ({why}" in err
    assert "m.pt is the last epoch (epoch 1), unvalidated" in err


def test_a_validated_run_says_nothing_of_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        _train(_dataset(tmp_path, 2), tmp_path / "m.pt", "--epochs", "1", "--max-iters", "1") == 0
    )
    assert "no validation" not in capsys.readouterr().err


def test_ctrl_c_says_what_is_kept_and_the_resume_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    step = ml_train._step

    def stopped_in_epoch_2(state: Any, *args: Any) -> Any:
        if state.epoch >= 1:
            raise KeyboardInterrupt
        return step(state, *args)

    monkeypatch.setattr(ml_train, "_step", stopped_in_epoch_2)
    folder, out = _dataset(tmp_path, 2), tmp_path / "m.pt"
    assert _train(folder, out, "--epochs", "3") == 130
    err = capsys.readouterr().err
    assert "note: interrupted during epoch 2; kept: m.last.pt (epoch 1, to resume from), " in err
    assert "m.best.pt (the best so far: epoch 1, validation mean Dice" in err
    last = tmp_path / "m.last.pt"
    command = f"vertapp train {folder} --out {out} --resume {last} --epochs 3 --device cpu"
    assert f"note: resume with: {command}\n" in err
    assert "note: m.pt is written when a run ends: it is not written" in err
    assert err.rstrip().endswith("vertapp train: interrupted")
    assert last.is_file() and not out.exists()
    monkeypatch.setattr(ml_train, "_step", step)  # the command said is one that runs
    assert main(shlex.split(command)[1:] + ["--max-iters", "1", "--quiet"]) == 0


def test_a_new_run_keeps_the_previous_runs_checkpoints_aside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.pt"
    old_last = training_checkpoint(tmp_path / "m.last.pt").read_bytes()
    training_checkpoint(tmp_path / "m.best.pt")
    training_checkpoint(out)
    (tmp_path / "m.last.pt.tmp").write_bytes(b"")  # a write SIGKILL cut short
    (tmp_path / "notes.tmp").write_bytes(b"keep")  # not ours
    folder = _dataset(tmp_path, 1)
    assert _train(folder, out, "--epochs", "1", "--max-iters", "1") == 0
    err = capsys.readouterr().err
    assert "note: removed 1 temporary file a stopped write left (m.last.pt.tmp)" in err
    assert (
        "note: the previous run's m.last.pt as m.prev.last.pt and m.best.pt as m.prev.best.pt "
        "kept (resume it with --out m.prev.pt --resume m.prev.last.pt); m.pt stays that "
        "run's model until this run ends" in err
    )
    assert (tmp_path / "m.prev.last.pt").read_bytes() == old_last
    assert (tmp_path / "m.prev.best.pt").is_file()
    assert not (tmp_path / "m.last.pt.tmp").exists() and (tmp_path / "notes.tmp").exists()
    # the previous run's best did not become this unvalidated run's model
    assert "m.pt is the last epoch (epoch 1), unvalidated" in err


def test_resuming_the_runs_own_last_checkpoint_keeps_it_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, out = _dataset(tmp_path, 1), tmp_path / "m.pt"
    assert _train(folder, out, "--epochs", "1", "--max-iters", "1") == 0
    capsys.readouterr()
    last = tmp_path / "m.last.pt"
    argv = ["train", str(folder), "--out", str(out), "--resume", str(last), "--epochs", "2"]
    assert main(argv + ["--max-iters", "1", "--quiet"]) == 0
    assert "previous run" not in capsys.readouterr().err
    assert not (tmp_path / "m.prev.last.pt").exists()


def test_resuming_a_kept_run_into_the_new_runs_out_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, out = _dataset(tmp_path, 1), tmp_path / "m.pt"
    training_checkpoint(tmp_path / "m.last.pt")
    kept = training_checkpoint(tmp_path / "m.prev.last.pt").read_bytes()
    argv = ["train", str(folder), "--out", str(out), "--resume", str(tmp_path / "m.prev.last.pt")]
    assert main(argv + ["--max-iters", "1"]) == 1
    assert "resume it into --out m.prev.pt" in capsys.readouterr().err
    assert (tmp_path / "m.prev.last.pt").read_bytes() == kept
