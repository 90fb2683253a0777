"""`vertapp backproject` refuses, before reading the CT, outputs that are its inputs or
each other (find_03: --out over the CT, --centroids over the COCO input, both rc 0)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vertapp.cli import main


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path, Path]:
    ct, coco, pp = tmp_path / "ct.nii.gz", tmp_path / "pred.json", tmp_path / "pp"
    ct.write_bytes(b"the CT")
    coco.write_text('{"images": []}')
    pp.mkdir()
    (pp / "preprocess.json").write_text("{}")
    return ct, coco, pp


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str], said: str) -> None:
    assert main(["backproject", *argv, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert said in err and "this is a bug" not in err, err


def test_out_onto_the_ct_is_refused(inputs, capsys) -> None:  # type: ignore[no-untyped-def]
    ct, coco, _ = inputs
    _refused(capsys, [str(ct), str(coco), "--out", str(ct)], f"--out {ct}: is the CT")
    assert ct.read_bytes() == b"the CT"


def test_centroids_onto_the_coco_input_is_refused(inputs, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    ct, coco, _ = inputs
    argv = [str(ct), str(coco), "--out", str(tmp_path / "l.nii.gz"), "--centroids", str(coco)]
    _refused(capsys, argv, f"--centroids {coco}: is the COCO input")
    assert coco.read_text() == '{"images": []}'


def test_centroids_onto_a_preprocessing_file_is_refused(inputs, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    ct, coco, pp = inputs
    meta = pp / "preprocess.json"
    argv = [str(ct), str(coco), "--out", str(tmp_path / "l.nii"), "--preprocess", str(pp)]
    _refused(capsys, [*argv, "--centroids", str(meta)], "is a preprocessing file")
    assert meta.read_text() == "{}"


def test_two_outputs_on_one_file_are_refused(inputs, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    ct, coco, _ = inputs
    labels = tmp_path / "l.nii.gz"
    argv = [str(ct), str(coco), "--out", str(labels), "--centroids", str(labels)]
    _refused(capsys, argv, f"--centroids {labels}: is also --out")
    assert not labels.exists()
