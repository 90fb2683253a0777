"""Kept edits are described by what they do to the project as saved now, and the same
work kept twice is offered once (UX audit, round 11).

Before: the unsaved work a window set aside when its project was opened anyway starts
from a copy of the project holding it all, so two new outlines were listed as "its own
copy + 0 edits", recovered as "Recovered 0 kept edits" and deleted after "(0 edits)?".
And the copy of that window's journal the other window kept when it opened the project
anyway was offered beside it: recovering both added the same outlines twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from vertapp.annotations import ops, store
from vertapp.annotations.kept_edits import KeptEdits, copies_of, describe_kept, recover_kept
from vertapp.annotations.kept_effect import effect_of, effect_words
from vertapp.annotations.kept_words import (
    delete_words,
    detail_words,
    notice_words,
    recovered_words,
    summary_words,
)
from vertapp.annotations.model import Instance
from vertapp.errors import FormatError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")
JARGON = ("journal", "snapshot", store.BACKUP_FILE, "own copy", "….")


def _outline(project, image_id: int = 1) -> ops.AddInstance:  # type: ignore[no-untyped-def]
    square = np.array([[5, 5], [25, 5], [25, 25], [5, 25]], dtype=float)
    inst = Instance(id=project.new_instance_id(), label="L5", polygons=[square])
    return ops.AddInstance(image_id, inst)


def _taken_over_unnoticed(make_project, folder: Path):  # type: ignore[no-untyped-def]
    """Window 1 draws an outline; window 2 opens the project anyway (a safety copy of
    window 1's journal, then its own journal, as Document.open_project does). Window 1
    has not noticed: no edit, save or autosave tick since. Returns window 1's project,
    its journal and the safety copy."""
    store.save_project(make_project(root=folder))
    first = store.load_project(folder)
    mine = store.Journal(first).attach()
    first.apply(_outline(first))
    copy = store.keep_journal(folder, store.TAKEN_OVER)
    store.Journal(store.load_project(folder)).attach()
    assert copy is not None and mine.aside is None
    return first, mine, copy


def _opened_anyway(make_project, folder: Path):  # type: ignore[no-untyped-def]
    """The audit's run: `_taken_over_unnoticed`, then window 1 draws a second outline,
    finds its journal's file replaced and sets its work aside. Returns window 1's
    project, the safety copy and window 1's own kept folder."""
    first, mine, copy = _taken_over_unnoticed(make_project, folder)
    first.apply(_outline(first))  # displaced: set aside, from a copy holding both
    assert mine.aside is not None
    return first, copy, mine.aside


def _by_folder(folder: Path, *kept: Path) -> list[KeptEdits]:
    """The entries of `kept`, in that order (two kept in the same second sort by chance)."""
    entries = {e.folder: e for e in describe_kept(folder)}
    return [entries[k] for k in kept]


def test_a_set_aside_window_is_said_by_what_it_adds_not_by_its_journal_lines(
    make_project, tmp_path: Path
) -> None:
    _, copy, aside = _opened_anyway(make_project, tmp_path)
    later, _ = _by_folder(tmp_path, aside, copy)
    assert later.edits == 0  # the journal's own count: useless
    line = summary_words(later, names=False)
    assert line.startswith("Unsaved work from another window, ")
    assert line.endswith(": 2 outlines added on 1 image")
    said = [line, detail_words(later), recovered_words(later, False), delete_words(later, 1, False)]
    assert all("2 outlines added on 1 image" in s for s in said[1:])
    assert not [j for j in JARGON for s in said if j in s]
    assert "The earlier safety copy of the same work goes too" in said[3]


def test_the_safety_copy_is_not_offered_beside_the_work_that_supersedes_it(
    make_project, tmp_path: Path
) -> None:
    first, copy, aside = _opened_anyway(make_project, tmp_path)
    later, safety = _by_folder(tmp_path, aside, copy)
    assert later.offered and later.worth_telling
    assert safety.later == aside and not safety.offered and not safety.worth_telling
    assert safety.recoverable  # it replays; offering it too would add the outline twice
    assert summary_words(safety, names=False).startswith(
        "Safety copy of another window's unsaved work, "
    )
    assert "already in the later entry of" in summary_words(safety, names=False)
    with pytest.raises(FormatError, match="add the same outlines twice"):
        recover_kept(tmp_path, copy)
    assert copies_of(tmp_path, aside) == [copy] and copies_of(tmp_path, copy) == []
    assert recover_kept(tmp_path, aside).project.state() == first.state()
    assert notice_words([later]).startswith(
        "Not in the project: unsaved work from another window, "
    )


def test_the_later_copy_supersedes_a_safety_copy_made_after_it(
    make_project, tmp_path: Path
) -> None:
    """Window 1 may set its work aside (the lock changed) before window 2 copied its
    journal: the later folder's note names the journal it supersedes."""
    _, copy, aside = _opened_anyway(make_project, tmp_path)
    (copy / store.KEPT_NOTE).write_text('{"origin": "taken_over"}')  # no note on its side
    _, safety = _by_folder(tmp_path, aside, copy)
    assert safety.later == aside and not safety.offered


def test_a_safety_copy_whose_window_went_on_with_the_work_is_not_offered(
    make_project, tmp_path: Path
) -> None:
    """Window 1 saved its work elsewhere or discarded it: its own kept folder is removed
    (Document._drop_aside); the safety copy stays listed, out of date: neither offered
    (replayed onto the version it was made on, it could remove what was saved since) nor
    announced."""
    _, copy, aside = _opened_anyway(make_project, tmp_path)
    shutil.rmtree(aside)
    [safety] = describe_kept(tmp_path)
    assert safety.overtaken and not safety.offered and not safety.worth_telling
    assert summary_words(safety, names=False).endswith(
        ": out of date: its window went on with this work"
    )
    assert "out of date and not offered" in detail_words(safety)
    with pytest.raises(FormatError, match="out of date"):
        recover_kept(tmp_path, copy)


def test_work_already_in_the_project_is_said_so_and_not_offered(
    make_project, tmp_path: Path
) -> None:
    _, copy, aside = _opened_anyway(make_project, tmp_path)
    recovered = recover_kept(tmp_path, aside).project
    store.Journal(recovered).attach()
    store.save_project(recovered)
    later, _ = _by_folder(tmp_path, aside, copy)
    assert later.nothing and not later.offered and not later.worth_telling
    assert summary_words(later, names=False).endswith(": already in the project")
    with pytest.raises(FormatError, match="would change nothing"):
        recover_kept(tmp_path, aside)


def test_the_effect_counts_outlines_statuses_and_images(make_project) -> None:
    saved = make_project(n_images=2)
    recovered = make_project(n_images=2)
    recovered.apply(_outline(recovered))
    recovered.apply(_outline(recovered))
    recovered.apply(ops.Relabel(1, "L4"))
    recovered.apply(ops.DeleteInstance(2))
    recovered.apply(ops.SetImageStatus(2, "completed"))
    effect = effect_of(saved, recovered)
    assert (effect.added, effect.removed, effect.changed, effect.statuses) == (2, 1, 1, 1)
    assert effect.images == ("images/case001.png", "images/case002.png")
    assert effect_words(effect, names=False) == (
        "2 outlines added, 1 removed, 1 changed on 1 image; review status of 1 image changed"
    )
    assert effect_words(effect, names=True).startswith(
        "2 outlines added, 1 removed, 1 changed on case001.png"
    )
    del recovered.images[2]
    words = effect_words(effect_of(saved, recovered), names=False)
    assert words == "2 outlines added, 6 removed, 1 changed on 2 images; 1 image removed"
    assert effect_of(saved, make_project(n_images=2)).nothing


def test_the_origin_of_each_kept_folder_is_said_in_words(make_project, tmp_path: Path) -> None:
    _, copy, aside = _opened_anyway(make_project, tmp_path)
    shutil.rmtree(copy)
    project = store.load_project(tmp_path)  # a window that crashed with an edit
    store.Journal(project).attach()
    project.apply(ops.Relabel(1, "L2"))
    store.Journal(store.load_project(tmp_path)).attach()  # opened again, nobody answered
    [crashed] = [k for k in describe_kept(tmp_path) if k.folder != aside]
    lines = [summary_words(e, names=False) for e in _by_folder(tmp_path, crashed.folder, aside)]
    assert lines[0].startswith("Edits from a session that ended unexpectedly, ")
    assert lines[1].startswith("Unsaved work from another window, ")
    assert "could not be recovered automatically" in summary_words(
        KeptEdits(**{**crashed.__dict__, "origin": store.NOT_RECOVERED}), names=False
    )
