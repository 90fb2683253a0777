"""Saves are atomic, keep a backup, detect conflicts; the journal recovers unsaved edits."""

from __future__ import annotations

import json
import os
import random
import signal
import time

import pytest

from vertapp.annotations import ops, store
from vertapp.errors import FormatError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")


def test_save_keeps_previous_file_as_backup(make_project, tmp_path) -> None:
    project = make_project(root=tmp_path)
    store.save_project(project)
    first = (tmp_path / "project.json").read_bytes()
    project.apply(ops.Relabel(1, "L3"))
    assert project.modified
    store.save_project(project)
    assert not project.modified
    assert (tmp_path / "project.json.bak").read_bytes() == first
    assert store.load_project(tmp_path).instance(1).label == "L3"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_conflicting_change_on_disk_is_detected(make_project, tmp_path) -> None:
    store.save_project(make_project(), tmp_path)
    mine = store.load_project(tmp_path)
    theirs = store.load_project(tmp_path)
    theirs.apply(ops.Relabel(2, "L4"))
    time.sleep(0.01)
    store.save_project(theirs)
    mine.apply(ops.Relabel(1, "L1"))
    with pytest.raises(store.ConflictError, match="changed on disk"):
        store.save_project(mine)
    assert store.load_project(tmp_path).instance(2).label == "L4"  # theirs untouched
    store.save_project(mine, force=True)
    assert store.load_project(tmp_path).instance(1).label == "L1"


def test_touched_but_identical_file_is_not_a_conflict(make_project, tmp_path) -> None:
    store.save_project(make_project(), tmp_path)
    project = store.load_project(tmp_path)
    path = tmp_path / "project.json"
    before = path.read_bytes()
    os.utime(path, ns=(1, 1))
    project.apply(ops.Relabel(1, "L1"))
    store.save_project(project)  # same size and hash: no ConflictError
    assert (tmp_path / "project.json.bak").read_bytes() == before
    assert store.load_project(tmp_path).instance(1).label == "L1"  # the save happened
    assert not project.modified and project.file_stamp == store.FileStamp.of(path)


def test_same_size_edit_on_disk_is_a_conflict(make_project, tmp_path) -> None:
    """Someone else relabels T2 -> T3: same size, other content; only the hash tells."""
    store.save_project(make_project(), tmp_path)
    project = store.load_project(tmp_path)
    path = tmp_path / "project.json"
    theirs = path.read_bytes().replace(b'"T2"', b'"T3"', 1)
    assert len(theirs) == path.stat().st_size and theirs != path.read_bytes()
    path.write_bytes(theirs)
    os.utime(path, ns=(10**18, 10**18))  # a later mtime, as any editor gives
    project.apply(ops.Relabel(1, "L1"))
    with pytest.raises(store.ConflictError, match="changed on disk"):
        store.save_project(project)
    assert path.read_bytes() == theirs  # theirs is not overwritten


def test_new_project_does_not_overwrite_existing_file(make_project, tmp_path) -> None:
    store.save_project(make_project(), tmp_path)
    with pytest.raises(store.ConflictError, match="already exists"):
        store.save_project(make_project(seed=3), tmp_path)


def test_journal_recovers_edits_after_a_crash(make_project, tmp_path) -> None:
    store.save_project(make_project(root=tmp_path))
    project = store.load_project(tmp_path)
    store.Journal(project).attach()
    history = ops.History(project)
    history.push(ops.MoveVertex(1, 0, 0, (3.5, 4.25), gesture=1))
    history.push(ops.MoveVertex(1, 0, 0, (5.5, 4.25), gesture=1))
    history.push(
        ops.AddInstance(
            2,
            project.instance(1)
            .copy()
            .__class__(
                id=project.new_instance_id(),
                label="L5",
                polygons=[project.instance(1).polygons[0] + 1],
            ),
        )
    )
    history.push(ops.SetImageStatus(2, "completed"))
    history.undo()
    expected = project.state()
    assert store.has_recovery(tmp_path)
    # the app dies here: no save, no close
    recovered = store.recover(tmp_path)
    assert recovered.state() == expected and recovered.modified
    store.save_project(recovered)
    assert not store.has_recovery(tmp_path)
    assert store.load_project(tmp_path).state() == expected


