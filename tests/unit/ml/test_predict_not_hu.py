"""`vertapp predict` on a volume the reader judged not CT in Hounsfield units (an 8-bit
picture): no vertebrae written for it, the reason said, unless --predict-non-hu."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from tests.unit.ml.tiny_starter import training_checkpoint
from vertapp.cli import main
from vertapp.commands.predict import not_hu_verdict
from vertapp.io.plausibility import volume_warnings
from vertapp.io.volume import Volume


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model that predicts on anything (every proposal a confident T1)."""
    return training_checkpoint(tmp_path_factory.mktemp("model") / "m.pt", confident=True)


@pytest.fixture(scope="module")
def volumes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small phantom spine in HU, and the same as an 8-bit picture (0..255)."""
    from vertapp.synth import make_ct_phantom

    ph = make_ct_phantom(seed=0, first="L3", last="L5")
    folder = tmp_path_factory.mktemp("vol")
    out = {}
    u8 = np.clip((ph.volume.array.astype(np.float32) + 1000) / 3000 * 255, 0, 255)
    for name, arr in (("hu", ph.volume.array), ("u8", u8.astype(np.uint8))):
        image = sitk.GetImageFromArray(arr)
        image.SetSpacing(tuple(float(s) for s in ph.volume.spacing))
        sitk.WriteImage(image, str(folder / f"{name}.nii.gz"))
        out[name] = folder / f"{name}.nii.gz"
    return out


def _predict(model: Path, volume: Path, out: Path, *extra: str) -> dict:
    argv = ["predict", str(model), str(volume), "--out", str(out), "--device", "cpu", *extra]
    assert main(argv) == 0
    return json.loads(out.read_text())


def test_an_8_bit_volume_gets_no_vertebrae_and_the_reason(
    model: Path, volumes: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    coco = _predict(model, volumes["u8"], tmp_path / "p.json")
    err = capsys.readouterr().err
    assert coco["annotations"] == []
    [record] = coco["images"]
    assert record["file_name"].endswith(".png") and "_not_predicted" not in record
    assert "not predicted" in err and "not CT in Hounsfield units" in err, err
    assert "--predict-non-hu" in err
    assert "nothing found" not in err  # the model was not asked


def test_predict_non_hu_predicts_it_anyway(
    model: Path, volumes: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    coco = _predict(model, volumes["u8"], tmp_path / "p.json", "--predict-non-hu")
    assert coco["annotations"]
    assert "not predicted" not in capsys.readouterr().err


def test_a_ct_in_hu_beside_it_is_still_predicted(
    model: Path, volumes: dict[str, Path], tmp_path: Path
) -> None:
    coco = _predict(model, volumes["hu"], tmp_path / "p.json")
    assert coco["annotations"]


@pytest.mark.parametrize(
    "values, modality, refused",
    [
        (np.arange(256, dtype=np.int16), "", True),  # an 8-bit picture
        (np.r_[np.zeros(900), np.arange(1, 9)].astype(np.int16), "", True),  # a label map
        (np.zeros(10, np.int16), "", True),  # empty
        (np.arange(-1000, 1500, 10, dtype=np.int16), "MR", True),
        (np.arange(-1000, 1500, 10, dtype=np.int16), "CT", False),  # CT in HU
        (np.arange(-200, 1500, 10, dtype=np.int16), "CT", False),  # "may not be": a doubt
        (np.arange(-1000, 150, 10, dtype=np.int16), "CT", False),  # no bone: still HU
    ],
)
def test_the_readers_verdicts_that_refuse(values: np.ndarray, modality: str, refused: bool) -> None:
    """The reader's own sentences (vertapp.io.plausibility) are what the verdict reads."""
    arr = np.resize(values, (20, 20, 20)).astype(np.int16)
    volume = Volume(arr, (5.0, 5.0, 5.0), modality=modality)
    assert (not_hu_verdict(volume_warnings(volume)) is not None) == refused
