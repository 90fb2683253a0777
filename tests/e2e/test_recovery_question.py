"""The "Recover unsaved edits?" question after a crash: worded answers, nothing lost.

It used to be a Yes/No box: Esc or closing it answered No, and No deleted the crash
journal for good, without a word. It counted journal lines ("4 edits": a prediction run
and review decisions), or nothing at all for an untitled scan; an untitled recovery said
nothing in the status bar; and an unattended open left the pending journal in place with
no journal for the edits made after it (a kill lost them). Now: Recover (the default),
Decide later (Esc, closing the box, unattended: kept in .vertapp/kept/, the work goes on
journalled) and Discard (kept there too, in case that was a mistake, and said so).
"""

from __future__ import annotations

from typing import Any

import pytest
from mouse_driver import draw_triangle
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.e2e.window_driver import leave_as_killed, new_window
from tests.e2e.window_driver import open_and_wait as _open

pytestmark = pytest.mark.gui
Button = QMessageBox.StandardButton
TITLE = "Recover unsaved edits?"
MENU = "File > Recover kept edits…"


def _crashed_with_a_triangle(qtbot: Any, window: Any, folder: Any) -> bytes:
    """The project edited (one outline added) by a session that was then killed; the
    journal it left, as bytes."""
    from vertapp.annotations import store

    _open(qtbot, window, folder)
    draw_triangle(qtbot, window)
    window.doc._detach_journal()  # as after a kill: the journal's file is all that is left
    leave_as_killed(window)
    return (folder / store.STATE_DIR / store.JOURNAL_FILE).read_bytes()


def _answer_the_box(how: str, seen: list[dict[str, Any]], then: list[str] | None = None) -> None:
    """The real question box, as a user gets it: recorded (title, text, buttons, default),
    then answered by `how`: "esc", "close" (the title bar's close button) or a button's
    words. `then`: the next boxes' answers, in turn."""
    tries = [0]

    def act() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            tries[0] += 1
            assert tries[0] < 600, "no question was asked"
            QTimer.singleShot(50, act)
            return
        default = box.defaultButton()
        seen.append(
            {
                "title": box.windowTitle(),
                "text": box.text(),
                "buttons": sorted(b.text() for b in box.buttons()),
                "default": default.text() if default is not None else "",
                "box": box.grab(),
            }
        )
        chosen = [b for b in box.buttons() if b.text() == how]
        if how == "close":
            box.close()
        elif chosen:
            chosen[0].click()
        else:  # "esc", or no such button: the test fails on what was seen, never hangs
            from PySide6.QtTest import QTest

            QTest.keyClick(box, Qt.Key.Key_Escape)
            if how != "esc" and box.isVisible():
                box.done(0)
        if then and (chosen or how in ("esc", "close")):
            _answer_the_box(then[0], seen, then[1:])

    QTimer.singleShot(0, act)


def _shown(window: Any) -> Any:
    """The window, asking its questions in real boxes (the tests' windows are headless)."""
    window.setProperty("headless", False)
    return window


