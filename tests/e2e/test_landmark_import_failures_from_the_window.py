"""File > Import landmark radiographs… in an empty window leaves no project when nothing
is imported, as File > Import labelled CT… does (`import_target.take_back`).

Audit r16 (H10): the empty window made a new project for the import (project.json,
.vertapp/) before reading the landmark folder; a folder that failed (landmarks.csv not
numbers, an image missing) or an import cancelled left that empty project open and on
disk, a project that looked valid. A project that was open already stays as it was."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.test_import_from_the_window import _new_project_dialog, _wait_for_import
from tests.e2e.window_driver import open_and_wait
from tests.unit.xray.test_landmarks import NAMES, _dataset

pytestmark = pytest.mark.gui


def _importer(window):  # type: ignore[no-untyped-def]
    """The window's File > Import landmark radiographs… (a child of its job runner)."""
    from vertapp.gui.window.landmark_import import LandmarkImport

    return window.jobs.findChild(LandmarkImport)


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _corrupt(root: Path) -> Path:
    """A landmark folder whose landmarks.csv's second row is cut short into words."""
    src = _dataset(root)
    rows = (src / "landmarks.csv").read_text().splitlines()
    rows[1] = "cut,short"
    (src / "landmarks.csv").write_text("\n".join(rows) + "\n")
    return src


def _image_missing(root: Path) -> Path:
    """A landmark folder whose last image is not there (two are copied before it)."""
    src = _dataset(root)
    (src / "images" / NAMES[-1]).unlink()
    return src


@pytest.mark.parametrize(
    ("broken", "there", "reason"),
    [
        (_corrupt, False, "landmarks.csv: row 2"),
        (_image_missing, True, f"image missing or not readable (row {len(NAMES)})"),
    ],
    ids=["corrupt landmarks, new folder", "image missing, empty folder"],
)
def test_an_empty_window_whose_landmark_import_fails_keeps_no_project(
    qtbot, window, tmp_path, monkeypatch, broken, there, reason
) -> None:  # type: ignore[no-untyped-def]
    src = broken(tmp_path / "aasce")
    folder = tmp_path / "films project"
    if there:
        folder.mkdir()
    _new_project_dialog(monkeypatch, folder)
    assert _importer(window).start(src)
    _wait_for_import(qtbot, window)
    if there:
        assert _tree(folder) == set()  # no project.json, .vertapp/, nor copied image
        left = "films project was left as it was"
    else:
        assert not folder.exists()
        left = "no project was created (films project is not there)"
    assert window.doc.project.root is None and not window.doc.image_ids  # empty again
    assert window.panel.summary.text() == "No project"
    said = window._last_error
    assert reason in said and said.endswith(f"; {left}"), said


def test_an_empty_window_whose_landmark_import_is_cancelled_keeps_no_project(
    qtbot, window, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import vertapp.xray.landmark_import as core

    real = core.prepare_landmarks_job

    def slow(*args):  # type: ignore[no-untyped-def]
        for event in real(*args):
            yield event
            time.sleep(0.3)

    monkeypatch.setattr(core, "prepare_landmarks_job", slow)
    folder = tmp_path / "films project"
    _new_project_dialog(monkeypatch, folder)
    assert _importer(window).start(_dataset(tmp_path / "aasce"))
    qtbot.waitUntil(lambda: (folder / "images").is_dir() and any((folder / "images").iterdir()))
    window.jobs.cancel()
    _wait_for_import(qtbot, window)
    assert not folder.exists()
    assert window.doc.project.root is None and not window.doc.image_ids
    assert "Nothing imported: no project was created" in window.statusBar().currentMessage()


def test_an_open_projects_failed_landmark_import_leaves_it_open(
    qtbot, window, small_project, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    open_and_wait(qtbot, window, small_project)
    kept = _tree(small_project)
    assert _importer(window).start(_corrupt(tmp_path / "aasce"))
    _wait_for_import(qtbot, window)
    assert window.doc.project.root == small_project and len(window.doc.image_ids) == 1
    assert _tree(small_project) == kept
    said = window._last_error
    assert "landmarks.csv: row 2" in said
    assert "no project was created" not in said and "left as it was" not in said
