"""Issue #19 item 5: saving a new project from the window."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.window_driver import open_and_wait as _open


def test_after_saving_a_new_project_the_ct_is_still_shown(
    qtbot, window, phantom_nifti, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, phantom_nifti)
    volume = window.axial.volume
    assert volume is not None
    assert window.save(tmp_path / "proj", wait=True)
    qtbot.wait(50)
    assert window.axial.volume is not None
    assert "not loaded" not in window.axial.info.text()
    window.images.show_image(window.doc.current_id)  # shown again (e.g. after browsing)
    assert window.axial.volume is not None
    assert window.doc.current_id in window.doc.ct


def test_save_as_starts_outside_the_cwd_and_creates_a_typed_folder(
    qtbot, window, phantom_nifti, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window import save_dialog

    asked: list[str] = []

    def fake_dialog(parent, title, start, filters, options=None):  # type: ignore[no-untyped-def]
        asked.append(start)
        return str(tmp_path / "new folder" / "typed name"), ""  # a name the user typed

    monkeypatch.setattr(save_dialog.QFileDialog, "getSaveFileName", fake_dialog)
    monkeypatch.chdir(tmp_path)  # the cwd: where the old dialog started
    _open(qtbot, window, phantom_nifti)
    assert window.files.ask_save_as()
    start = Path(asked[0])
    assert start.parent != tmp_path and start.name == "spine_project"
    assert "phantom" not in asked[0]  # the scan's name (maybe the patient's) is not suggested
    saved = tmp_path / "new folder" / "typed name"
    assert (saved / "project.json").is_file()
    assert window.axial.volume is not None  # the CT stays on screen
    # the next new project starts where this one was saved, with a free name
    window.doc.stack.setClean()
    _open(qtbot, window, phantom_nifti)
    window.files.ask_save_as()
    assert Path(asked[1]).parent == tmp_path / "new folder"
