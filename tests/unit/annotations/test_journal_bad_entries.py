"""A damaged or hostile crash journal is refused in words and kept; saving never
re-creates a project folder that went away.

Recovery replays a journal whole or not at all: an entry that is damaged, does not
fit the project, or would leave what the project loader refuses stops it with a
FormatError naming the line, and the journal is kept (once) in .vertapp/kept/.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vertapp.annotations import opcodec, ops, recovery, store
from vertapp.annotations.model import Instance
from vertapp.errors import FormatError, VertAppError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")

JOURNAL = Path(".vertapp") / "journal.jsonl"


def _saved(make_project: Any, folder: Path) -> store.Project:
    """A saved project, opened again with its journal on (as the window does)."""
    store.save_project(make_project(root=folder))
    project = store.load_project(folder)
    store.Journal(project).attach()
    return project


def _add_square(project: store.Project, image_id: int = 1) -> ops.AddInstance:
    square = np.array([[10.0, 10.0], [30.0, 10.0], [30.0, 30.0], [10.0, 30.0]])
    inst = Instance(id=project.new_instance_id(), label="L2", polygons=[square])
    return ops.AddInstance(image_id, inst)


def _crash_with(folder: Path, entries: list[Any]) -> str:
    """The journal as a killed session leaves it, its edits replaced by `entries`."""
    path = folder / JOURNAL
    header = path.read_text().splitlines()[0]
    text = header + "\n" + "".join(json.dumps(e) + "\n" for e in entries)
    path.write_text(text)
    return text


def _entry(op: ops.Operation) -> dict[str, Any]:
    return json.loads(json.dumps(opcodec.encode_op(op)))


def _instance_fields(entry: dict[str, Any]) -> dict[str, Any]:
    return entry["fields"]["instance"]["__instance__"]


def _nd(values: list[float]) -> dict[str, Any]:
    return {"__nd__": values, "shape": [len(values) // 2, 2]}


def _bad_add(change: Any) -> Any:
    """A journal entry for an AddInstance, spoiled by `change(entry)`."""

    def make(project: store.Project) -> Any:
        entry = _entry(_add_square(project))
        return change(entry)

    return make


def _set(where: str, value: Any) -> Any:
    def change(entry: dict[str, Any]) -> dict[str, Any]:
        _instance_fields(entry)[where] = value
        return entry

    return _bad_add(change)


def _op(data: dict[str, Any]) -> Any:
    return lambda project: data


BAD_ENTRIES = {
    # malformed (they raised AttributeError / TypeError out of recovery, or crashed later)
    "fields null": (_op({"__op__": "AddInstance", "fields": None}), "expected an object"),
    "holes a string": (_set("holes", "x"), "expected a list"),
    "id a string": (_set("id", "x"), "'id' must be an integer"),
    "label a number": (_set("label", 5), "'label' must be a non-empty string"),
    "label not in the project": (_set("label", "Q99"), "'Q99' is not one of the project"),
    "not an object": (_op([1, 2]), "expected an object"),  # type: ignore[arg-type]
    "unknown operation": (_op({"__op__": "Explode", "fields": {}}), "not a known operation"),
    "missing field": (_op({"__op__": "Relabel", "fields": {"label": "L1"}}), "missing"),
    "unknown field": (
        _op({"__op__": "DeleteInstance", "fields": {"instance_id": 1, "x": 2}}),
        "unknown field",
    ),
    "bad op in a macro": (
        _op({"__op__": "Macro", "fields": {"ops": [{"__op__": "DeleteInstance"}]}}),
        "ops[0]",
    ),
    # what the project loader refuses (a save of it would not open again)
    "NaN coordinate": (_set("polygons", [_nd([float("nan")] * 6)]), "non-finite or absurd"),
    "huge coordinate": (_set("polygons", [_nd([1e300] * 6)]), "non-finite or absurd"),
    "two-vertex ring": (_set("holes", [_nd([1.0, 1.0, 2.0, 2.0])]), "at least 3"),
    "unknown source": (_set("source", "alien"), "'source' must be one of"),
    "NaN score": (
        _op(
            {
                "__op__": "SetInstanceFields",
                "fields": {"instance_id": 1, "changes": [["score", float("nan")]]},
            }
        ),
        "'score' must be a finite number",
    ),
    "NaN vertex": (
        _op(
            {
                "__op__": "MoveVertex",
                "fields": {"instance_id": 1, "polygon": 0, "vertex": 0, "xy": [float("nan"), 1]},
            }
        ),
        "'xy' must be a finite number",
    ),
    "moved out of range": (
        _op({"__op__": "MovePolygon", "fields": {"instance_id": 1, "dx": 1e6, "dy": 0}}),
        "non-finite or absurd",
    ),
    # a well-formed edit that does not fit the project
    "no such instance": (
        _op({"__op__": "DeleteInstance", "fields": {"instance_id": 999}}),
        "no instance with id 999",
    ),
}


@pytest.mark.parametrize("name", list(BAD_ENTRIES))
def test_bad_entry_is_refused_in_words_and_kept_once(make_project, tmp_path, name) -> None:
    project = _saved(make_project, tmp_path)
    make, words = BAD_ENTRIES[name]
    saved = (tmp_path / "project.json").read_bytes()
    text = _crash_with(tmp_path, [make(project)])
    with pytest.raises(FormatError) as caught:
        store.recover_edits(tmp_path)
    message = str(caught.value)
    assert "line 2: " in message and words in message, message
    assert "its 1 edit was not recovered" in message and "kept in .vertapp/kept/" in message
    kept = recovery.kept_journals(tmp_path)
    assert [(k / "journal.jsonl").read_text() for k in kept] == [text]
    assert (tmp_path / "project.json").read_bytes() == saved
    # The window then opens the file as saved and journals it: the journal it could
    # not replay is not copied a second time, and new edits are recoverable.
    reopened = store.load_project(tmp_path)
    store.Journal(reopened).attach()
    assert len(recovery.kept_journals(tmp_path)) == 1
    reopened.apply(ops.Relabel(1, "L5"))
    assert store.recover(tmp_path).instance(1).label == "L5"


def test_good_entries_before_a_bad_one_are_not_half_replayed(make_project, tmp_path) -> None:
    _saved(make_project, tmp_path)
    good = _entry(ops.Relabel(1, "L5"))
    _crash_with(tmp_path, [good, {"__op__": "AddInstance", "fields": None}, good])
    with pytest.raises(FormatError, match=r"line 3: .*none of its 3 edits were recovered"):
        store.recover_edits(tmp_path)


def test_damaged_line_before_a_good_one_is_reported_not_dropped(make_project, tmp_path) -> None:
    """Only the last line can be cut short by a crash; a damaged line with edits after
    it is damage, and those edits must not vanish in silence."""
    project = _saved(make_project, tmp_path)
    first, second = _entry(ops.Relabel(1, "L5")), _entry(_add_square(project))
    text = _crash_with(tmp_path, [first, second])
    path = tmp_path / JOURNAL
    lines = text.split("\n")
    lines[1] = lines[1][:30]
    path.write_text("\n".join(lines))
    assert recovery.recovery_plan(tmp_path).edits == 2
    with pytest.raises(FormatError, match=r"line 2: the line is damaged.*none of its 2 edits"):
        store.recover_edits(tmp_path)
    kept = recovery.kept_journals(tmp_path)
    assert len(kept) == 1 and (kept[0] / "journal.jsonl").read_text() == path.read_text()


def test_last_line_cut_short_is_still_left_out_quietly(make_project, tmp_path) -> None:
    project = _saved(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L5"))
    project.apply(ops.Relabel(2, "L4"))
    project.journal.close()
    path = tmp_path / JOURNAL
    path.write_bytes(path.read_bytes()[:-10])
    result = store.recover_edits(tmp_path)
    assert result.edits == 1 and result.project.instance(1).label == "L5"
    assert recovery.recovery_plan(tmp_path).edits == 1


def test_damaged_header_is_kept_and_said_not_overwritten(make_project, tmp_path) -> None:
    project = _saved(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L5"))
    project.apply(ops.Relabel(2, "L4"))
    project.journal.close()
    path = tmp_path / JOURNAL
    lines = path.read_text().split("\n")
    lines[0] = lines[0][:-5] + "\x00\x00"
    text = "\n".join(lines)
    path.write_text(text)
    assert store.has_recovery(tmp_path)  # must be looked at, not replaced
    plan = recovery.recovery_plan(tmp_path)
    assert plan.kind == recovery.DAMAGED and "damaged" in plan.message
    assert "2 unsaved edits cannot be recovered" in plan.message
    words = recovery.set_aside_journal(tmp_path)
    assert words.startswith("it is kept in .vertapp/kept/")
    store.Journal(store.load_project(tmp_path)).attach()  # the window journals anew
    kept = recovery.kept_journals(tmp_path)
    assert [(k / "journal.jsonl").read_text() for k in kept] == [text]


def test_damaged_header_is_kept_when_nobody_set_it_aside(make_project, tmp_path) -> None:
    project = _saved(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L5"))
    project.journal.close()
    path = tmp_path / JOURNAL
    text = "not json\n" + path.read_text().split("\n", 1)[1]
    path.write_text(text)
    store.Journal(store.load_project(tmp_path)).attach()
    kept = recovery.kept_journals(tmp_path)
    assert [(k / "journal.jsonl").read_text() for k in kept] == [text]
    with pytest.raises(FormatError, match="its first line is damaged"):
        store.recover_edits(tmp_path, kept[0])


def test_every_operation_survives_the_journal(make_project) -> None:
    """The checks refuse nothing the app writes: each kind of edit decodes to itself."""
    project = make_project()
    ring = project.instance(1).polygons[0]
    inst = dataclasses.replace(_add_square(project).instance, holes=[ring[:3] + 1])
    samples = [
        ops.AddInstance(1, inst, 0),
        ops.DeleteInstance(1),
        ops.RejectPrediction(1),
        ops.SetInstanceFields(1, (("score", 0.5), ("source", "corrected"), ("model_id", None))),
        ops.Relabel(1, "L2"),
        ops.SetReviewed(1, False),
        ops.AcceptPrediction(1),
        ops.MoveVertex(1, 0, 2, (3.5, 4.0), 7),
        ops.InsertVertex(1, 0, 1, (3.0, 4.0)),
        ops.DeleteVertex(1, 0, 1),
        ops.ReplacePolygons(1, (ring,), (ring[:3],)),
        ops.MovePolygon(1, -2.0, 3, None, 2),
        ops.SetImageStatus(1, "completed"),
        ops.FlagInstance(1, False),
        ops.Macro((ops.Relabel(1, "L3"), ops.Macro((), "")), "Edit"),
    ]
    assert {type(op).__name__ for op in samples} == set(opcodec.OP_TYPES)
    for op in samples:
        entry = _entry(op)
        assert opcodec.encode_op(opcodec.decode_op(entry)) == entry


def test_every_declared_field_type_is_checked() -> None:
    """A new operation field of a new type must get a check before it is journalled."""
    for cls in opcodec.OP_TYPES.values():
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            assert str(f.type) in opcodec._OP_FIELD_CHECKS, (cls.__name__, f.name, f.type)


def test_unforeseen_decoding_failure_is_a_format_error(monkeypatch) -> None:
    def boom(*args: Any) -> Any:
        raise ZeroDivisionError("unforeseen")

    monkeypatch.setitem(opcodec._OP_FIELD_CHECKS, "int", boom)
    with pytest.raises(FormatError, match="ZeroDivisionError"):
        opcodec.decode_op({"__op__": "DeleteInstance", "fields": {"instance_id": 1}})


# =================================================================== discard


def unremovable_journal(monkeypatch: Any) -> None:
    """(The tests run as root, whom permissions do not stop: unlink is made to fail.)"""
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name == "journal.jsonl":
            raise PermissionError(13, "Permission denied", str(self))
        real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)


def test_discard_in_a_folder_that_cannot_be_written_says_why(
    make_project, tmp_path, monkeypatch
) -> None:
    """(The tests run as root, whom permissions do not stop: unlink is made to fail.)"""
    project = _saved(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L5"))
    unremovable_journal(monkeypatch)
    words = recovery.discard_journal(tmp_path)
    assert "could not be removed (Permission denied)" in words
    assert "offered again" in words
    monkeypatch.undo()
    assert store.has_recovery(tmp_path)  # nothing lost: offered again next time
    assert recovery.discard_journal(tmp_path) == ""
    assert not store.has_recovery(tmp_path)


# =================================================================== saving


def test_save_does_not_recreate_a_vanished_project_folder(make_project, tmp_path) -> None:
    folder = tmp_path / "proj"
    project = _saved(make_project, folder)
    project.apply(ops.Relabel(1, "L5"))
    shutil.rmtree(folder)  # deleted (or moved, unmounted) while open
    with pytest.raises(VertAppError, match="no longer there.*Save project as") as caught:
        store.save_project(project)
    assert not isinstance(caught.value, FormatError)
    assert not folder.exists()
    project.journal.detach()
    rescue = tmp_path / "rescue" / "deep"  # "save as" still makes its new folder
    store.save_project(project, rescue)
    assert store.load_project(rescue).instance(1).label == "L5"


def test_first_save_still_creates_its_folder(make_project, tmp_path) -> None:
    folder = tmp_path / "new" / "project"
    store.save_project(make_project(root=folder))
    assert store.load_project(folder).images


def test_folder_vanishing_during_the_write_is_said_in_words(make_project, tmp_path) -> None:
    folder = tmp_path / "proj"
    project = _saved(make_project, folder)
    pending = store.prepare_save(project)
    shutil.rmtree(folder)
    with pytest.raises(VertAppError, match="project folder is no longer there"):
        store.write_save(pending)
    assert not folder.exists()


def test_save_after_the_state_folder_was_removed(make_project, tmp_path) -> None:
    project = _saved(make_project, tmp_path)
    project.apply(ops.Relabel(1, "L5"))
    shutil.rmtree(tmp_path / ".vertapp")  # a person cleaning up hidden folders
    store.save_project(project)
    assert store.load_project(tmp_path).instance(1).label == "L5"
