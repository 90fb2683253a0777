"""Each command's output paths are checked before any work: an --out through a file, onto
a folder where a file goes or onto a file where a folder goes is refused in words, not
"unexpected error (FileExistsError …); this is a bug" after the work (find_05)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vertapp.cli import main


@pytest.fixture
def place(tmp_path: Path) -> Path:
    """A folder with a file notes.txt, a folder adir and a tiny COCO file."""
    (tmp_path / "notes.txt").write_text("{}")
    (tmp_path / "adir").mkdir()
    coco = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "L1"}]}
    (tmp_path / "in.json").write_text(json.dumps(coco))
    (tmp_path / "ct.nii.gz").write_bytes(b"not read: the outputs are checked first")
    return tmp_path


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str], said: str) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert said in err, err
    assert "this is a bug" not in err and "Traceback" not in err
    return err


THROUGH_A_FILE = {
    "convert": ["convert", "{p}/in.json", "--out", "{p}/notes.txt/x.json"],
    "convert labelme": ["convert", "{p}/in.json", "--out", "{p}/notes.txt/lm", "--to", "labelme"],
    "predict": ["predict", "{p}/m.pt", "{p}/in.json", "--out", "{p}/notes.txt/pred.json"],
    "preprocess": ["preprocess", "{p}/ct.nii.gz", "--out", "{p}/notes.txt/pp", "--quiet"],
    "import": ["import", "{p}/ct.nii.gz", "--labels", "{p}/ct.nii.gz", "--out", "{p}/notes.txt/pr"],
    "demo": ["demo", "--out", "{p}/notes.txt/demo", "--no-gui"],
    "backproject": ["backproject", "{p}/ct.nii.gz", "{p}/in.json", "--out", "{p}/notes.txt/l.nii"],
    "train": ["train", "{p}/in.json", "--out", "{p}/notes.txt/m.pt", "--max-iters", "1"],
}


@pytest.mark.parametrize("command", sorted(THROUGH_A_FILE))
def test_an_out_through_a_file_is_refused_in_words(
    command: str, place: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.format(p=place) for a in THROUGH_A_FILE[command]]
    _refused(capsys, argv, f"{place / 'notes.txt'} is a file, not a folder")
    assert (place / "notes.txt").read_text() == "{}"


FOLDER_FOR_A_FILE = {
    "predict": ["predict", "{p}/m.pt", "{p}/in.json", "--out", "{p}/adir"],
    "convert via": ["convert", "{p}/in.json", "--out", "{p}/adir", "--to", "via"],
    "convert coco": ["convert", "{p}/in.json", "--out", "{p}/adir.json/", "--to", "coco"],
    "train": ["train", "{p}/in.json", "--out", "{p}/adir", "--max-iters", "1"],
    "backproject centroids": [
        "backproject", "{p}/ct.nii.gz", "{p}/in.json", "--out", "{p}/l.nii", "--centroids",
        "{p}/adir",
    ],
}  # fmt: skip


@pytest.mark.parametrize("command", sorted(FOLDER_FOR_A_FILE))
def test_an_existing_folder_where_a_file_goes_is_refused(
    command: str, place: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (place / "adir.json").mkdir()
    argv = [a.format(p=place) for a in FOLDER_FOR_A_FILE[command]]
    err = _refused(capsys, argv, "is an existing folder; name a file to write")
    assert "the previous one is kept" not in err  # train said so of a checkpoint never there


FILE_FOR_A_FOLDER = {
    "convert labelme": ["convert", "{p}/in.json", "--out", "{p}/notes.txt", "--to", "labelme"],
    "import": ["import", "{p}/ct.nii.gz", "--labels", "{p}/ct.nii.gz", "--out", "{p}/notes.txt"],
    "demo": ["demo", "--out", "{p}/notes.txt", "--no-gui"],
}


@pytest.mark.parametrize("command", sorted(FILE_FOR_A_FOLDER))
def test_an_existing_file_where_a_folder_goes_is_refused(
    command: str, place: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.format(p=place) for a in FILE_FOR_A_FOLDER[command]]
    _refused(capsys, argv, "is an existing file, not a folder")
    assert (place / "notes.txt").read_text() == "{}"


@pytest.mark.parametrize(
    ("command", "inner"),
    [("import", "images"), ("demo", "volumes"), ("import", "project.json")],
)
def test_a_project_folder_whose_parts_are_the_wrong_kind_is_refused_first(
    command: str, inner: str, place: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = place / "proj"
    project.mkdir()
    if inner.endswith(".json"):
        (project / inner).mkdir()
        said = f"{project / inner} is a folder; it must be a file here"
    else:
        (project / inner).write_text("mine")
        said = f"{project / inner} is a file; it must be a folder here"
    argv = {
        "import": ["import", str(place / "ct.nii.gz"), "--labels", str(place / "ct.nii.gz")],
        "demo": ["demo", "--no-gui"],
    }[command] + ["--out", str(project)]
    _refused(capsys, argv, said)


def test_preprocess_refuses_a_folder_named_like_its_output_before_reading(
    place: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (place / "pp" / "mip.png").mkdir(parents=True)
    argv = ["preprocess", str(place / "ct.nii.gz"), "--out", str(place / "pp"), "--quiet"]
    _refused(capsys, argv, f"{place / 'pp' / 'mip.png'} is a folder; it must be a file here")


def test_convert_refuses_its_own_input_and_another_projects_file(
    place: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = place / "in.json"
    before = source.read_bytes()
    _refused(capsys, ["convert", str(source), "--out", str(source)], f"is the input {source}")
    other = place / "other"
    other.mkdir()
    (other / "project.json").write_text('{"images": []}')
    argv = ["convert", str(source), "--out", str(other / "project.json")]
    _refused(capsys, argv, "is a project's file (its annotations would be replaced)")
    assert source.read_bytes() == before
    assert (other / "project.json").read_text() == '{"images": []}'
