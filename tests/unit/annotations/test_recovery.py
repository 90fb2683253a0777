"""Recovery never discards journalled edits; what the window should offer, in words."""

from __future__ import annotations

import os
import time

import pytest

from vertapp.annotations import ops, recovery, store
from vertapp.errors import FormatError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")


def _saved_with_journal(make_project, folder):
    store.save_project(make_project(root=folder))
    project = store.load_project(folder)
    store.Journal(project).attach()
    return project


def test_kill_between_rename_and_commit_replays_the_rest_on_the_new_file(
    make_project, tmp_path
) -> None:
    project = _saved_with_journal(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L1"))
    pending = store.prepare_save(project)
    project.apply(ops.Relabel(2, "L2"))  # during the save
    store.write_save(pending)
    project.apply(ops.Relabel(3, "L3"))  # after the rename, before commit_save
    expected = project.state()
    # killed here: the journal still names the old project.json
    result = store.recover_edits(tmp_path)
    assert result.project.state() == expected
    assert result.edits == 2 and result.notes == []  # the first edit is in the new file


def test_foreign_rewrite_recovers_on_the_backup_and_save_asks(make_project, tmp_path) -> None:
    project = _saved_with_journal(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L2"))
    expected = project.state()
    main = tmp_path / "project.json"
    text = main.read_text()
    store.atomic_write_bytes(  # another tool saves as we do: the journal's version is the .bak
        main,
        text.replace('"not_started"', '"flagged"').encode(),
        backup=tmp_path / "project.json.bak",
    )
    result = store.recover_edits(tmp_path)
    assert result.project.state() == expected
    assert "changed by another program" in result.notes[0]
    with pytest.raises(store.ConflictError):  # both versions kept until the user decides
        store.save_project(result.project)
    assert '"flagged"' in main.read_text()


def test_unreplayable_journal_is_kept_not_lost(make_project, tmp_path) -> None:
    project = _saved_with_journal(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L2"))
    journal_text = (tmp_path / ".vertapp" / "journal.jsonl").read_text()
    main = tmp_path / "project.json"
    main.write_text(main.read_text().replace('"not_started"', '"flagged"'))
    with pytest.raises(FormatError, match=r"another version.*kept in \.vertapp/kept/"):
        store.recover(tmp_path)
    kept = recovery.kept_journals(tmp_path)
    assert len(kept) == 1 and (kept[0] / "journal.jsonl").read_text() == journal_text
    # the window then opens the file as it is and saves: the kept edits stay on disk
    reopened = store.load_project(tmp_path)
    store.Journal(reopened).attach()
    store.save_project(reopened)
    assert (kept[0] / "journal.jsonl").read_text() == journal_text


def test_save_without_journal_keeps_edits_nobody_replayed(make_project, tmp_path) -> None:
    project = _saved_with_journal(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L2"))
    # the window failed to recover, opened the file without a journal and saved
    other = store.load_project(tmp_path)
    store.save_project(other)
    assert not store.has_recovery(tmp_path)
    kept = recovery.kept_journals(tmp_path)
    assert len(kept) == 1
    assert store.recover_edits(tmp_path, kept[0]).project.instance(1).label == "L2"


def test_attaching_a_new_journal_keeps_an_unreplayed_one(make_project, tmp_path) -> None:
    project = _saved_with_journal(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L2"))
    store.Journal(store.load_project(tmp_path)).attach()  # opened again, offer ignored
    assert len(recovery.kept_journals(tmp_path)) == 1


def test_recovered_journal_is_not_kept_twice(make_project, tmp_path) -> None:
    project = _saved_with_journal(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L2"))
    recovered = store.recover(tmp_path)
    store.Journal(recovered).attach()
    store.save_project(recovered)
    assert recovery.kept_journals(tmp_path) == []
    assert store.load_project(tmp_path).instance(1).label == "L2"


def test_discarded_edits_are_not_offered_again(make_project, tmp_path) -> None:
    project = _saved_with_journal(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L2"))
    plan = recovery.recovery_plan(tmp_path)
    assert plan.kind == recovery.JOURNAL and plan.edits == 1
    # said as the user sees it (kept_effect), not as journal lines
    assert plan.message.startswith(f"Edits to {tmp_path.name} were not saved")
    assert "1 outline changed on 1 image" in plan.message
    recovery.discard_journal(tmp_path)
    assert recovery.recovery_plan(tmp_path).kind == recovery.NOTHING
    reopened = store.load_project(tmp_path)
    store.Journal(reopened).attach()
    assert recovery.kept_journals(tmp_path) == []  # discarded means gone
    assert reopened.instance(1).label != "L2"


def test_stale_journal_temp_files_are_cleaned(make_project, tmp_path) -> None:
    project = _saved_with_journal(make_project, tmp_path)
    state = tmp_path / ".vertapp"
    stale = state / ".journal.jsonl.abc123.tmp"
    fresh = state / ".journal.jsonl.def456.tmp"  # a write running right now
    stale.write_text("{}")
    fresh.write_text("{}")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    project.journal.restart()
    assert not stale.exists() and fresh.exists()


def test_backup_only_folder_is_offered_for_restore(make_project, tmp_path) -> None:
    project = make_project(root=tmp_path)
    store.save_project(project)
    store.save_project(project, force=True)
    (tmp_path / "project.json").unlink()
    plan = recovery.recovery_plan(tmp_path)
    assert plan.kind == recovery.BACKUP_ONLY
    assert "only its previous version project.json.bak" in plan.message
    recovery.restore_backup(tmp_path)
    assert store.load_project(tmp_path).state() == project.state()
    assert recovery.recovery_plan(tmp_path).kind == recovery.NOTHING


def test_backup_only_folder_opened_as_a_scan_says_what_it_is(make_project, tmp_path) -> None:
    from vertapp.errors import InputError
    from vertapp.io import read_any

    project = make_project(root=tmp_path)
    store.save_project(project)
    store.save_project(project, force=True)
    (tmp_path / "project.json").unlink()
    with pytest.raises(InputError, match="project.json is missing; its previous version"):
        read_any(tmp_path)


@pytest.mark.parametrize("keep", ["keep_for_later", "discard_into_kept"])
def test_edits_kept_by_the_question_still_replay_after_two_saves(
    make_project, tmp_path, keep
) -> None:
    """Decide later / Discard keep the journal in .vertapp/kept/ and the work goes on: two
    saves later its version of project.json is neither the file nor its backup. Kept
    with a copy of that version, it still replays (it could not: "made on another
    version"); the list says what recovering it does to the project as saved now."""
    from vertapp.annotations import kept_edits

    project = _saved_with_journal(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L2"))
    project.journal.close()
    plan = recovery.recovery_plan(tmp_path)
    assert plan.effect is not None and plan.effect.changed == 1
    kept = getattr(recovery, keep)(tmp_path)
    kept = kept[0] if isinstance(kept, tuple) else kept
    assert (kept / store.BASE_COPY).is_file()
    origin = store.UNANSWERED if keep == "keep_for_later" else store.DISCARDED
    assert store.kept_note(kept)["origin"] == origin
    reopened = store.load_project(tmp_path)  # the project opens as last saved, journalled
    store.Journal(reopened).attach()
    for label in ("T9", "T10"):  # the user goes on and saves twice
        reopened.apply(ops.Relabel(2, label))
        store.save_project(reopened)
    assert kept_edits.kept_base(tmp_path, kept) == kept_edits.SNAPSHOT
    back = kept_edits.recover_kept(tmp_path, kept).project
    assert back.instance(1).label == "L2"
    (entry,) = kept_edits.describe_kept(tmp_path)
    assert entry.offered and entry.worth_telling == (keep == "keep_for_later")
    # Without the copy it could not be replayed at all.
    (kept / store.BASE_COPY).unlink()
    assert kept_edits.kept_base(tmp_path, kept) == kept_edits.OTHER


def test_untitled_effect_matches_images_by_file_name(make_project) -> None:
    from vertapp.annotations.model import ImageRecord, Project

    opened = Project()
    opened.add_image(ImageRecord(id=1, file_name="ct.png", width=10, height=10))
    saved = make_project()
    only = next(iter(saved.images.values()))
    only.file_name = "ct.png"
    saved.images = {7: only}  # another id for the same scan
    effect = recovery.untitled_effect(opened, saved)
    assert effect.added == len(only.instances) and effect.images_added == 0
