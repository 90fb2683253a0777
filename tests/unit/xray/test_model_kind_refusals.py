"""A CT MIP model given where a radiograph model belongs, refused in words before any work:
`vertapp xray levels` (which rewrote the CT checkpoint as a "radiograph model") and
`vertapp xray zoi` (which "found" one ZOI on a film with it). The class names alone do not
tell the two apart: a CT model has T1..L5 too (`vertapp.xray.model_kind`)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.unit.xray.test_detect_training import _project
from tests.unit.xray.test_predict_images import tiny_checkpoint
from vertapp.cli import main
from vertapp.errors import VertAppError
from vertapp.labels import VERTEBRAE
from vertapp.xray.detect import predict_zoi_coco


def _said(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    err = capsys.readouterr().err
    for w in words:
        assert w in err, err
    assert "unexpected error" not in err and "Traceback" not in err, err
    return err


def _levels(project: Path, model: Path) -> int:
    return main(["xray", "levels", str(project), "--model", str(model), "--epochs", "1"])


def test_xray_levels_refuses_a_ct_model_and_leaves_it_unchanged(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    films, _ = _project(tmp_path, 2)  # labelled radiographs: the old code trained on them
    ct = tiny_checkpoint(tmp_path / "ct.pt", list(VERTEBRAE))
    before = ct.read_bytes()
    assert _levels(films, ct) == 1
    _said(capsys, "ct.pt is a CT model", "ct.pt is left unchanged")
    assert ct.read_bytes() == before


def test_xray_levels_refuses_a_project_of_ct_mips(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    mips, _ = _project(tmp_path, 2)
    coco_path = mips / "project.json"
    coco = json.loads(coco_path.read_text())
    for rec in coco["images"]:  # no `vertapp.kind` "radiograph": CT MIPs, as in a CT project
        rec.get("vertapp", {}).pop("kind", None)
    coco_path.write_text(json.dumps(coco))
    films_model = tiny_checkpoint(tmp_path / "bodies.pt", list(VERTEBRAE), resize_in_training=False)
    before = films_model.read_bytes()
    assert _levels(mips, films_model) == 1
    _said(capsys, "image 1 (images/0.png) is a CT MIP, not a radiograph", "vertapp xray import")
    assert films_model.read_bytes() == before


def test_zoi_refuses_a_ct_model_in_words_and_takes_a_film_body_model(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    film = tmp_path / "film.png"
    cv2.imwrite(str(film), (np.random.default_rng(0).random((96, 48)) * 4000).astype(np.uint16))
    ct = tiny_checkpoint(tmp_path / "ct.pt", list(VERTEBRAE))
    with pytest.raises(VertAppError, match="ct.pt is a CT model .* does not read radiographs"):
        predict_zoi_coco(ct, film)
    out = tmp_path / "zois"
    assert main(["xray", "zoi", str(film), "--model", str(ct), "--out", str(out)]) == 1
    _said(capsys, "ct.pt is a CT model", "use a radiograph model")
    assert not out.exists()
    # T1..L5 like the CT model, but trained on films (`radiograph_overrides`): still read
    bodies = tiny_checkpoint(tmp_path / "bodies.pt", list(VERTEBRAE), resize_in_training=False)
    assert predict_zoi_coco(bodies, film)["images"][0]["vertapp"]["kind"] == "radiograph"
