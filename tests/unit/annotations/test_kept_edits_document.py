"""`Document.adopt_recovered_kept`: kept edits replayed onto the open folder's project
become that folder's unsaved edits, journalled from there on (File > Recover kept edits…
did this through open_project, discard_recovery and images_added_outside_undo, whose
names said nothing of it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.annotations.test_kept_edits import _unanswered
from vertapp.annotations import ops, store
from vertapp.annotations.kept_edits import recover_kept
from vertapp.errors import VertAppError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")


def test_recovered_kept_edits_become_the_folders_unsaved_edits(make_project, tmp_path, qapp):
    from vertapp.gui.document.document import Document

    kept = _unanswered(make_project, tmp_path)  # Relabel(1, "L2") kept aside
    doc = Document()
    doc.open_project(tmp_path)
    doc.edit(ops.Relabel(2, "L4"), "relabel")
    doc.stack.undo()  # nothing unsaved, but this window's journal holds two edits
    doc.set_current(2)  # after the undo, which shows the image it changed
    assert not doc.modified and store.has_recovery(tmp_path)

    doc.adopt_recovered_kept(recover_kept(tmp_path, kept).project)
    assert doc.project.root == tmp_path and doc.project.instance(1).label == "L2"
    assert doc.modified and not doc.stack.canUndo()  # unsaved until a save keeps them
    assert doc.current_id == 2  # the image shown stays shown
    assert not doc.has_recovery()  # the window's own journal is not offered back
    assert doc.lock_holder(tmp_path) is None  # the folder is still this window's
    assert kept.is_dir()  # the kept copy goes only when the user says so

    doc.edit(ops.Relabel(2, "L1"), "relabel")  # journalled from the recovered project
    crashed = store.recover(tmp_path)
    assert (crashed.instance(1).label, crashed.instance(2).label) == ("L2", "L1")
    doc.close_session()


def test_without_a_folder_nothing_is_replaced(make_project, tmp_path: Path, qapp) -> None:
    from vertapp.gui.document.document import Document

    doc = Document()
    shown = doc.project
    with pytest.raises(VertAppError, match="project folder"):
        doc.adopt_recovered_kept(make_project(root=tmp_path))
    assert doc.project is shown
