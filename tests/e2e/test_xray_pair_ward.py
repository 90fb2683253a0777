"""The pair window as a surgeon on a 1280 x 800 ward workstation uses it: it fits the
screen, its file dialogs start where that kind of file was last chosen, it says which image
is the low dose and what decided, a wrong order is swapped before (and after) aligning, and
it refuses in words to export into a project open read-only. Beside `test_xray_pair.py`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pair_view import align, pair_window, torsioned_inputs

from tests.unit.io.iotest_helpers import rewrite, write_dx
from vertapp.xray.pair import PairInputs, pair_job
from vertapp.xray.pair_roles import DoseClue

LEVEL = "L1"


@pytest.fixture(scope="module")
def inputs() -> PairInputs:
    return torsioned_inputs()


def _other_way(inputs: PairInputs) -> PairInputs:
    return PairInputs(inputs.high, inputs.low, inputs.high_zois, inputs.low_zois, inputs.pixel_mm)


# -- fits the screen ------------------------------------------------------------------------


def test_the_window_size_fits_the_free_screen_with_a_readable_minimum() -> None:
    from vertapp.gui.xray.screen_fit import window_size

    assert window_size(2560, 1400) == ((1400, 900), (960, 600))  # room: the preferred size
    (w, h), smallest = window_size(1280, 760)  # 1280 x 800 less a 40 px task bar
    assert w + 16 <= 1280 and h + 40 <= 760 and smallest == (960, 600)
    (w, h), smallest = window_size(800, 560)  # never a minimum larger than the screen
    assert smallest == (w, h) and w <= 800 and h <= 560


def test_the_window_opens_inside_its_screen(qtbot, inputs) -> None:  # type: ignore[no-untyped-def]
    """Offscreen the screen is 800 x 800 px: the window (1400 x 900 before) fits it, the
    table takes under half its width, and the three views keep room."""
    from PySide6.QtWidgets import QDockWidget

    with pair_window(qtbot, inputs) as win:
        free = win.screen().availableGeometry()
        assert win.width() <= free.width() and win.height() <= free.height()
        assert win.minimumWidth() <= free.width() and win.minimumHeight() <= free.height()
        align(qtbot, win)
        dock = win.findChild(QDockWidget, "dock_pair_table")
        assert dock is not None and dock.width() < win.width() / 2
        assert win.images.low_pane.width() > 100


def test_status_and_score_are_in_view_without_scrolling(qtbot, inputs) -> None:  # type: ignore[no-untyped-def]
    """What a surgeon reads first (is this vertebra aligned, how sure) must not sit past
    the table's edge: with the pixel columns first, Score and Status were scrolled out of
    view in a window as wide as a 1280 px screen allows."""
    from vertapp.gui.xray.pair_table import COLUMNS

    with pair_window(qtbot, inputs) as win:
        win.resize(1264, 760)
        align(qtbot, win)
        qtbot.wait(50)
        table = win.table
        shown = table.viewport().width()
        for name in ("Level", "Status", "Score", "dx mm", "dy mm"):
            col = COLUMNS.index(name)
            assert table.columnViewportPosition(col) + table.columnWidth(col) <= shown, name


# -- folders ----------------------------------------------------------------------------------


def test_each_kind_of_file_starts_where_it_was_last_chosen(qtbot, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window import last_folder
    from vertapp.gui.xray import open_pair as module

    films, cocos = tmp_path / "films", tmp_path / "cocos"
    films.mkdir(), cocos.mkdir()
    starts: list[str] = []
    answers = iter([films / "a.png", cocos / "a.json", films / "b.png", cocos / "b.json"])

    def choose(_parent, _title, start, _pattern):  # type: ignore[no-untyped-def]
        starts.append(start)
        return str(next(answers)), ""

    monkeypatch.setattr(module.QFileDialog, "getOpenFileName", choose)
    first = module.OpenPairDialog(None, last_folder)
    qtbot.addWidget(first)
    first._browse(first.edits["low"], module.IMAGE_FILES, module.IMAGES)
    first._browse(first.edits["low_zois"], "COCO (*.json)", module.ZOI_FILES)
    second = module.OpenPairDialog(None, last_folder)  # the next patient's pair
    qtbot.addWidget(second)
    second._browse(second.edits["high"], module.IMAGE_FILES, module.IMAGES)
    second._browse(second.edits["high_zois"], "COCO (*.json)", module.ZOI_FILES)
    home = last_folder.last_folder("none_yet")  # where a kind never chosen starts
    assert starts == [home, home, str(films), str(cocos)]
    assert last_folder.last_folder(last_folder.RADIOGRAPHS) == str(films)  # shared with Open


def test_export_starts_beside_the_last_export(qtbot, inputs, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window import last_folder
    from vertapp.gui.xray import pair_window as module
    from vertapp.gui.xray.pair_home import PairHome

    starts: list[str] = []
    chosen = iter([tmp_path / "pairs" / "first", tmp_path / "pairs" / "second"])

    def choose(_parent, _title, start):  # type: ignore[no-untyped-def]
        starts.append(start)
        return str(next(chosen))

    monkeypatch.setattr(module.QFileDialog, "getExistingDirectory", choose)
    with pair_window(qtbot, inputs) as win:
        win.home = PairHome(last_folder)
        align(qtbot, win)
        for _ in range(2):
            win.ask_export()
            qtbot.waitUntil(lambda: not win.busy(), timeout=30000)
    assert starts[1] == str(tmp_path / "pairs") != starts[0]
    assert (tmp_path / "pairs" / "second" / "alignment.json").is_file()


# -- which is the low dose --------------------------------------------------------------------


def _film(path: Path, mas: int) -> Path:
    write_dx(path, np.zeros((16, 16), np.uint16))
    rewrite(path, lambda ds: setattr(ds, "Exposure", mas))
    return path


def test_the_open_dialog_says_what_decided_and_swaps_a_wrong_order(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.open_pair import OpenPairDialog

    dialog = OpenPairDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.roles.isVisible()  # nothing chosen: nothing to say
    fields = {
        "low": _film(tmp_path / "a.dcm", 20),  # the high dose, put in the low-dose field
        "high": _film(tmp_path / "b.dcm", 2),
        "low_zois": tmp_path / "a.json",
        "high_zois": tmp_path / "b.json",
    }
    for name, path in fields.items():
        dialog.edits[name].setText(str(path))
    assert dialog.roles.isVisible() and dialog.roles.agrees is False
    assert "wrong way round" in dialog.roles.label.text()
    assert "20 mAs" in dialog.roles.label.text() and "a.dcm" not in dialog.roles.label.text()
    dialog.swap_button.click()
    paths = dialog.paths()
    assert (paths.low, paths.high) == (fields["high"], fields["low"])
    assert (paths.low_zois, paths.high_zois) == (fields["high_zois"], fields["low_zois"])
    assert dialog.roles.agrees is True and "exposure" in dialog.roles.label.text()


def test_the_open_dialogs_swap_is_compact_and_waits_for_both_images(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With nothing chosen the Swap button filled a whole row of the dialog and could be
    pressed with nothing to swap: it keeps its own size at the row's right end, and is
    offered (its tip says so) once both images are chosen."""
    from vertapp.gui.xray.open_pair import SWAP_TIP, OpenPairDialog

    dialog = OpenPairDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    swap = dialog.swap_button
    row = swap.parentWidget()
    assert swap.width() <= swap.sizeHint().width() + 8 < row.width() / 2
    assert swap.geometry().right() == row.width() - 1  # right-aligned
    assert not swap.isEnabled() and "Choose both images" in swap.toolTip()
    dialog.edits["low"].setText(str(tmp_path / "a.png"))
    assert not swap.isEnabled()
    dialog.edits["high"].setText(str(tmp_path / "b.png"))
    assert swap.isEnabled() and swap.toolTip() == SWAP_TIP
    dialog.edits["low"].setText("  ")
    assert not swap.isEnabled()


