"""Commands that write into an existing project folder in place refuse one that a live
VertApp session holds (tests/unit/lock_holder.py: a real child process), and hold the
lock themselves while they write."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.unit.cli.test_demo_rebuild import _demo_json, fake_build  # noqa: F401 (fixture)
from tests.unit.lock_holder import holding
from vertapp.annotations.project_lock import read_lock
from vertapp.cli import main


def _saved_project(folder: Path) -> bytes:
    from vertapp.annotations import store
    from vertapp.annotations.model import ImageRecord

    project = store.new_project(folder)
    project.add_image(ImageRecord(id=1, file_name="images/m.png", width=12, height=10))
    store.save_project(project, folder)
    return (folder / "project.json").read_bytes()


def test_import_into_a_project_open_elsewhere_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "project"
    saved = _saved_project(folder)
    ct, labels = tmp_path / "ct.nii.gz", tmp_path / "seg.nii.gz"
    with holding(folder) as child:
        assert main(["import", str(ct), "--labels", str(labels), "--out", str(folder)]) == 1
        assert read_lock(folder).pid == child.pid  # type: ignore[union-attr]
    err = capsys.readouterr().err
    assert f"process {child.pid} on " in err and "close it in the window first" in err
    assert "this is a bug" not in err
    assert (folder / "project.json").read_bytes() == saved
    assert sorted(p.name for p in folder.iterdir()) == [".vertapp", "images", "project.json"]


def test_import_holds_the_lock_while_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vertapp.ctimport

    folder = tmp_path / "project"
    _saved_project(folder)
    seen = []

    def job(out, cases):  # type: ignore[no-untyped-def]
        seen.append(read_lock(out))
        return SimpleNamespace(imported=[], failed={})
        yield  # a job

    monkeypatch.setattr(vertapp.ctimport, "import_to_folder_job", job)
    ct = tmp_path / "ct.nii.gz"
    assert main(["import", str(ct), "--labels", str(ct), "--out", str(folder)]) == 0
    assert seen[0] is not None and seen[0].pid == os.getpid()
    assert read_lock(folder) is None  # released


def test_demo_is_not_rebuilt_under_a_window_that_has_it_open(
    tmp_path: Path,
    fake_build: list[Path],  # noqa: F811 (the fixture)
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "project.json").write_text(_demo_json(edited="reviewed"))
    with holding(demo):
        assert main(["demo", "--out", str(demo), "--force", "--no-gui"]) == 1
    assert "close it in the window first" in capsys.readouterr().err
    assert not fake_build and "reviewed" in (demo / "project.json").read_text()


def test_train_into_a_project_open_elsewhere_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`vertapp train --out PROJECT/models/model.pt` replaced the model of a project a
    window held (and trains into itself) without a word; refused now, as import is."""
    from vertapp.commands.outputs import check_not_in_held_project

    folder = tmp_path / "project"
    _saved_project(folder)
    out = folder / "models" / "model.pt"
    with holding(folder) as child:
        assert main(["train", str(folder), "--out", str(out)]) == 1
        err = capsys.readouterr().err
        check_not_in_held_project(tmp_path / "elsewhere" / "model.pt")  # outside: fine
    assert f"--out {out}: is in the project {folder}" in err
    assert f"process {child.pid} on " in err and "close it in the window first" in err
    assert not (folder / "models").exists()
    check_not_in_held_project(out)  # the window closed: fine
