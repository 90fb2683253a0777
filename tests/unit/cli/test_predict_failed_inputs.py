"""`vertapp predict MODEL IN1 IN2 ... --out`: an INPUT that fails is named with its reason
and the others are predicted and written all the same (exit status 1); nothing is left
behind for what failed. The run stopped at the first failed INPUT, leaving the MIPs and
copies of the ones read before it beside --out, with no COCO file naming them, and the
folder made for --out."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.unit.ml.tiny_starter import training_checkpoint
from vertapp.cli import main
from vertapp.errors import InputError


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return training_checkpoint(tmp_path_factory.mktemp("model") / "m.pt", confident=True)


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """An image away from --out (copied beside it when predicted), a CT file cut short,
    a path that is not there."""
    folder = tmp_path / "in"
    folder.mkdir()
    image = folder / "side.png"
    cv2.imwrite(str(image), np.random.default_rng(0).integers(0, 255, (64, 48), np.uint8))
    broken = folder / "broken_ct.nii.gz"
    broken.write_bytes(b"a download cut short" * 10)
    return {"image": image, "broken": broken, "missing": folder / "gone.nii.gz"}


def _predict(model: Path, ins: list[Path], out: Path) -> int:
    argv = ["predict", str(model), *map(str, ins), "--out", str(out)]
    return main(argv + ["--device", "cpu", "--score", "0"])


def _tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_the_inputs_that_succeed_are_written_and_each_failure_named(
    model: Path, inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "res" / "pred.json"
    order = [inputs["broken"], inputs["image"], inputs["missing"]]
    assert _predict(model, order, out) == 1  # some failed
    said = capsys.readouterr()
    assert f"FAILED {inputs['broken']}: corrupt or truncated gzip data" in said.err
    assert f"FAILED {inputs['missing']}: no such file or folder" in said.err
    assert "2 of 3 inputs failed" in said.err and "Traceback" not in said.err
    assert "in 1 image ->" in said.out
    coco = json.loads(out.read_text())
    assert [(r["id"], r["file_name"]) for r in coco["images"]] == [(1, "side.png")]
    assert _tree(out.parent) == ["pred.json", "side.png"]  # the copy the COCO file names


def test_when_every_input_fails_nothing_is_left(
    model: Path, inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "res" / "deeper" / "pred.json"
    assert _predict(model, [inputs["broken"], inputs["missing"]], out) == 1
    assert not (tmp_path / "res").exists()  # nor the folders made for --out
    err = capsys.readouterr().err
    assert "nothing predicted: all 2 inputs failed" in err and f"{out} was not written" in err
    # an earlier run's COCO file and images are left as they were
    assert _predict(model, [inputs["image"]], out) == 0
    before = {p: p.read_bytes() for p in out.parent.iterdir()}
    assert _predict(model, [inputs["missing"], inputs["broken"]], out) == 1
    assert f"{out} was left as it was" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in out.parent.iterdir()} == before


def test_a_single_failed_input_says_its_own_words(
    model: Path, inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _predict(model, [inputs["missing"]], tmp_path / "pred.json") == 1
    err = capsys.readouterr().err
    assert err.strip() == f"vertapp predict: error: {inputs['missing']}: no such file or folder"


def test_a_run_that_fails_after_reading_removes_what_it_wrote(
    model: Path,
    inputs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The images were read (the copy written), then the prediction failed: no copy
    without the COCO file naming it, no folder made for it."""
    import vertapp.ml.predict as ml_predict

    def fails(*args: object, **kwargs: object) -> None:
        raise InputError("the model gave up")

    monkeypatch.setattr(ml_predict, "predict_job", fails)
    out = tmp_path / "res" / "pred.json"
    assert _predict(model, [inputs["image"]], out) == 1
    assert "the model gave up" in capsys.readouterr().err
    assert not (tmp_path / "res").exists()


def test_a_failed_input_leaves_no_half_made_mip(
    model: Path, inputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A volume whose MIP was written before its reading failed (its landmarks): the MIP
    goes with it; the other input's copy stays, named by the COCO file."""
    import vertapp.io
    import vertapp.preprocess
    import vertapp.preprocess.landmarks

    class Volume:
        warnings: list[str] = []
        notes: list[str] = []

    class Result:
        def __init__(self, _: Volume) -> None:
            self.mip_u8 = np.full((40, 30), 90, np.uint8)
            self.warnings: list[str] = []

    def no_landmarks(_: Result) -> None:
        raise InputError("the landmarks could not be found")

    monkeypatch.setattr(vertapp.io, "read_volume", lambda path: Volume())
    monkeypatch.setattr(vertapp.preprocess, "preprocess", Result)
    monkeypatch.setattr(vertapp.preprocess.landmarks, "landmarks", no_landmarks)
    volume = tmp_path / "in" / "spine.nii.gz"
    volume.write_bytes(b"read by the stand-in above")
    out = tmp_path / "res" / "pred.json"
    assert _predict(model, [volume, inputs["image"]], out) == 1
    assert _tree(out.parent) == ["pred.json", "side.png"]  # no spine_mip.png