def test_a_verdict_that_comes_once_the_dialog_is_shown_is_read_whole(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Films chosen in the shown dialog (Browse…) brought a two-line warning into a row the
    dialog had sized for nothing: it was cut to one line. Both pair dialogs grow for it."""
    from vertapp.gui.xray.open_pair import OpenPairDialog
    from vertapp.gui.xray.project_pair import Choice, ProjectPairDialog
    from vertapp.xray.pair_roles import name_word

    def whole(dialog) -> bool:  # type: ignore[no-untyped-def]
        label = dialog.roles.label
        return label.height() >= label.heightForWidth(label.width()) > label.fontMetrics().height()

    dialog = OpenPairDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.edits["low"].setText(str(_film(tmp_path / "a.dcm", 20)))  # the wrong way round
    dialog.edits["high"].setText(str(_film(tmp_path / "b.dcm", 2)))
    assert dialog.roles.agrees is False and whole(dialog)
    named = [
        Choice(i, f"{i}: {n}", DoseClue(name_word(n)))
        for i, n in ((1, "a_low.png"), (2, "b_high.png"))
    ]
    project = ProjectPairDialog(named, 1, 2)
    qtbot.addWidget(project)
    project.show()
    qtbot.waitExposed(project)
    project.swap()
    assert project.roles.agrees is False and whole(project)


def test_the_file_menu_aligns_as_chosen_and_the_window_can_swap(
    qtbot, window, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """File > Open low-/high-dose pair… with the films in the wrong fields, accepted as
    they are: the window says so over the images, and Swap aligns the other way round."""
    from tests.unit.xray.test_cli_xray import _coco, _png
    from tests.unit.xray.zoi_pairs import pair
    from vertapp.gui.window import last_folder
    from vertapp.gui.xray import open_pair as module

    p = pair(0, "T10", "L5")
    fields = {  # the high-dose film named "high", chosen as the low dose
        "low": _png(tmp_path / "high.png", p.high.array),
        "high": _png(tmp_path / "low.png", p.low.array),
        "low_zois": _coco(tmp_path / "high.json", p.high_parts, p.high.shape, "high.png"),
        "high_zois": _coco(tmp_path / "low.json", p.low_parts, p.low.shape, "low.png"),
    }
    seen = {}

    def fill_and_accept(dialog) -> int:  # type: ignore[no-untyped-def]
        seen["folders"] = dialog.folders
        for name, path in fields.items():
            dialog.edits[name].setText(str(path))
        seen["agrees"] = dialog.roles.agrees
        return int(module.QDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(module.OpenPairDialog, "exec", fill_and_accept)
    file_menu = window.menuBar().actions()[0].menu()
    next(a for a in file_menu.actions() if "pair" in a.text()).trigger()
    assert seen == {"folders": last_folder, "agrees": False}  # the window's folders
    view = window.findChildren(module.PairWindow)[0]
    qtbot.waitUntil(lambda: view.state is not None and not view.busy(), timeout=60000)
    assert view.roles.isVisible() and view.roles.agrees is False
    assert '"high" in its name' in view.roles.label.text()
    as_chosen = view.state.inputs
    view.act_swap.trigger()
    qtbot.waitUntil(lambda: not view.busy(), timeout=60000)
    assert np.array_equal(view.state.inputs.low, as_chosen.high)
    assert np.array_equal(view.state.inputs.high, as_chosen.low)
    assert view.roles.agrees is True
    view.start()  # Align again keeps the swap
    qtbot.waitUntil(lambda: not view.busy(), timeout=60000)
    assert np.array_equal(view.state.inputs.low, as_chosen.high)
    view.close()


def _swappable(qtbot, inputs):  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.pair_sides import Sides

    sides = Sides(lambda: pair_job(_other_way(inputs)), DoseClue(mas=20.0), DoseClue(mas=2.0))
    return pair_window(qtbot, inputs, sides=sides)


def test_swap_asks_before_dropping_corrections_and_cancel_keeps_all(
    qtbot, inputs, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from vertapp.gui.xray.keep_corrections import CANCEL

    with _swappable(qtbot, inputs) as win:
        align(qtbot, win)
        win.table.choose(LEVEL)
        qtbot.keyClick(win, Qt.Key.Key_Right)
        asked: list = []
        monkeypatch.setattr(win, "ask", lambda q, _d: asked.append(q) or CANCEL)
        sides = win.sides
        win.act_swap.trigger()
        assert [q.title for q in asked] == ["Swap low and high dose?"]
        assert LEVEL in asked[0].text and not win.busy()
        assert win.sides is sides and win.state.corrected == {LEVEL}
        win.stack.setClean()  # teardown closes it


def test_a_cancelled_swap_leaves_the_window_as_it_was(qtbot, inputs) -> None:  # type: ignore[no-untyped-def]
    with _swappable(qtbot, inputs) as win:
        align(qtbot, win)
        state, sides, text = win.state, win.sides, win.roles.label.text()
        win.act_swap.trigger()
        assert win.busy() and not win.act_swap.isEnabled()
        win.cancel()
        qtbot.waitUntil(lambda: not win.busy(), timeout=30000)
        assert win.state is state and win.sides is sides and win.roles.label.text() == text


def test_the_project_pair_is_proposed_the_way_its_names_tell(qtbot) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.project_pair import Choice, ProjectPairDialog, proposed
    from vertapp.xray.pair_roles import name_word

    def choice(image_id: int, name: str) -> Choice:
        return Choice(image_id, f"{image_id}: {name}", DoseClue(name_word(name)))

    named = [choice(1, "spine_high.png"), choice(2, "spine_low.png"), choice(3, "c.png")]
    assert proposed(named, [1, 2]) == (2, 1)  # list order said 1 low; the names say 2
    plain = [choice(1, "a.png"), choice(2, "b.png")]
    assert proposed(plain, [2, 1]) == (2, 1)  # nothing tells: as selected
    dialog = ProjectPairDialog(named, *proposed(named, [1, 2]))
    qtbot.addWidget(dialog)
    assert dialog.roles.agrees is True and "names" in dialog.roles.label.text()
    dialog.swap()
    assert dialog.chosen() == (1, 2) and dialog.roles.agrees is False


# -- read-only projects -----------------------------------------------------------------------

READ_ONLY = "This project is open in another VertApp window, so it was opened read-only here."


def test_no_export_into_a_project_open_read_only(
    qtbot, window, inputs, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Exported into the read-only project's folder, the pair is refused in words, also from
    the close question's Export…, which keeps the window and its corrections; an export
    elsewhere is written."""
    from PySide6.QtCore import Qt

    from vertapp.gui.xray import pair_window as module
    from vertapp.gui.xray.keep_corrections import EXPORT
    from vertapp.gui.xray.open_pair import show_pair
    from vertapp.gui.xray.pair_home import home_of

    window.doc.open_project(small_project, read_only=READ_ONLY)
    before = sorted(p.name for p in small_project.rglob("*"))
    win = show_pair(lambda: pair_job(inputs), window, home=home_of(window.doc))
    qtbot.waitUntil(lambda: win.state is not None and not win.busy(), timeout=60000)
    win.export_to(small_project / "pair")
    assert not win.busy() and "read-only" in win.statusBar().currentMessage()
    assert win.notes.text().startswith("Not exported")
    win.table.choose(LEVEL)
    qtbot.keyClick(win, Qt.Key.Key_Right)
    monkeypatch.setattr(win, "ask", lambda _q, _d: EXPORT)
    monkeypatch.setattr(module.QFileDialog, "getExistingDirectory", lambda *_a: str(small_project))
    assert not win.close() and win.state.corrected == {LEVEL}
    assert sorted(p.name for p in small_project.rglob("*")) == before  # nothing written
    win.export_to(tmp_path / "elsewhere")
    qtbot.waitUntil(lambda: not win.busy(), timeout=30000)
    assert (tmp_path / "elsewhere" / "alignment.json").is_file()
    assert win.close()


def test_the_read_only_refusal_is_in_this_windows_words_and_read_whole(
    qtbot, window, inputs, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The refusal was the main window's ("File > Save project as… makes a copy"): this
    window has no File menu, and the words ran past the end of its status bar. It says the
    pair's way out, in a box and over the notes (read whole there, and the alignment's
    warnings stay), until an export is done."""
    from PySide6.QtWidgets import QMessageBox

    from vertapp.gui.xray.open_pair import show_pair
    from vertapp.gui.xray.pair_home import home_of

    window.doc.open_project(small_project, read_only=READ_ONLY)
    win = show_pair(lambda: pair_job(inputs), window, home=home_of(window.doc))
    qtbot.waitUntil(lambda: win.state is not None and not win.busy(), timeout=60000)
    warnings = win.notes.text()
    assert "torsion" in warnings
    told: list[tuple[str, str]] = []
    monkeypatch.setattr(win, "unattended", lambda: False)  # a user at the window: a box
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, t, x: told.append((t, x)))
    win.export_to(small_project / "pair")
    words = (
        "Not exported. This folder is inside a project open read-only in VertApp; "
        "export the pair to another folder."
    )
    assert told == [("Not exported here", words)]
    assert win.statusBar().currentMessage() == words
    assert win.notes.text() == f"{words}\n{warnings}"  # whole, over the warnings kept
    assert "File >" not in win.notes.text() and "Save project" not in win.notes.text()
    win.export_to(tmp_path / "elsewhere")
    qtbot.waitUntil(lambda: not win.busy(), timeout=30000)
    assert win.notes.text() == warnings and len(told) == 1
    assert win.close()
