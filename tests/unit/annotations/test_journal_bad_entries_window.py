"""The window's recovery questions with a damaged journal: told in words, the project
opens as last saved with its journal on, and nothing escapes as an exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.annotations.test_journal_bad_entries import unremovable_journal
from vertapp.annotations import ops, recovery, store

pytestmark = [
    pytest.mark.gui,
    pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*"),
]


class Host:
    """The window as RecoveryPrompts sees it: questions answered by `answer`."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[str] = []
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def ask(self, title: str, text: str, buttons: Any, default: Any) -> Any:
        self.asked.append(text)
        return self.answer

    def show_error(self, message: str) -> None:
        self.errors.append(message)

    def show_status(self, message: str, timeout: int = 0) -> None:
        pass

    def show_warnings(self, heading: str, lines: list[str]) -> None:
        self.warnings = lines

    def update_title(self) -> None:
        pass


def _crashed(make_project: Any, folder: Path, spoil: Any) -> str:
    """A saved project whose killed session left one edit, its journal spoiled."""
    store.save_project(make_project(root=folder))
    project = store.load_project(folder)
    store.Journal(project).attach()
    project.apply(ops.Relabel(1, "L5"))
    project.journal.close()
    path = folder / ".vertapp" / "journal.jsonl"
    header, line = path.read_text().splitlines()[:2]
    text = spoil(header, json.loads(line))
    path.write_text(text)
    return text


def _open(qapp: Any, folder: Path, answer: Any) -> tuple[Any, Host]:
    from vertapp.gui.document.document import Document
    from vertapp.gui.window.recovery_prompts import RecoveryPrompts

    doc, host = Document(), Host(answer)
    doc.open_project(folder)
    RecoveryPrompts(doc, host, None, None).offer_recovery()  # type: ignore[arg-type]
    return doc, host


def _bad_entry(header: str, entry: dict[str, Any]) -> str:
    entry["fields"] = None
    return f"{header}\n{json.dumps(entry)}\n"


def _assert_opened_as_saved_and_journalled(doc: Any, folder: Path) -> None:
    assert not doc.recovery_pending and doc.project.journal is not None
    assert doc.project.instance(1).label != "L5"
    doc.project.apply(ops.Relabel(1, "L4"))  # a new edit is protected again
    assert store.recover(folder).instance(1).label == "L4"


def test_bad_entry_is_said_and_the_project_opens_journalled(make_project, tmp_path, qapp):
    from PySide6.QtWidgets import QMessageBox

    text = _crashed(make_project, tmp_path, _bad_entry)
    doc, host = _open(qapp, tmp_path, QMessageBox.StandardButton.Yes)
    assert len(host.asked) == 1 and len(host.errors) == 1
    assert host.errors[0].startswith("The unsaved edits could not be recovered (")
    assert "line 2: " in host.errors[0] and "kept in .vertapp/kept/" in host.errors[0]
    assert host.errors[0].endswith("opens as last saved.")
    kept = recovery.kept_journals(tmp_path)
    assert [(k / "journal.jsonl").read_text() for k in kept] == [text]
    assert "File > Recover kept edits" in host.warnings[0]  # where to get them back
    _assert_opened_as_saved_and_journalled(doc, tmp_path)


def test_damaged_header_is_said_without_a_question(make_project, tmp_path, qapp):
    from PySide6.QtWidgets import QMessageBox

    text = _crashed(make_project, tmp_path, lambda h, e: f"{h[:-4]}\x00\n{json.dumps(e)}\n")
    doc, host = _open(qapp, tmp_path, QMessageBox.StandardButton.Yes)
    assert host.asked == []  # nothing can be recovered: nothing to ask
    assert len(host.errors) == 1 and "is damaged" in host.errors[0]
    assert "1 unsaved edit cannot be recovered" in host.errors[0]
    assert "kept in .vertapp/kept/" in host.errors[0]
    kept = recovery.kept_journals(tmp_path)
    assert [(k / "journal.jsonl").read_text() for k in kept] == [text]
    _assert_opened_as_saved_and_journalled(doc, tmp_path)


def test_unforeseen_recovery_failure_still_opens_the_project(
    make_project, tmp_path, qapp, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    _crashed(make_project, tmp_path, lambda h, e: f"{h}\n{json.dumps(e)}\n")

    def broken(*args: Any) -> Any:
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(store, "recover_edits", broken)
    doc, host = _open(qapp, tmp_path, QMessageBox.StandardButton.Yes)
    assert len(host.errors) == 1 and "something nobody foresaw" in host.errors[0]
    monkeypatch.undo()
    assert len(recovery.kept_journals(tmp_path)) == 1  # kept by the next journal
    _assert_opened_as_saved_and_journalled(doc, tmp_path)


def test_declining_when_the_journal_cannot_be_removed_says_why(
    make_project, tmp_path, qapp, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    _crashed(make_project, tmp_path, lambda h, e: f"{h}\n{json.dumps(e)}\n")
    unremovable_journal(monkeypatch)
    _, host = _open(qapp, tmp_path, QMessageBox.StandardButton.Discard)
    assert any("could not be removed (Permission denied)" in e for e in host.errors)


def test_closing_after_discard_when_the_journal_cannot_be_removed(
    make_project, tmp_path, qapp, monkeypatch
):
    from vertapp.gui.document.document import Document

    store.save_project(make_project(root=tmp_path))
    doc = Document()
    doc.open_project(tmp_path)
    doc.project.apply(ops.Relabel(1, "L5"))
    doc.discard_unsaved()
    unremovable_journal(monkeypatch)
    doc.close_session()  # the window's close goes on
    monkeypatch.undo()
    assert store.has_recovery(tmp_path)  # offered again next time: nothing lost


def test_discard_at_close_keeps_a_copy_of_the_edits(make_project, tmp_path, qapp):
    """The close prompt's Discard deleted the session's edits for good, while the crash
    question's Discard kept a copy: one slip of the hand lost a session's work."""
    from vertapp.gui.document.document import Document

    store.save_project(make_project(root=tmp_path))
    doc = Document()
    doc.open_project(tmp_path)
    doc.project.apply(ops.Relabel(1, "L5"))
    doc.discard_unsaved()
    doc.close_session()
    assert not store.has_recovery(tmp_path)  # not offered when the project opens again
    (kept,) = recovery.kept_journals(tmp_path)  # but there in File > Recover kept edits
    recovered = store.recover_edits(tmp_path, kept)
    assert recovered.project.instance(1).label == "L5"
