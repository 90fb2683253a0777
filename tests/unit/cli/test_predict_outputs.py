"""`vertapp predict --out`: never over a project's file or an input (find_02), and the MIPs
of volumes get names of their own, never over a file that is not ours (find_14)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.unit.ml.spines import spine_samples, write_coco_dataset
from tests.unit.ml.tiny_starter import training_checkpoint
from vertapp.cli import main


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model that predicts (every proposal a confident T1)."""
    return training_checkpoint(tmp_path_factory.mktemp("model") / "m.pt", confident=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    write_coco_dataset(folder, spine_samples(1))
    return folder


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str], said: str) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert said in err and "this is a bug" not in err, err


def test_out_onto_the_input_projects_file_is_refused(
    model: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (project / "project.json").read_bytes()
    argv = ["predict", str(model), str(project), "--out", str(project / "project.json")]
    argv += ["--device", "cpu"]
    _refused(capsys, argv, f"is the project file of the input {project}")
    assert (project / "project.json").read_bytes() == before


def test_out_onto_another_projects_file_is_refused(
    model: Path, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    write_coco_dataset(other, spine_samples(1, seed=3))
    before = (other / "project.json").read_bytes()
    image = project / "img0.png"
    argv = ["predict", str(model), str(image), "--out", str(other / "project.json")]
    _refused(capsys, argv + ["--device", "cpu"], "is a project's file")
    assert (other / "project.json").read_bytes() == before


def test_out_onto_an_input_image_or_the_model_is_refused(
    model: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = project / "img0.png"
    before = image.read_bytes()
    argv = ["predict", str(model), str(image), "--out", str(image), "--device", "cpu"]
    _refused(capsys, argv, f"is the input {image}")
    assert image.read_bytes() == before
    argv = ["predict", str(model), str(image), "--out", str(model), "--device", "cpu"]
    _refused(capsys, argv, f"is the input {model}")


def test_out_onto_an_existing_file_that_is_not_json_is_refused(
    model: Path, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    argv = ["predict", str(model), str(project / "img0.png"), "--out", str(notes)]
    _refused(capsys, argv + ["--device", "cpu"], "is an existing file that is not a COCO/JSON")
    assert notes.read_text() == "my notes"
    # an earlier prediction file is JSON: a rerun replaces it
    out = tmp_path / "pred.json"
    out.write_text('{"images": [], "annotations": []}')
    argv = ["predict", str(model), str(project / "img0.png"), "--out", str(out)]
    assert main(argv + ["--device", "cpu", "--score", "0"]) == 0
    assert len(json.loads(out.read_text())["images"]) == 1


@pytest.fixture
def fake_preprocessing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Volumes "preprocessed" in no time: each MIP is a grey level read from the file."""
    import vertapp.io
    import vertapp.preprocess
    import vertapp.preprocess.landmarks

    class Volume:
        def __init__(self, level: int) -> None:
            self.level = level
            self.warnings = [f"odd scan {level}"] if level == 200 else []
            self.notes = [f"rounded to whole HU {level}"] if level == 100 else []

    class Result:
        def __init__(self, vol: Volume) -> None:
            self.mip_u8 = np.full((6, 4 + vol.level // 50), vol.level, np.uint8)
            self.warnings: list[str] = []

    monkeypatch.setattr(vertapp.io, "read_volume", lambda path: Volume(int(Path(path).read_text())))
    monkeypatch.setattr(vertapp.preprocess, "preprocess", Result)
    monkeypatch.setattr(vertapp.preprocess.landmarks, "landmarks", lambda result: {})


def _volume(path: Path, level: int) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(level))
    return str(path)


@pytest.mark.usefixtures("fake_preprocessing")
def test_two_volumes_of_one_name_get_a_mip_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from vertapp.commands.predict import collect_images

    out = tmp_path / "out" / "pred.json"
    out.parent.mkdir()
    mine = out.parent / "ct_mip.png"
    mine.write_bytes(b"the user's own file")
    inputs = [
        _volume(tmp_path / "a" / "ct.nii.gz", 100),
        _volume(tmp_path / "b" / "ct.nii.gz", 200),
    ]
    images, records = collect_images(inputs, out)
    names = [r["file_name"] for r in records]
    assert len(set(names)) == 2 and "ct_mip.png" not in names
    # the reader's doubts and notes are said, as `vertapp preprocess` says them
    assert capsys.readouterr().err.splitlines() == [
        "note: ct.nii.gz: rounded to whole HU 100",
        "warning: ct.nii.gz: odd scan 200",
    ]
    assert mine.read_bytes() == b"the user's own file"
    for img, name in zip(images, names, strict=True):
        assert np.array_equal(cv2.imread(str(out.parent / name), cv2.IMREAD_UNCHANGED), img)


@pytest.mark.usefixtures("fake_preprocessing")
def test_a_rerun_replaces_its_own_earlier_mips(tmp_path: Path) -> None:
    from vertapp.commands.predict import collect_images

    out = tmp_path / "pred.json"
    inputs = [
        _volume(tmp_path / "a" / "ct.nii.gz", 100),
        _volume(tmp_path / "b" / "ct.nii.gz", 200),
    ]
    _, records = collect_images(inputs, out)
    out.write_text(json.dumps({"images": records, "annotations": []}))  # as predict writes it
    _, again = collect_images(inputs, out)
    assert [r["file_name"] for r in again] == [r["file_name"] for r in records]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(r["file_name"] for r in records)


@pytest.mark.usefixtures("fake_preprocessing")
def test_a_patient_folder_name_stays_out_of_the_mip_name_and_the_coco_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`vertapp predict DOE_JOHN/ct.nii.gz` (or a DICOM folder so named) wrote
    DOE_JOHN..._mip.png and recorded the name as the source volume; a volume file named
    by its own name keeps it (the import's rule, ctimport.case)."""
    import vertapp.io
    from vertapp.commands.predict import collect_images

    read_file = vertapp.io.read_volume  # the fixture's: a grey level read from the file
    dicom = tmp_path / "scans" / "DOE_JANE"
    dicom.mkdir(parents=True)
    (dicom / "level").write_text("120")
    monkeypatch.setattr(
        vertapp.io, "read_volume", lambda p: read_file(Path(p) / "level" if Path(p).is_dir() else p)
    )
    out = tmp_path / "out" / "pred.json"
    out.parent.mkdir()
    inputs = [
        _volume(tmp_path / "DOE_JOHN" / "ct.nii.gz", 100),
        str(dicom),
        _volume(tmp_path / "scans" / "lumbar_study.nii.gz", 140),
    ]
    _, records = collect_images(inputs, out)
    written = " ".join(p.name for p in out.parent.iterdir())
    assert "DOE" not in json.dumps(records) + written
    assert records[2]["file_name"] == "lumbar_study_mip.png"
    assert records[2]["vertapp"]["source_volume"] == "lumbar_study.nii.gz"