def test_journal_with_truncated_last_line_recovers_the_rest(make_project, tmp_path) -> None:
    store.save_project(make_project(root=tmp_path))
    project = store.load_project(tmp_path)
    journal = store.Journal(project).attach()
    project.apply(ops.Relabel(1, "L2"))
    project.apply(ops.Relabel(2, "L3"))
    journal.close()
    path = tmp_path / ".vertapp" / "journal.jsonl"
    path.write_bytes(path.read_bytes()[:-10])  # the last write was cut by the crash
    recovered = store.recover(tmp_path)
    assert recovered.instance(1).label == "L2" and recovered.instance(2).label == "T2"


def test_journal_of_other_file_version_is_refused(make_project, tmp_path) -> None:
    store.save_project(make_project(root=tmp_path))
    project = store.load_project(tmp_path)
    store.Journal(project).attach()
    project.apply(ops.Relabel(1, "L2"))
    path = tmp_path / "project.json"  # another tool rewrites the file meanwhile
    path.write_text(path.read_text().replace('"status":"not_started"', '"status":"flagged"'))
    with pytest.raises(FormatError, match="another version"):
        store.recover(tmp_path)
    store.clear_recovery(tmp_path)
    assert not store.has_recovery(tmp_path)


def test_unsaved_new_project_recovers_from_snapshot(make_project, tmp_path) -> None:
    project = make_project(root=tmp_path)
    store.Journal(project).attach()
    project.apply(ops.Relabel(1, "L2"))
    recovered = store.recover(tmp_path)
    assert recovered.state() == project.state()


def _save_forever(folder) -> None:
    """Child process body: save the project over and over, alternating one field."""
    project = store.load_project(folder)
    n = 0
    while True:
        n += 1
        project.apply(ops.SetImageStatus(1, ("completed", "flagged")[n % 2]))
        store.save_project(project)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_during_save_leaves_old_or_new_file(make_project, tmp_path) -> None:
    """SIGKILL a child that saves in a loop at random instants: project.json always parses.

    The child is forked (modules already imported) so each iteration costs only the
    random wait, not an interpreter start.
    """
    folder = tmp_path / "proj"
    store.save_project(make_project(n_images=20, n_vertebrae=17, root=folder))
    rng = random.Random(0)
    statuses = set()
    for _ in range(80):
        pid = os.fork()
        if pid == 0:  # child
            try:
                _save_forever(folder)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.005, 0.15))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        data = json.loads((folder / "project.json").read_text())  # complete, parseable
        assert len(data["images"]) == 20 and len(data["annotations"]) == 340
        statuses.add(data["images"][0]["vertapp"]["status"])
        store.load_project(folder)  # and valid as a project
    assert statuses >= {"completed", "flagged"}  # saves really happened between kills


def test_missing_images_are_reported(make_project, tmp_path) -> None:
    store.save_project(make_project(root=tmp_path))
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "case001.png").write_bytes(b"png")
    project = store.load_project(tmp_path)
    assert [img.id for img in store.missing_images(project)] == [2]
    with pytest.raises(FormatError, match="image 2 'images/case002.png' is missing"):
        store.load_project(tmp_path, require_images=True)


def test_failed_load_leaves_open_project_unchanged(make_project, tmp_path) -> None:
    store.save_project(make_project(root=tmp_path))
    project = store.load_project(tmp_path)
    before = project.state()
    (tmp_path / "project.json").write_text('{"images": [{"id": 1}]}')
    with pytest.raises(FormatError, match="project.json: images\\[0\\]"):
        store.load_project(tmp_path)
    assert project.state() == before
