"""`vertapp demo --force` rebuilds only the demo, and keeps the old project.json until the
new one is saved (find_09: it deleted any project.json first, whatever project it was)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vertapp.cli import main
from vertapp.demo import DEFAULT_CASES


def _demo_json(cases: int = 4, edited: str = "") -> str:
    images = [
        {
            "id": k + 1,
            "file_name": f"images/{c.name}_mip.png",
            "vertapp": {"source_path": f"volumes/{c.name}.nii.gz", "note": edited},
        }
        for k, c in enumerate(DEFAULT_CASES[:cases])
    ]
    return json.dumps({"images": images, "annotations": [], "categories": []})


@pytest.fixture
def fake_build(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The demo "built" in no time: a fresh project.json; the folders it was built into."""
    import vertapp.demo

    built: list[Path] = []

    def build(out: Path):  # type: ignore[no-untyped-def]
        assert not (out / "project.json").exists()  # the real build refuses one
        built.append(out)
        (out / "project.json").write_text(_demo_json(edited="fresh"))
        return out
        yield  # a job

    monkeypatch.setattr(vertapp.demo, "build_demo_project", build)
    return built


def test_force_rebuilds_the_demo_and_refuses_a_users_project(
    tmp_path: Path, fake_build: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    text = json.dumps({"images": [{"id": 1, "file_name": "images/in_ct_mip.png"}]})
    (mine / "project.json").write_text(text)
    assert main(["demo", "--out", str(mine), "--force", "--no-gui"]) == 1
    err = capsys.readouterr().err
    assert "project.json is a project that is not the demo" in err and "this is a bug" not in err
    assert (mine / "project.json").read_text() == text and not fake_build
    # the demo itself, reviewed and with an image removed, is rebuilt
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "project.json").write_text(_demo_json(cases=3, edited="reviewed"))
    assert main(["demo", "--out", str(demo), "--force", "--no-gui"]) == 0
    assert fake_build == [demo]
    assert "fresh" in (demo / "project.json").read_text()


def test_a_failed_rebuild_keeps_the_old_project_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import vertapp.demo

    def build(out: Path):  # type: ignore[no-untyped-def]
        yield from ()
        raise FileExistsError(17, "File exists", str(out / "volumes"))

    monkeypatch.setattr(vertapp.demo, "build_demo_project", build)
    demo = tmp_path / "demo"
    demo.mkdir()
    old = _demo_json(edited="reviewed")
    (demo / "project.json").write_text(old)
    assert main(["demo", "--out", str(demo), "--force", "--no-gui"]) == 1
    err = capsys.readouterr().err
    assert "the demo could not be written: File exists" in err and "this is a bug" not in err
    assert "the previous demo project is kept" in err
    assert (demo / "project.json").read_text() == old


def test_without_force_a_folder_with_a_project_is_left_as_it_is(
    tmp_path: Path, fake_build: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # `make run` reuses the demo folder, to which the user may have added scans of their own
    mine = tmp_path / "mine"
    mine.mkdir()
    text = '{"images": [{"file_name": "x.png"}]}'
    (mine / "project.json").write_text(text)
    assert main(["demo", "--out", str(mine), "--no-gui"]) == 0
    assert "already at" in capsys.readouterr().out
    assert (mine / "project.json").read_text() == text and not fake_build
