"""The pair view never drops hand corrections unasked: closing it (itself or with its main
window) and Align again ask when corrections are not exported, Cancel keeps them with their
undo history, Export… writes them first, and closing during an export lets it write every
file. Beside `test_xray_pair.py` (same synthetic pair)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pair_view import align, pair_window, torsioned_inputs

from vertapp.jobs import Job
from vertapp.xray.pair import PairInputs, PairState, pair_job

LEVEL = "L1"  # the vertebra corrected by hand
EXPORTED = {"fused.png", "fused.tif", "check.png", "alignment.json", "zois_low", "zois_high"}


@pytest.fixture(scope="module")
def inputs() -> PairInputs:
    return torsioned_inputs()


@pytest.fixture
def view(qtbot, inputs: PairInputs):  # type: ignore[no-untyped-def]
    with pair_window(qtbot, inputs) as win:
        align(qtbot, win)
        yield win


def _nudge(qtbot, win, presses: int = 3) -> None:  # type: ignore[no-untyped-def]
    """Arrow-key presses on the chosen vertebra, as a surgeon corrects it."""
    from PySide6.QtCore import Qt

    win.table.choose(LEVEL)
    for _ in range(presses):
        qtbot.keyClick(win, Qt.Key.Key_Right)


def _answer(monkeypatch, win, *answers):  # type: ignore[no-untyped-def]
    """Replace the window's questions (its `ask`) by these answers, then the default (the
    teardown's close asks too: an exception raised in closeEvent would crash PySide);
    returns what was asked."""
    asked: list = []
    queue = list(answers)

    def ask(question, default):  # type: ignore[no-untyped-def]
        asked.append(question)
        return queue.pop(0) if queue else default

    monkeypatch.setattr(win, "ask", ask)
    return asked


def _export_folder(monkeypatch, folder: Path) -> None:
    """The folder dialog of Export… picks `folder`."""
    from vertapp.gui.xray import pair_window

    monkeypatch.setattr(
        pair_window.QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(folder)
    )


def _exported_dx(folder: Path, level: str) -> float:
    record = json.loads((folder / "alignment.json").read_text())
    return float(next(v["tx_px"] for v in record["vertebrae"] if v["level"] == level))


def test_close_with_a_correction_asks_and_cancel_keeps_it(qtbot, view, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.keep_corrections import CANCEL

    _nudge(qtbot, view)
    dx = view.state.similarity(LEVEL).shift[0]
    asked = _answer(monkeypatch, view, CANCEL)
    assert not view.close()
    assert [q.title for q in asked] == ["Hand corrections not exported"]
    assert LEVEL in asked[0].text and "loses" in asked[0].text
    assert view.isVisible() and view.state.corrected == {LEVEL}
    assert view.state.similarity(LEVEL).shift[0] == dx
    assert view.stack.count() == 1 and view.act_undo.isEnabled()  # undo history kept


def test_close_answered_export_writes_the_correction_then_closes(
    qtbot, view, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.keep_corrections import EXPORT

    _nudge(qtbot, view)
    dx = view.state.similarity(LEVEL).shift[0]
    _answer(monkeypatch, view, EXPORT)
    _export_folder(monkeypatch, tmp_path / "out")
    assert view.close() and not view.isVisible()
    assert {p.name for p in (tmp_path / "out").iterdir()} == EXPORTED
    assert _exported_dx(tmp_path / "out", LEVEL) == pytest.approx(
        dx, abs=1e-3
    )  # written to 3 decimals


def test_close_answered_export_but_no_folder_keeps_the_window(qtbot, view, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.keep_corrections import EXPORT
    from vertapp.gui.xray.pair_window import QFileDialog

    _nudge(qtbot, view)
    _answer(monkeypatch, view, EXPORT)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: "")
    assert not view.close() and view.state.corrected == {LEVEL}


def test_a_failed_export_keeps_the_window_and_its_corrections(
    qtbot, view, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.keep_corrections import EXPORT

    _nudge(qtbot, view)
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    _answer(monkeypatch, view, EXPORT)
    _export_folder(monkeypatch, blocked)
    assert not view.close() and view.isVisible()
    assert view.unexported() == [LEVEL] and view.notes.text()  # the failure is shown


def test_close_answered_discard_closes(qtbot, view, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.keep_corrections import DISCARD

    _nudge(qtbot, view)
    asked = _answer(monkeypatch, view, DISCARD)
    assert view.close() and not view.isVisible() and len(asked) == 1


def test_nothing_asked_while_nothing_would_be_lost(
    qtbot, view, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.keep_corrections import CANCEL

    asked = _answer(monkeypatch, view, CANCEL)
    assert view.unexported() == []  # aligned, not touched
    _nudge(qtbot, view)
    view.stack.undo()
    assert view.unexported() == []  # corrected and undone
    _nudge(qtbot, view)
    view.export_to(tmp_path / "out")
    qtbot.waitUntil(lambda: not view.busy(), timeout=30000)
    assert view.unexported() == []  # exported as it is
    _nudge(qtbot, view, 1)  # the same vertebra again: must not merge into the exported step
    assert view.unexported() == [LEVEL]
    assert not view.close() and len(asked) == 1


def test_align_again_asks_and_cancel_keeps_corrections_and_undo(qtbot, view, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.keep_corrections import CANCEL

    _nudge(qtbot, view)
    state = view.state
    asked = _answer(monkeypatch, view, CANCEL)
    view.act_align.trigger()  # Ctrl+R
    assert [q.title for q in asked] == ["Align again?"] and LEVEL in asked[0].text
    assert not view.busy() and view.state is state and state.corrected == {LEVEL}
    assert view.stack.count() == 1
    view.stack.undo()  # the history still undoes the correction
    assert state.corrected == set()


def test_align_again_answered_discard_starts_over(qtbot, view, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.keep_corrections import DISCARD

    _nudge(qtbot, view)
    old = view.state
    _answer(monkeypatch, view, DISCARD)
    view.act_align.trigger()
    qtbot.waitUntil(lambda: view.state is not old and not view.busy(), timeout=60000)
    assert view.state.corrected == set() and view.stack.count() == 0


def test_align_again_answered_export_writes_them_first(
    qtbot, view, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.keep_corrections import EXPORT

    _nudge(qtbot, view)
    dx = view.state.similarity(LEVEL).shift[0]
    old = view.state
    _answer(monkeypatch, view, EXPORT)
    _export_folder(monkeypatch, tmp_path / "out")
    view.act_align.trigger()
    assert _exported_dx(tmp_path / "out", LEVEL) == pytest.approx(
        dx, abs=1e-3
    )  # written to 3 decimals
    qtbot.waitUntil(lambda: view.state is not old and not view.busy(), timeout=60000)
    assert view.state.corrected == set()


def _slowed_export(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each export step takes a while, so a close lands in the middle of it."""
    from vertapp.gui.xray import pair_window

    real = pair_window.export_job

    def slowed(state: PairState, folder: Path) -> Job[list[Path]]:
        job = real(state, folder)
        while True:
            try:
                event = next(job)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            time.sleep(0.3)
            yield event

    monkeypatch.setattr(pair_window, "export_job", slowed)


