"""`vertapp review PROJECT` where PROJECT/project.json is a folder: said to be a folder,
not "a pipe, device or socket"."""

from __future__ import annotations

from vertapp.cli import main


def test_a_folder_named_project_json_is_called_a_folder(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "project.json").mkdir()
    assert main(["review", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"vertapp review: error: {tmp_path / 'project.json'}: a folder, not a file"
    assert (tmp_path / "project.json").is_dir()  # nothing touched
