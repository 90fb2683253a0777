"""`vertapp predict` given DICOM films: the suffix decided, and film.dcm was "a CT volume".

A single DICOM file now goes the way the io rule sends it (`vertapp.io.dicom_film`): a
film is read as films are (16-bit windowed) and predicted, its reader's doubts said on
stderr; a CT file goes the CT way; a model of the other kind is refused in words."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest

from tests.unit.io.iotest_helpers import make_volume, rewrite, write_dx
from tests.unit.xray.test_predict_images import tiny_checkpoint
from vertapp.cli import main
from vertapp.io import write_dicom_series
from vertapp.labels import VERTEBRAE
from vertapp.xray.parts import MODEL_VOCABULARIES
from vertapp.xray.training import grey_u8

PARTS = list(MODEL_VOCABULARIES["parts"])


class Seen(Exception):
    pass


@pytest.fixture
def seen(monkeypatch) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    """The images the model would be given; the run stops there."""
    import vertapp.ml.predict as ml_predict

    images: list[np.ndarray] = []

    def spy(loaded, given, **kw):  # type: ignore[no-untyped-def]
        images.extend(given)
        raise Seen

    monkeypatch.setattr(ml_predict, "predict_job", spy)
    return images


def _values() -> np.ndarray:
    rng = np.random.default_rng(0)
    film = rng.integers(300, 900, size=(64, 48)).astype(np.uint16)
    film[20:40, 10:30] += 2500
    return film


def _film(path: Path, frames: int = 1) -> Path:
    write_dx(path, _values(), pixel_spacing=(0.2, 0.2))
    if frames > 1:

        def edit(ds: pydicom.Dataset) -> None:
            ds.NumberOfFrames = frames
            ds.PixelData = np.concatenate([_values()] * frames).astype(np.uint16).tobytes()

        rewrite(path, edit)
    return path


def _predict(model: Path, *inputs: Path, out: Path) -> int:
    args = ["predict", str(model), *map(str, inputs), "--out", str(out), "--device", "cpu"]
    return main(args)


def test_a_dicom_film_goes_the_film_way_and_its_doubts_are_said(  # type: ignore[no-untyped-def]
    tmp_path, capsys, seen
) -> None:
    film = _film(tmp_path / "film.dcm", frames=3)
    model = tiny_checkpoint(tmp_path / "parts.pt", PARTS)
    assert _predict(model, film, out=tmp_path / "p.json") == 1  # the spy stops it
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], grey_u8(_values()))  # as training reads films
    said = capsys.readouterr()
    assert "warning: film.dcm: file holds 3 frames; the first one was read" in said.err
    assert "CT volume" not in said.err


def test_a_dicom_film_without_a_suffix_is_still_a_film(tmp_path, seen) -> None:  # type: ignore[no-untyped-def]
    film = _film(tmp_path / "IM00012")
    model = tiny_checkpoint(tmp_path / "parts.pt", PARTS)
    assert _predict(model, film, out=tmp_path / "p.json") == 1
    assert len(seen) == 1 and seen[0].shape == (64, 48)


def test_a_coco_file_naming_dicom_films(tmp_path, seen) -> None:  # type: ignore[no-untyped-def]
    """Its images were read as MIPs first (OpenCV: "cannot read image")."""
    _film(tmp_path / "film.dcm")
    app = {"kind": "radiograph", "patient": "p0"}
    coco = {
        "images": [{"id": 1, "file_name": "film.dcm", "width": 48, "height": 64, "vertapp": app}],
        "annotations": [],
        "categories": [{"id": i + 1, "name": n} for i, n in enumerate(PARTS)],
    }
    (tmp_path / "films.json").write_text(json.dumps(coco))
    model = tiny_checkpoint(tmp_path / "parts.pt", PARTS)
    assert _predict(model, tmp_path / "films.json", out=tmp_path / "p.json") == 1
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], grey_u8(_values()))


def test_a_model_of_the_other_kind_is_refused_in_words(tmp_path, capsys, seen) -> None:  # type: ignore[no-untyped-def]
    film = _film(tmp_path / "film.dcm")
    ct_model = tiny_checkpoint(tmp_path / "full.pt", list(VERTEBRAE))
    out = tmp_path / "p.json"
    assert _predict(ct_model, film, out=out) == 1
    err = capsys.readouterr().err
    assert "full.pt is a CT model" in err and "film.dcm is a DX film" in err, err
    series = write_dicom_series(make_volume(), tmp_path / "ct")
    parts = tiny_checkpoint(tmp_path / "parts.pt", PARTS)
    assert _predict(parts, series[0], out=out) == 1
    err = capsys.readouterr().err
    assert "parts.pt is a radiograph model" in err and f"{series[0].name} is a CT slice" in err
    assert not seen and not out.exists() and "Traceback" not in err