@pytest.mark.parametrize("how", ["esc", "close"])
def test_esc_or_closing_the_question_keeps_the_edits_for_later(
    qtbot, window, small_project, how
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.annotations import kept_edits, recovery, store

    journal = _crashed_with_a_triangle(qtbot, window, small_project)
    second = _shown(new_window(qtbot))
    seen: list[dict[str, Any]] = []
    _answer_the_box(how, seen)
    _open(qtbot, second, small_project)
    second.setProperty("headless", True)
    (box,) = seen
    assert box["title"] == TITLE
    assert box["buttons"] == ["Decide later", "Discard", "Recover"]
    assert box["default"] == "Recover"  # Enter loses nothing either
    # Said as the user sees it, not as journal lines; and what the answers do.
    assert "1 outline added on 1 image" in box["text"] and "edit " not in box["text"]
    assert "Decide later (or Esc) keeps them aside" in box["text"] and MENU in box["text"]
    # Not deleted: kept aside, whole, for File > Recover kept edits…, and said so.
    (kept,) = recovery.kept_journals(small_project)
    assert (kept / store.JOURNAL_FILE).read_bytes() == journal
    assert store.kept_note(kept)["origin"] == store.UNANSWERED
    assert any(MENU in line for line in second.warning_bar.lines)
    assert MENU in second.statusBar().currentMessage()
    assert len(second.doc.current.instances) == 1 and not second.doc.modified  # as saved
    # The work goes on journalled: a kill now loses neither the new edit nor the old one.
    draw_triangle(qtbot, second, x0=80)
    assert len(store.recover(small_project).images[1].instances) == 2
    assert len(kept_edits.recover_kept(small_project, kept).project.images[1].instances) == 2


def test_unattended_open_journals_new_edits_and_keeps_the_old_ones(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """No one to answer (a headless run): the pending journal is kept aside and a new one
    records what is drawn next; both survive a second kill."""
    from vertapp.annotations import kept_edits, recovery, store

    journal = _crashed_with_a_triangle(qtbot, window, small_project)
    second = new_window(qtbot)  # headless: `ask` answers its default (None)
    _open(qtbot, second, small_project)
    assert not second.doc.recovery_pending and second.doc.project.journal is not None
    draw_triangle(qtbot, second, x0=80)  # journalled before, or lost with the next kill?
    second.doc._detach_journal()
    leave_as_killed(second)
    third = new_window(qtbot)
    asked: list[str] = []
    monkeypatch.setattr(third, "ask", lambda *a: asked.append(a[1]) or Button.Yes)
    _open(qtbot, third, small_project)
    assert len(asked) == 1 and "1 outline added on 1 image" in asked[0]
    (square, new) = third.doc.current.instances  # the second session's edit, recovered
    assert new.polygons[0][:, 0].min() == pytest.approx(80, abs=0.6)
    (kept,) = recovery.kept_journals(small_project)  # the first session's, kept
    assert (kept / store.JOURNAL_FILE).read_bytes() == journal
    # Said to the person who opens it next: nobody read it in the unattended run.
    assert any(MENU in line for line in third.warning_bar.lines)
    old = kept_edits.recover_kept(small_project, kept).project.images[1].instances
    assert len(old) == 2 and old[1].polygons[0][:, 0].min() == pytest.approx(10, abs=0.6)
    third.doc.stack.setClean()
    third.doc._recovered = False


def test_discard_keeps_a_copy_and_says_where(qtbot, window, small_project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.annotations import kept_edits, recovery, store

    journal = _crashed_with_a_triangle(qtbot, window, small_project)
    second = _shown(new_window(qtbot))
    seen: list[dict[str, Any]] = []
    _answer_the_box("Discard", seen)
    _open(qtbot, second, small_project)
    second.setProperty("headless", True)
    assert [b["title"] for b in seen] == [TITLE]
    said = second.statusBar().currentMessage()
    assert said.startswith("Discarded the unsaved edits (1 outline added on 1 image")
    assert MENU in said  # a wrong click is not the end of them
    assert not store.has_recovery(small_project)
    assert len(second.doc.current.instances) == 1
    (kept,) = recovery.kept_journals(small_project)
    assert (kept / store.JOURNAL_FILE).read_bytes() == journal
    assert store.kept_note(kept)["origin"] == store.DISCARDED
    assert second.warning_bar.lines == []  # discarded: listed, never brought up again
    (entry,) = kept_edits.describe_kept(small_project)
    assert entry.offered and not entry.worth_telling
    assert len(kept_edits.recover_kept(small_project, kept).project.images[1].instances) == 2
    # Not offered again when the project is opened next.
    leave_as_killed(second)
    third = new_window(qtbot)
    monkeypatch.setattr(third, "ask", lambda *a: pytest.fail(f"asked again: {a[0]}"))
    _open(qtbot, third, small_project)


def test_recovered_project_says_what_came_back(qtbot, window, small_project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _crashed_with_a_triangle(qtbot, window, small_project)
    second = new_window(qtbot)
    monkeypatch.setattr(second, "ask", lambda *a: Button.Yes)
    _open(qtbot, second, small_project)
    assert (
        second.statusBar()
        .currentMessage()
        .startswith("Recovered unsaved edits: 1 outline added on 1 image")
    )
    assert len(second.doc.current.instances) == 2
    second.doc.stack.setClean()
    second.doc._recovered = False


# ------------------------------------------------------------------ an untitled scan
@pytest.fixture
def radiograph_png(tmp_path):  # type: ignore[no-untyped-def]
    import numpy as np
    from PIL import Image

    path = tmp_path / "spine_xray.png"
    Image.fromarray((np.arange(80 * 60).reshape(80, 60) % 200).astype(np.uint8)).save(path)
    return path


def _autosaved_untitled(qtbot: Any, window: Any, path: Any) -> None:
    _open(qtbot, window, path)
    draw_triangle(qtbot, window)
    assert window.doc.autosave()
    window.doc.stack.setClean()  # the session "ends": its autosave stays behind


def test_untitled_question_counts_and_recovery_is_said(
    qtbot, window, radiograph_png, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _autosaved_untitled(qtbot, window, radiograph_png)
    second = new_window(qtbot)
    asked: list[tuple[str, str, Any]] = []
    monkeypatch.setattr(second, "ask", lambda *a: asked.append(a[:3]) or Button.Yes)
    _open(qtbot, second, radiograph_png)
    ((title, text, answers),) = asked
    assert title == TITLE and "1 outline added on 1 image" in text
    assert list(answers.values()) == ["Discard…", "Decide later", "Recover"]  # last: default
    assert len(second.doc.current.instances) == 1
    said = second.statusBar().currentMessage()
    assert said.startswith("Recovered unsaved edits: 1 outline added on 1 image")
    second.doc._recovered = False


def test_untitled_esc_keeps_the_work_for_the_next_open(
    qtbot, window, radiograph_png, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Esc: offered again next time, though this session autosaves new edits meanwhile
    (its autosave used to write over the one just offered)."""
    _autosaved_untitled(qtbot, window, radiograph_png)
    second = _shown(new_window(qtbot))
    seen: list[dict[str, Any]] = []
    _answer_the_box("esc", seen)
    _open(qtbot, second, radiograph_png)
    second.setProperty("headless", True)
    assert [b["buttons"] for b in seen] == [["Decide later", "Discard…", "Recover"]]
    assert "offered again the next time" in second.statusBar().currentMessage()
    assert second.doc.current.instances == []
    draw_triangle(qtbot, second, x0=25)  # new work, autosaved where the old one was
    assert second.doc.autosave()
    second.doc.stack.setClean()
    main = second.doc.untitled_autosave_dir()
    (later,) = main.parent.glob(f"{main.name}-later-*")  # the first session's, aside
    offered: list[str] = []
    third = new_window(qtbot)  # the newest first: the second session's, deleted here
    answers = [Button.Discard, Button.Discard]  # Discard…, then "Delete them"
    monkeypatch.setattr(third, "ask", lambda *a: offered.append(a[0]) or answers.pop(0))
    _open(qtbot, third, radiograph_png)
    assert third.doc.current.instances == [] and not main.exists() and later.is_dir()
    fourth = new_window(qtbot)  # then the one kept for later
    monkeypatch.setattr(fourth, "ask", lambda *a: offered.append(a[0]) or Button.Yes)
    _open(qtbot, fourth, radiograph_png)
    (inst,) = fourth.doc.current.instances
    assert inst.polygons[0][:, 0].min() == pytest.approx(10, abs=0.6)
    assert offered == [TITLE, "Discard unsaved edits for good?", TITLE]
    # back where this session autosaves: offered there until its next tick rewrites it
    assert main.is_dir() and not later.exists()
    fourth.doc._recovered = False


def test_untitled_discard_asks_before_deleting_for_good(
    qtbot, window, radiograph_png, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _autosaved_untitled(qtbot, window, radiograph_png)
    second = _shown(new_window(qtbot))
    seen: list[dict[str, Any]] = []
    _answer_the_box("Discard…", seen, ["Go back", "Discard…", "Delete them"])
    _open(qtbot, second, radiograph_png)
    second.setProperty("headless", True)
    titles = [b["title"] for b in seen]
    assert titles == [TITLE, "Discard unsaved edits for good?", TITLE, titles[1]]
    assert "1 outline added on 1 image" in seen[1]["text"] and seen[1]["default"] == "Go back"
    assert "Discarded the unsaved annotations" in second.statusBar().currentMessage()
    third = new_window(qtbot)
    monkeypatch.setattr(third, "ask", lambda *a: pytest.fail(f"asked again: {a[0]}"))
    _open(qtbot, third, radiograph_png)
    assert third.doc.current.instances == []
