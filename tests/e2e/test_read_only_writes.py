"""A project opened read-only (another live session holds it) gets nothing written into
its folder by any route of the window; writing elsewhere stays allowed.

Each route is taken in turn, and every file and folder under the project is compared
(SHA-256) before and after it: the other session's project.json, journal and lock, and
anything a route would have added (a copy, an export, a model)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtGui import QAction

from tests.e2e.window_driver import open_and_wait
from tests.unit.lock_holder import holding
from vertapp.gui.window.labels3d_jobs import ExportChoice

pytestmark = pytest.mark.gui
READ_ONLY = "opened read-only"  # in every refusal: lock_prompt.read_only_words


def _tree(folder: Path) -> dict[str, str]:
    """Every path under `folder` with its content's digest ("dir" for a folder)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "dir"
        for p in sorted(folder.rglob("*"))
    }


def _action(window, text: str) -> QAction:  # type: ignore[no-untyped-def]
    return next(a for a in window.findChildren(QAction) if a.text() == text)


def _refused(window, folder: Path, route, before: dict[str, str], name: str) -> None:  # type: ignore[no-untyped-def]
    window._last_error = ""
    route()
    assert _tree(folder) == before, f"{name} wrote into the project"
    assert READ_ONLY in window._last_error, f"{name}: {window._last_error!r}"


def test_no_route_of_the_window_writes_into_a_read_only_project(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    with holding(small_project, edit=True):
        open_and_wait(qtbot, window, small_project)  # unattended: opened read-only
        assert window.doc.read_only
        before = _tree(small_project)
        labels3d = window.labels3d
        monkeypatch.setattr(labels3d, "_refuse_export", lambda: False)  # as with a CT shown
        routes = {
            "Ctrl+S": window.read_only_view.save_key.trigger,  # Save itself is greyed out
            "save as inside it": lambda: window.save(small_project / "copy"),
            "COCO into it": lambda: window.export(small_project / "coco.json", "coco"),
            "VIA into it": lambda: window.export(small_project / "via.json", "via"),
            "3D labels into it": lambda: labels3d.export(ExportChoice(small_project / "3d")),
            "import a CT": window.importer.ask_import,
            "import landmarks": _action(window, "Import landmark radio&graphs…").trigger,
        }
        for name, route in routes.items():
            _refused(window, small_project, route, before, name)
        window.files.autosave()  # the timer's tick
        assert _tree(small_project) == before
        # Outside the project nothing is refused: an export the user sends elsewhere
        assert window.export(tmp_path / "elsewhere.json", "coco"), window._last_error
        window.wait_for_export()
        assert (tmp_path / "elsewhere.json").is_file() and _tree(small_project) == before


def test_a_failed_save_as_of_a_read_only_project_leaves_its_journal_alone(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A "save as" that failed gave the project back its journal in its own folder: a
    read-only one got a journal there, over the other session's live one."""
    import vertapp.gui.document.document as document

    def full(pending):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    with holding(small_project, edit=True):
        open_and_wait(qtbot, window, small_project)
        before = _tree(small_project)
        monkeypatch.setattr(document, "write_project", full)
        assert not window.save(tmp_path / "copy")
        assert "No space left" in window._last_error
        assert _tree(small_project) == before and not (tmp_path / "copy").exists()
        assert window.doc.project.journal is None


def test_model_routes_refuse_a_read_only_project(qtbot, window, small_project) -> None:  # type: ignore[no-untyped-def]
    """Training writes its model, checkpoints and settings into the project's models/;
    review decisions are edits (refused in words by the project itself)."""
    from vertapp.gui.model.workflow import install_model_workflow

    flow = install_model_workflow(window)
    with holding(small_project, edit=True):
        open_and_wait(qtbot, window, small_project)
        before = _tree(small_project)
        assert not window.act_train.isEnabled()  # greyed out, saying why (read_only_view)
        _refused(window, small_project, flow.train, before, "Train")  # reached from code
        assert "Training writes its model" in window._last_error
        assert flow.train_dialog is None  # no dialog to fill in vain
        said: list[str] = []
        flow.review_panel.message.connect(said.append)
        flow.review_panel.mark_completed()
        flow.review_panel.toggle_image_flag()
        assert len(said) == 2 and all(READ_ONLY in s for s in said)
        assert _tree(small_project) == before
        assert not window.doc.modified
