"""Kept edits (.vertapp/kept/) are listed in words, recovered onto the project, refused
in words when they cannot be replayed, and deleted only when asked.

Before, a kept journal could be replayed only by calling store.recover_edits by hand."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vertapp.annotations import kept_edits, ops, recovery, store
from vertapp.annotations.kept_edits import (
    CURRENT,
    DAMAGED,
    OTHER,
    PREVIOUS,
    SNAPSHOT,
    delete_kept,
    describe_kept,
    recover_kept,
)
from vertapp.annotations.kept_words import detail_words, notice_words, summary_words, when_words
from vertapp.errors import FormatError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")
FIRST = "images/case001.png"


def _saved(make_project, folder: Path):  # type: ignore[no-untyped-def]
    store.save_project(make_project(root=folder))
    project = store.load_project(folder)
    store.Journal(project).attach()
    return project


def _unanswered(make_project, folder: Path) -> Path:
    """Route (a): a journal nobody replayed, kept when the next session attached its own."""
    _saved(make_project, folder).apply(ops.Relabel(1, "L2"))
    store.Journal(store.load_project(folder)).attach()  # opened again, the offer ignored
    [kept] = recovery.kept_journals(folder)
    return kept


def _taken_over(make_project, folder: Path):  # type: ignore[no-untyped-def]
    """Route (b): a window whose folder another window took over goes on in a kept
    folder of its own (Journal.set_aside), from a copy holding its unsaved edit."""
    store.save_project(make_project(root=folder))
    first = store.load_project(folder)
    journal = store.Journal(first).attach()
    first.apply(ops.Relabel(1, "L3"))
    kept = journal.set_aside()
    first.apply(ops.Relabel(2, "L1"))  # journalled there
    journal.detach()  # the window crashed
    return first, kept


def test_an_unanswered_journal_is_listed_and_recovered_onto_the_project(
    make_project, tmp_path: Path
) -> None:
    kept = _unanswered(make_project, tmp_path)
    [entry] = describe_kept(tmp_path)
    assert (entry.folder, entry.base, entry.edits, entry.images) == (kept, CURRENT, 1, (FIRST,))
    assert entry.offered and "applies them to the project as saved now: 1 outline changed" in (
        detail_words(entry)
    )
    result = recover_kept(tmp_path, kept)
    assert result.project.instance(1).label == "L2" and result.project.modified
    assert kept.is_dir()  # recovering deletes nothing
    store.Journal(result.project).attach()
    store.save_project(result.project)
    assert store.load_project(tmp_path).instance(1).label == "L2"


def test_a_taken_over_windows_journal_is_recovered_from_its_own_copy(
    make_project, tmp_path: Path
) -> None:
    first, kept = _taken_over(make_project, tmp_path)
    [entry] = describe_kept(tmp_path)
    assert (entry.base, entry.edits, entry.images) == (SNAPSHOT, 1, (FIRST,))
    assert summary_words(entry, names=False).endswith(": 2 outlines changed on 1 image")
    assert "the project as that window had it" in detail_words(entry)
    recovered = recover_kept(tmp_path, kept).project
    assert recovered.state() == first.state()  # the edit in its copy and the one after
    assert kept.is_dir()


def test_edits_made_on_a_version_that_is_gone_are_refused_in_words(
    make_project, tmp_path: Path
) -> None:
    kept = _unanswered(make_project, tmp_path)
    main = tmp_path / store.PROJECT_FILE
    main.write_text(main.read_text().replace('"not_started"', '"flagged"'))  # no backup of it
    (tmp_path / store.BACKUP_FILE).unlink(missing_ok=True)
    [entry] = describe_kept(tmp_path)
    assert entry.base == OTHER and not entry.recoverable and entry.images is None
    assert "another version" in entry.problem and "cannot be recovered" in summary_words(
        entry, names=False
    )
    with pytest.raises(FormatError, match=r"cannot be replayed.*stay where they are"):
        recover_kept(tmp_path, kept)
    assert recovery.kept_journals(tmp_path) == [kept]


def test_a_damaged_journal_set_aside_is_listed_but_not_recovered(
    make_project, tmp_path: Path
) -> None:
    _saved(make_project, tmp_path).apply(ops.Relabel(1, "L2"))
    journal = tmp_path / store.STATE_DIR / store.JOURNAL_FILE
    journal.write_bytes(b"{damaged\n" + journal.read_bytes().split(b"\n", 1)[1])
    recovery.set_aside_journal(tmp_path)
    [entry] = describe_kept(tmp_path)
    assert entry.base == DAMAGED and not entry.recoverable and entry.edits == 1
    with pytest.raises(FormatError, match="first line cannot be read"):
        recover_kept(tmp_path, entry.folder)


def test_a_bad_entry_says_why_before_it_is_chosen(make_project, tmp_path: Path) -> None:
    kept = _unanswered(make_project, tmp_path)
    with open(kept / store.JOURNAL_FILE, "a", encoding="utf-8") as f:
        f.write('{"op": "nonsense"}\n{"op": "nonsense"}\n')
    [entry] = describe_kept(tmp_path)
    assert entry.base == CURRENT and not entry.recoverable and "line 3" in entry.problem
    with pytest.raises(FormatError, match="line 3"):
        recover_kept(tmp_path, kept)
    assert kept.is_dir()


def test_edits_on_the_previous_version_are_recovered_onto_it_with_a_note(
    make_project, tmp_path: Path
) -> None:
    project = _saved(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L2"))
    store.keep_journal(tmp_path)
    main = tmp_path / store.PROJECT_FILE
    changed = main.read_text().replace('"not_started"', '"flagged"').encode()
    store.atomic_write_bytes(main, changed, backup=tmp_path / store.BACKUP_FILE)
    [entry] = describe_kept(tmp_path)
    assert entry.base == PREVIOUS and entry.recoverable
    result = recover_kept(tmp_path, entry.folder)
    assert result.project.instance(1).label == "L2" and "another program" in result.notes[0]


def test_a_kept_folder_is_deleted_only_when_asked_and_only_there(
    make_project, tmp_path: Path
) -> None:
    kept = _unanswered(make_project, tmp_path)
    for elsewhere in (tmp_path / store.STATE_DIR, tmp_path / "images", tmp_path):
        with pytest.raises(FormatError, match="not a folder of kept edits"):
            delete_kept(tmp_path, elsewhere)
    assert kept.is_dir() and (tmp_path / store.PROJECT_FILE).is_file()
    delete_kept(tmp_path, kept)
    assert not kept.exists() and describe_kept(tmp_path) == []


def test_listed_newest_first_with_the_time_kept_in_local_time(
    make_project, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    kept = _unanswered(make_project, tmp_path)
    older = kept.rename(kept.with_name("20240101-120000-aaaaaa"))
    newer = Path(store.keep_journal(tmp_path) or "")  # the folder's own journal, kept too
    newer = newer.rename(newer.with_name("20240301-080000-bbbbbb"))
    entries = describe_kept(tmp_path)
    assert [e.folder for e in entries] == [newer, older]
    assert entries[0].kept_at == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    try:
        stamp = entries[0].kept_at
        assert when_words(stamp, now=stamp.timestamp()) == "1 Mar 09:00"  # UTC+1 then
        assert when_words(stamp, now=stamp.timestamp() + 400 * 86400) == "1 Mar 2024"
        assert "newest kept 1 Mar" in notice_words(entries)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_image_names_only_when_names_are_shown(make_project, tmp_path: Path) -> None:
    _unanswered(make_project, tmp_path)
    [entry] = describe_kept(tmp_path)
    hidden, shown = summary_words(entry, names=False), summary_words(entry, names=True)
    assert hidden.endswith("1 outline changed on 1 image") and "case001" not in hidden
    assert shown.endswith("1 outline changed on case001.png")


def test_no_kept_folder_no_entry(make_project, tmp_path: Path) -> None:
    _saved(make_project, tmp_path)
    assert describe_kept(tmp_path) == [] and kept_edits.kept_journals(tmp_path) == []