def test_closing_during_an_export_lets_it_write_every_file(
    qtbot, view, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _nudge(qtbot, view)
    dx = view.state.similarity(LEVEL).shift[0]
    _slowed_export(monkeypatch)
    asked = _answer(monkeypatch, view)  # nothing may be asked: it ends exported
    out = tmp_path / "out"
    with qtbot.waitSignal(view.progress.bar.valueChanged, timeout=30000):
        view.export_to(out)
    assert not view.progress.cancel_button.isEnabled()  # an export is not stopped halfway
    assert not view.act_undo.isEnabled()  # nor changed under it
    view.cancel()
    assert view.close() and asked == []
    assert {p.name for p in out.iterdir()} == EXPORTED
    assert _exported_dx(out, LEVEL) == pytest.approx(dx, abs=1e-3)  # written to 3 decimals
    assert not list(out.rglob("*.tmp*"))


def test_closing_the_main_window_asks_about_the_pair(qtbot, window, inputs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.keep_corrections import CANCEL, DISCARD
    from vertapp.gui.xray.open_pair import show_pair

    win = show_pair(lambda: pair_job(inputs), window)
    qtbot.waitUntil(lambda: win.state is not None and not win.busy(), timeout=60000)
    _nudge(qtbot, win)
    asked = _answer(monkeypatch, win, CANCEL, DISCARD)
    assert not window.close()  # cancelled in the pair's question: both stay open
    assert win.state is not None and win.state.corrected == {LEVEL}
    assert window.isVisible() and win.isVisible()
    assert window.close() and not win.isVisible()
    assert [q.title for q in asked] == ["Hand corrections not exported"] * 2


def _boxes(monkeypatch, answer=None) -> list[str]:  # type: ignore[no-untyped-def]
    """Question boxes shown (their text), each answered by clicking `answer` (None: none)."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []

    def show(box: QMessageBox) -> int:
        shown.append(box.text())
        if answer is not None:
            box.button(answer).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", show)
    return shown


def test_unattended_runs_keep_corrections_without_a_box(qtbot, view, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Marked headless, as the main window is in tests and screenshots, nobody could answer
    a modal box: the default, Cancel, keeps the corrections instead of waiting forever."""
    assert view.property("headless")
    shown = _boxes(monkeypatch)
    _nudge(qtbot, view)
    assert not view.close() and shown == []
    view.act_align.trigger()
    assert not view.busy() and view.state.corrected == {LEVEL} and shown == []


def test_headless_comes_from_the_main_window_not_the_qt_platform(
    qtbot, window, inputs, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """On the offscreen platform a pair window not marked headless asks as on a screen (it
    skipped every question there before, so no test could see one); under a headless main
    window it does not."""
    from PySide6.QtWidgets import QApplication

    from vertapp.gui.xray.keep_corrections import CANCEL, DISCARD
    from vertapp.gui.xray.open_pair import show_pair

    assert QApplication.platformName() == "offscreen"
    with pair_window(qtbot, inputs) as win:
        align(qtbot, win)
        win.setProperty("headless", False)
        assert not win.unattended()
        shown = _boxes(monkeypatch, CANCEL)
        _nudge(qtbot, win)
        assert not win.close()
        assert len(shown) == 1 and LEVEL in shown[0]
        _boxes(monkeypatch, DISCARD)
        assert win.close()
    child = show_pair(lambda: pair_job(inputs), window)
    assert window.property("headless") and child.unattended()
    child.close()


def test_the_question_names_the_vertebrae_and_defaults_to_export(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    from vertapp.gui.xray.keep_corrections import DISCARD, EXPORT, ask_box, closing, named

    assert named(["L1"]) == "L1" and named(["T12", "L1", "L2"]) == "T12, L1 and L2"
    seen: dict[str, object] = {}

    def click_discard(box: QMessageBox) -> int:
        seen["export"] = box.button(EXPORT).text()
        seen["default"] = box.defaultButton() is box.button(EXPORT)
        seen["text"] = box.text()
        box.button(DISCARD).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", click_discard)
    assert ask_box(None, closing(["L1", "L2"])) == DISCARD  # type: ignore[arg-type]
    assert seen["export"] == "Export…" and seen["default"] is True
    assert "L1 and L2" in str(seen["text"])
