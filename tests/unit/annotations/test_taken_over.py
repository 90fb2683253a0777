"""A session whose project folder another session took over ("Open anyway") writes
nothing more over that session's journal or lock, and loses none of its own edits.

Before: the first session went on appending to a journal file the second one had
replaced (edits written into a file nobody could read), and its next save or restart
wrote its journal over the second session's."""

from __future__ import annotations

from pathlib import Path

import pytest

from vertapp.annotations import ops, store
from vertapp.annotations.project_lock import SessionLock, acquire, lock_path
from vertapp.annotations.recovery import kept_journals

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")


def _journal(folder: Path) -> bytes:
    return (folder / store.STATE_DIR / store.JOURNAL_FILE).read_bytes()


def _two_sessions(make_project, folder: Path):  # type: ignore[no-untyped-def]
    """The first session journals an edit; the second opens the folder anyway (its
    journal attached over the first's, as the window's open does) and edits too."""
    store.save_project(make_project(root=folder))
    first = store.load_project(folder)
    mine = store.Journal(first).attach()
    first.apply(ops.Relabel(1, "L3"))
    second = store.load_project(folder)
    store.Journal(second).attach()
    second.apply(ops.Relabel(2, "L4"))
    return first, mine, second


def test_a_session_lock_knows_when_another_session_took_its_folder(tmp_path: Path) -> None:
    session = SessionLock()
    assert session.taken_over(tmp_path) is None  # never locked: nothing to lose
    session.take(tmp_path)
    assert session.taken_over(tmp_path) is None  # still its own
    other = acquire(tmp_path, take_over=True)  # "Open anyway" in another window
    assert session.taken_over(tmp_path) == other.info
    assert session.taken_over(tmp_path / "elsewhere") is None  # not the folder it holds
    session.release()  # the other's lock is left alone
    assert lock_path(tmp_path).is_file() and other.held()
    other.release()


def test_a_missing_lock_file_is_no_take_over(tmp_path: Path) -> None:
    """Only another token proves someone else writes there: a removed (or unreadable)
    file must not turn a window read-only."""
    session = SessionLock()
    session.take(tmp_path)
    lock_path(tmp_path).unlink()
    assert session.taken_over(tmp_path) is None


def test_an_edit_after_the_take_over_goes_to_a_journal_of_its_own(
    make_project, tmp_path: Path
) -> None:
    first, mine, second = _two_sessions(make_project, tmp_path)
    told: list[Path] = []
    mine.on_aside = told.append
    theirs = _journal(tmp_path)
    first.apply(ops.Relabel(1, "L5"))  # the journal's file is the second session's now
    assert _journal(tmp_path) == theirs  # neither appended to nor replaced
    assert mine.aside is not None and told == [mine.aside]
    assert mine.aside.parent == tmp_path / store.STATE_DIR / store.KEPT_DIR
    first.apply(ops.Relabel(2, "L1"))  # journalled there from now on
    kept = store.recover_edits(tmp_path, mine.aside).project
    assert kept.state() == first.state()  # every edit of the first session, none lost
    assert store.recover(tmp_path).state() == second.state()  # the second's still whole
    assert mine.aside in kept_journals(tmp_path)


def test_a_restart_after_the_take_over_never_overwrites_the_other_journal(
    make_project, tmp_path: Path
) -> None:
    """A save of the first session restarts its journal (commit_save): on the second
    session's file, that wiped the second session's unsaved edits."""
    first, mine, second = _two_sessions(make_project, tmp_path)
    theirs = _journal(tmp_path)
    mine.checkpoint()  # as after images were added, or a save
    assert _journal(tmp_path) == theirs
    assert mine.aside is not None
    assert store.recover_edits(tmp_path, mine.aside).project.state() == first.state()


def test_set_aside_keeps_the_unsaved_edits_and_leaves_the_folder_journal(
    make_project, tmp_path: Path
) -> None:
    first, mine, second = _two_sessions(make_project, tmp_path)
    theirs = _journal(tmp_path)
    kept = mine.set_aside()  # the window noticed (the lock names another session)
    assert _journal(tmp_path) == theirs and mine.aside == kept
    assert store.recover_edits(tmp_path, kept).project.state() == first.state()
    mine.detach()
    mine.attach()  # again (a failed "save as"): in its own folder, the other's untouched
    assert _journal(tmp_path) == theirs and mine.path.parent == kept


def test_a_journal_of_its_own_file_is_not_displaced(make_project, tmp_path: Path) -> None:
    """Its own restarts replace the file too (atomically): that is no take-over."""
    store.save_project(make_project(root=tmp_path))
    project = store.load_project(tmp_path)
    journal = store.Journal(project).attach()
    project.apply(ops.Relabel(1, "L3"))
    journal.checkpoint()
    project.apply(ops.Relabel(1, "L4"))
    store.save_project(project)
    project.apply(ops.Relabel(1, "L5"))
    assert journal.aside is None and kept_journals(tmp_path) == []
    assert store.recover(tmp_path).state() == project.state()
