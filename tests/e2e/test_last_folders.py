"""The window's file dialogs start where the user last chose that kind of thing (scans,
radiographs, projects, exports), kept in the app settings; they started in the working
folder. A chosen folder is remembered by the folder it lies in, so a DICOM folder named
after its patient is not stored again. And Export 3D labels… with no CT on screen says
so before its dialog (it refused only after OK)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.gui


class FolderDialog:
    """Stands in for QFileDialog: records where each dialog starts, answers in turn."""

    def __init__(self, answers: list[str]) -> None:
        self.starts: list[str] = []
        self.answers = answers

    def folder(self, parent, title, start="", *rest, **kw):  # type: ignore[no-untyped-def]
        self.starts.append(start)
        return self.answers.pop(0) if self.answers else ""

    def file(self, parent, title, start="", *rest, **kw):  # type: ignore[no-untyped-def]
        return self.folder(parent, title, start), ""


@pytest.fixture
def dialogs(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    fake = FolderDialog([])
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", fake.folder)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake.file)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake.file)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")  # where the dialogs used to start
    return fake


def test_each_kind_of_dialog_starts_where_its_last_choice_was(
    qtbot, window, small_project, tmp_path, dialogs
) -> None:  # type: ignore[no-untyped-def]
    patient = tmp_path / "scans" / "DOE_JOHN"
    patient.mkdir(parents=True)  # an empty folder: refused in words, still a choice made
    dialogs.answers = [str(patient), ""]
    window.files.ask_open_dicom()
    window.files.ask_open_dicom()
    assert dialogs.starts[0] != str(tmp_path / "cwd")
    assert dialogs.starts[1] == str(tmp_path / "scans")  # beside the last patient's folder
    dialogs.answers = [""]
    window.files.ask_open_radiograph()  # another kind: not where the scans were
    assert dialogs.starts[2] not in (str(tmp_path / "scans"), str(tmp_path / "cwd"))
    dialogs.answers = [str(small_project), ""]
    with qtbot.waitSignal(window.loaded, timeout=30_000):
        window.files.ask_open_project()
    window.files.ask_open_project()
    assert dialogs.starts[4] == str(small_project.parent)
    dialogs.answers = [str(tmp_path / "out" / "mine.json"), ""]
    window.files.ask_export_coco()
    window.files.wait_for_export()
    window.files.ask_export_via()
    assert Path(dialogs.starts[6]) == tmp_path / "out" / "via_project.json"


def test_remembered_folders_hold_no_name_the_user_did_not_choose(window, tmp_path, dialogs) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window.names import settings

    patient = tmp_path / "scans" / "DOE_JOHN"
    patient.mkdir(parents=True)
    dialogs.answers = [str(patient)]
    window.files.ask_open_dicom()
    stored = {k: settings().value(k) for k in settings().allKeys() if "folder" in k}
    assert stored and not any("DOE_JOHN" in str(v) for v in stored.values()), stored


def test_export_3d_labels_with_no_ct_is_refused_before_its_dialog(window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window.labels3d_dialog import Export3DDialog

    opened: list[bool] = []
    monkeypatch.setattr(Export3DDialog, "exec", lambda self: opened.append(True) or 0)
    window.labels3d.ask_export()
    assert opened == []
    assert "Export 3D labels needs" in window._last_error and "open a CT" in window._last_error
