"""A safety copy whose window saved the same work elsewhere ("Save as") is not offered for
recovery in the project it was taken from: it is said "already saved to <folder>".

Before: window 1's project was opened anyway in window 2, which kept a safety copy of
window 1's journal. Window 1 saved its work as a new project before it noticed the take-
over: it set nothing aside, so nothing superseded the copy, and File > Recover kept
edits… in the original project offered it as unsaved work that was nowhere else (the
same outlines came back into a project they were never meant for)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.unit.annotations.test_kept_edits_effect import (
    _opened_anyway,
    _taken_over_unnoticed,
)
from vertapp.annotations import store
from vertapp.annotations.kept_edits import describe_kept, recover_kept, saved_to
from vertapp.annotations.kept_words import delete_words, detail_words, summary_words
from vertapp.errors import FormatError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")


def _save_as(first, journal: store.Journal, project: Path, new: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    """Save as `new`, as Document.begin_save/finish_save do: the journal's id is taken,
    the journal comes off, the project is written there, the old folder's copies noted."""
    ids = [journal.id]
    journal.detach()
    store.save_project(first, new)
    return store.note_saved_elsewhere(project, ids, new)


def test_a_safety_copy_saved_elsewhere_before_the_take_over_was_noticed_is_not_offered(
    make_project, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    first, mine, copy = _taken_over_unnoticed(make_project, project)
    [before] = describe_kept(project)
    assert before.offered  # the gap: offered as work that is nowhere else

    new = tmp_path / "DOE_JOHN" / "lumbar copy"  # only the base name may be said
    assert _save_as(first, mine, project, new) == [copy]
    assert len(store.load_project(new).images[1].instances) == len(first.images[1].instances)
    note = json.loads((copy / store.KEPT_NOTE).read_text())
    assert note == {"origin": store.TAKEN_OVER, "saved_to": "lumbar copy"}

    [safety] = describe_kept(project)
    assert safety.saved_to == "lumbar copy" and safety.recoverable
    assert not safety.offered and not safety.worth_telling  # not announced either
    assert summary_words(safety, names=True).startswith(
        "Safety copy of another window's unsaved work, "
    )
    assert summary_words(safety, names=True).endswith(": already saved to lumbar copy")
    hidden = summary_words(safety, names=False)
    assert hidden.endswith(": already saved to another project folder")
    said = [
        hidden,
        detail_words(safety, names=False),
        delete_words(safety, 0, False),
        detail_words(safety, names=True),
    ]
    assert not [s for s in said if "DOE" in s or str(tmp_path) in s]
    assert "lumbar copy" not in " ".join(said[:3])  # names hidden: no folder name at all
    assert "saved this work as a new project in lumbar copy" in said[3]
    assert "not offered here" in said[3] and "Delete removes this copy" in said[3]
    with pytest.raises(FormatError, match="saved this work as a new project") as err:
        recover_kept(project, copy)
    assert "lumbar copy" not in str(err.value) and "DOE" not in str(err.value)
    assert copy.is_dir()  # deleted only when the user asks


def test_a_safety_copy_saved_elsewhere_after_the_take_over_was_noticed_says_where(
    make_project, tmp_path: Path
) -> None:
    """Window 1 noticed and set its work aside (the copy superseded by that folder), then
    saved it elsewhere: its own kept folder goes (Document._drop_aside); the copy said
    only "out of date"; now where the work went, through the folder's "supersedes"."""
    project = tmp_path / "project"
    first, copy, aside = _opened_anyway(make_project, project)
    journal = first.journal
    assert journal is not None and journal.aside == aside
    noted = _save_as(first, journal, project, tmp_path / "mine")
    assert sorted(noted) == sorted([aside, copy])
    shutil.rmtree(aside)
    [safety] = describe_kept(project)
    assert safety.overtaken and safety.saved_to == "mine" and not safety.offered
    assert summary_words(safety, names=True).endswith(": already saved to mine")


def test_other_kept_work_is_not_noted(make_project, tmp_path: Path) -> None:
    """Only the copies of the saving window's journals: another session's kept edits stay
    offered, and a save with no journal, or from a folder without kept edits, notes
    nothing."""
    project = tmp_path / "project"
    first, mine, copy = _taken_over_unnoticed(make_project, project)
    other = project / store.STATE_DIR / store.KEPT_DIR / "20200101-000000-aaaaaa"
    other.mkdir()
    header = {"journal": 1, "base": store.PROJECT_FILE, "sha256": "0" * 64, "id": "another"}
    (other / store.JOURNAL_FILE).write_text(json.dumps(header) + "\n")
    assert store.note_saved_elsewhere(project, [], tmp_path / "x") == []
    assert store.note_saved_elsewhere(tmp_path / "nowhere", [mine.id], tmp_path / "x") == []
    assert _save_as(first, mine, project, tmp_path / "mine") == [copy]
    assert not (other / store.KEPT_NOTE).exists()


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("copy", "copy"),
        ("/data/DOE_JOHN/copy", "copy"),
        ("C:\\data\\DOE_JOHN\\copy", "copy"),
        ("..", ""),
        ("", ""),
        (3, None),
        (None, None),
    ],
)
def test_the_note_gives_a_folder_name_never_a_path(value: object, name: str | None) -> None:
    assert saved_to({"saved_to": value} if value is not None else {}) == name
