"""The annotation layer's part of "never lose work" when a project's folder is lost, saved
as a new project, or written by a colleague (round 14 audit).

- A journal whose project folder vanished went "aside" into <folder>/.vertapp/kept/,
  creating the vanished folder again; the next Save then found a folder there and wrote a
  project.json without images ("cannot read the image" once reopened).
- A session that saved its project as a new one left its live journal in the old folder,
  offered there as a crashed session's edits.
- Atomic writes made their files 0600 (mkstemp): a colleague given a copy of a project
  could open its images but not its project.json.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from vertapp.annotations import ops, store
from vertapp.annotations.kept_edits import describe_kept
from vertapp.annotations.recovery import NOTHING, recovery_plan
from vertapp.errors import VertAppError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")


def _saved(make_project, folder: Path) -> store.Project:  # type: ignore[no-untyped-def]
    store.save_project(make_project(root=folder))
    for rec in store.load_project(folder).images.values():  # the images are there too
        (folder / rec.file_name).parent.mkdir(parents=True, exist_ok=True)
        (folder / rec.file_name).write_bytes(b"png")
    return store.load_project(folder)


# ------------------------------------------------------------------ vanished folder
def test_a_journal_whose_folder_vanished_goes_on_outside_it(make_project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, refuge = tmp_path / "project", tmp_path / "config" / "autosave" / "lost-x"
    project = _saved(make_project, folder)
    journal = store.Journal(project)
    journal.refuge = refuge
    journal.attach()
    project.apply(ops.Relabel(1, "L3"))
    shutil.rmtree(folder)  # moved, deleted, an unmounted share
    told: list[Path] = []
    journal.on_aside = told.append
    project.apply(ops.Relabel(2, "L4"))
    assert not folder.exists(), "the journal made the vanished folder again"
    assert journal.outside and told == [journal.state] and journal.state.parent == refuge
    project.apply(ops.Relabel(3, "T9"))  # journalled there from now on
    back = store.recover_edits(folder, journal.state).project
    assert [back.instance(i).label for i in (1, 2, 3)] == ["L3", "L4", "T9"]
    assert not folder.exists()
    journal.detach()


def test_without_a_refuge_the_journal_stops_and_makes_nothing(make_project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "project"
    project = _saved(make_project, folder)
    journal = store.Journal(project).attach()
    shutil.rmtree(folder)
    project.apply(ops.Relabel(1, "L3"))  # the edit is done; only its journal stops
    assert project.instance(1).label == "L3" and not folder.exists()
    with pytest.raises(OSError):
        journal.restart()  # said to whoever restarts it (the window: "cannot be written")
    assert not folder.exists()
    journal.detach()


def test_save_refuses_the_own_folder_made_again_without_the_project(make_project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The folder came back empty (a mount point, something made it again): a Save would
    write a project.json whose images are nowhere."""
    folder = tmp_path / "project"
    project = _saved(make_project, folder)
    project.apply(ops.Relabel(1, "L3"))
    shutil.rmtree(folder)
    (folder / store.STATE_DIR / store.KEPT_DIR).mkdir(parents=True)
    assert store.own_folder_lost(project, folder)
    with pytest.raises(VertAppError, match="no longer there"):
        store.save_project(project)
    assert not store.project_file(folder).exists()
    (folder / "images").mkdir()  # its images back (the share remounted): saved as usual
    for rec in project.images.values():
        (folder / rec.file_name).write_bytes(b"png")
    assert not store.own_folder_lost(project, folder)
    store.save_project(project)
    assert store.load_project(folder).instance(1).label == "L3"


# --------------------------------------------------------------------- save as
def test_the_live_journal_left_by_save_as_is_kept_as_saved_elsewhere(
    make_project, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    folder, new = tmp_path / "old", tmp_path / "new"
    project = _saved(make_project, folder)
    journal = store.Journal(project).attach()
    project.apply(ops.Relabel(1, "L3"))
    left_id = journal.id
    journal.detach()  # "save as" takes it off; the new folder gets one of its own
    store.save_project(project, new)
    noted = store.note_saved_elsewhere(folder, [left_id], new)
    assert recovery_plan(folder).kind == NOTHING, "offered as a crashed session's edits"
    [entry] = describe_kept(folder)
    assert noted == [entry.folder] and entry.saved_to == "new"
    assert entry.origin == store.SAVED_AS and not entry.offered and not entry.worth_telling


def test_another_sessions_journal_is_not_retired_by_a_save_as(make_project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "old"
    project = _saved(make_project, folder)
    theirs = store.Journal(project).attach()
    project.apply(ops.Relabel(1, "L3"))
    theirs.close()
    assert store.note_saved_elsewhere(folder, ["not-theirs"], tmp_path / "new") == []
    assert store.has_recovery(folder)  # still offered: not this session's work


# ----------------------------------------------------------------- permissions
@pytest.fixture
def umask_022():  # type: ignore[no-untyped-def]
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_writes_get_the_mode_a_plain_write_would(tmp_path, umask_022) -> None:  # type: ignore[no-untyped-def]
    new = tmp_path / "new.json"
    store.atomic_write_bytes(new, b"{}")
    assert _mode(new) == 0o644  # was 0600: a colleague could not read it
    old = tmp_path / "old.json"
    old.write_bytes(b"x")
    old.chmod(0o640)
    store.atomic_write_bytes(old, b"y")
    assert _mode(old) == 0o640 and old.read_bytes() == b"y"  # the file's own mode stays
    os.umask(0o077)
    private = tmp_path / "private.json"
    store.atomic_write_bytes(private, b"{}")
    assert _mode(private) == 0o600  # the umask is respected


def test_a_saved_project_and_its_journal_are_readable_like_its_images(
    make_project, tmp_path, umask_022
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "project"
    project = _saved(make_project, folder)
    store.Journal(project).attach()
    project.apply(ops.Relabel(1, "L3"))
    store.save_project(project)
    assert _mode(store.project_file(folder)) == 0o644
    assert _mode(folder / store.BACKUP_FILE) == 0o644
    assert _mode(folder / store.STATE_DIR / store.JOURNAL_FILE) == 0o644
    project.journal.detach()
