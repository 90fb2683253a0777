"""`vertapp predict` with a model of one kind and inputs of another: a radiograph model
on a CT volume or a project of CT MIPs, a CT model on radiographs, refused in words; and
a radiograph model's films read as training reads them (16-bit windowed, not stretched)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.unit.xray.test_predict_images import tiny_checkpoint
from vertapp.cli import main
from vertapp.labels import VERTEBRAE
from vertapp.ml.config import TrainConfig
from vertapp.ml.dataset import read_image
from vertapp.xray.model_kind import CT, RADIOGRAPH, model_kind
from vertapp.xray.parts import MODEL_VOCABULARIES
from vertapp.xray.training import read_radiograph

PARTS_NAMES = list(MODEL_VOCABULARIES["parts"])


def film16() -> np.ndarray:
    """A 16-bit film with one black and one white pixel: min-max and 0.5-99.5 % differ."""
    rng = np.random.default_rng(0)
    img = rng.normal(20000, 3000, (64, 48)).clip(0, 65535).astype(np.uint16)
    img[0, 0], img[1, 1] = 0, 65535
    return img


def project(folder: Path, kind: str | None) -> Path:
    folder.mkdir()
    cv2.imwrite(str(folder / "img0.png"), film16())
    app = {"patient": "p0", **({"kind": kind} if kind else {})}
    coco = {
        "images": [{"id": 1, "file_name": "img0.png", "width": 48, "height": 64, "vertapp": app}],
        "annotations": [],
        "categories": [{"id": i + 1, "name": n} for i, n in enumerate(VERTEBRAE)],
    }
    (folder / "project.json").write_text(json.dumps(coco))
    return folder


def test_model_kind_from_classes_and_what_radiograph_training_stores() -> None:
    assert model_kind(PARTS_NAMES) == RADIOGRAPH
    assert model_kind(VERTEBRAE, TrainConfig()) == CT
    assert model_kind(VERTEBRAE, TrainConfig(resize_in_training=False)) == RADIOGRAPH
    assert model_kind(VERTEBRAE, TrainConfig(), {"level_context": {}}) == RADIOGRAPH
    assert model_kind(["body", "pedicle"], TrainConfig()) is None


@pytest.mark.parametrize("bodies", [False, True])
def test_radiograph_model_on_ct_inputs_is_refused_in_words(tmp_path, capsys, bodies) -> None:
    if bodies:  # T1..L5 like a CT model, but trained on films (radiograph_overrides)
        model = tiny_checkpoint(tmp_path / "parts.pt", list(VERTEBRAE), resize_in_training=False)
    else:
        model = tiny_checkpoint(tmp_path / "parts.pt", PARTS_NAMES)
    out = tmp_path / "pred.json"
    ct = tmp_path / "ct.nii.gz"
    ct.write_bytes(b"not read: refused before preprocessing")
    mips = project(tmp_path / "proj", None)  # no kind: MIPs
    for inp, what in ((ct, "ct.nii.gz is a CT volume"), (mips, "of proj is a CT MIP")):
        assert main(["predict", str(model), str(inp), "--out", str(out), "--device", "cpu"]) == 1
        err = capsys.readouterr().err
        assert "parts.pt is a radiograph model" in err and what in err, err
        assert "vertapp xray zoi" in err and "Traceback" not in err and not out.exists()


def test_ct_model_on_a_radiograph_project_is_refused_in_words(tmp_path, capsys) -> None:
    model = tiny_checkpoint(tmp_path / "full.pt", list(VERTEBRAE))
    films = project(tmp_path / "xray", "radiograph")
    out = tmp_path / "pred.json"
    assert main(["predict", str(model), str(films), "--out", str(out), "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert "full.pt is a CT model" in err and "of xray is a radiograph" in err, err
    assert not out.exists()


class Seen(Exception):
    pass


def test_radiograph_model_reads_16bit_films_as_training_does(tmp_path, monkeypatch) -> None:
    import vertapp.ml.predict as ml_predict

    seen: list[np.ndarray] = []

    def spy(loaded, images, **kw):  # the images the model would be given
        seen.extend(images)
        raise Seen

    monkeypatch.setattr(ml_predict, "predict_job", spy)
    model = tiny_checkpoint(tmp_path / "parts.pt", PARTS_NAMES)
    films = project(tmp_path / "xray", "radiograph")
    loose = films / "img0.png"
    out = tmp_path / "pred.json"
    args = ["predict", str(model), str(loose), str(films), "--out", str(out), "--device", "cpu"]
    assert main(args) == 1  # the spy stops the run once it has seen the images
    windowed = read_radiograph(loose)
    assert not np.array_equal(windowed, read_image(loose))  # the two readers differ here
    assert len(seen) == 2 and all(np.array_equal(s, windowed) for s in seen)
    # A CT model keeps the MIP reader for a loose image.
    seen.clear()
    ct_model = tiny_checkpoint(tmp_path / "full.pt", list(VERTEBRAE))
    assert main(["predict", str(ct_model), str(loose), "--out", str(out), "--device", "cpu"]) == 1
    assert len(seen) == 1 and np.array_equal(seen[0], read_image(loose))


def test_predict_says_the_readers_doubts_about_a_film_on_stderr(  # type: ignore[no-untyped-def]
    tmp_path, monkeypatch, capsys
) -> None:
    """A colour film (read as grey), loose or in a project: the reader's doubts were only
    logged; now a warning on stderr, a project's image named by its id (its file name
    may carry the patient's)."""
    import vertapp.ml.predict as ml_predict

    def spy(loaded, images, **kw):  # type: ignore[no-untyped-def]
        raise Seen

    monkeypatch.setattr(ml_predict, "predict_job", spy)
    colour = np.dstack([film16(), film16() // 2, film16()])
    films = project(tmp_path / "xray", "radiograph")
    cv2.imwrite(str(films / "img0.png"), colour)
    loose = tmp_path / "film.png"
    cv2.imwrite(str(loose), colour)
    model = tiny_checkpoint(tmp_path / "parts.pt", PARTS_NAMES)
    args = ["predict", str(model), str(loose), str(films), "--out", str(tmp_path / "p.json")]
    assert main([*args, "--device", "cpu"]) == 1  # the spy stops it once the films are read
    said = capsys.readouterr()
    assert "warning: film.png: colour image converted to grey" in said.err
    assert "warning: image 1 of xray: colour image converted to grey" in said.err
    assert "warning:" not in said.out


def test_training_refuses_a_start_of_the_other_kind(tmp_path, capsys) -> None:
    """A parts model fine-tuned on CT MIPs became a CT model with pedicle classes, unsaid."""
    from tests.unit.ml.spines import spine_samples, write_coco_dataset

    folder = tmp_path / "proj"
    write_coco_dataset(folder, spine_samples(1))
    parts = tiny_checkpoint(tmp_path / "parts.pt", PARTS_NAMES)
    args = ["train", str(folder), "--out", str(tmp_path / "m.pt"), "--finetune-from", str(parts)]
    assert main(args) == 1
    assert "parts.pt is a radiograph model" in capsys.readouterr().err
    assert not (tmp_path / "m.pt").exists()
