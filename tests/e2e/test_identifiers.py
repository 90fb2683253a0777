"""A folder or file named after the patient does not show in the window by default."""

from __future__ import annotations

import numpy as np
import pytest

from tests.e2e.window_driver import open_and_wait as _open
from vertapp.gui.window.names import recent_entries

pytestmark = pytest.mark.gui
NAME = "DOE_JOHN_1961"


@pytest.fixture
def patient_files(tmp_path):  # type: ignore[no-untyped-def]
    """A radiograph and a saved project, both in folders named after the patient."""
    from PIL import Image

    from vertapp.annotations import store
    from vertapp.annotations.model import ImageRecord

    xray = tmp_path / NAME / f"{NAME}.png"
    xray.parent.mkdir()
    Image.fromarray((np.arange(80 * 60).reshape(80, 60) % 200).astype(np.uint8)).save(xray)
    folder = tmp_path / f"project_{NAME}"
    project = store.new_project(folder)
    Image.fromarray(np.zeros((50, 40), np.uint8)).save(folder / "images" / "m.png")
    project.add_image(ImageRecord(id=1, file_name="images/m.png", width=40, height=50))
    store.save_project(project, folder)
    return xray, folder


def _shown_texts(window) -> list[str]:  # type: ignore[no-untyped-def]
    window._fill_recent()
    acts = recent_entries(window.menu_recent)
    return [
        window.windowTitle(),
        window.panel.summary.text(),
        window.statusBar().currentMessage(),
        *(a.text() for a in acts),
        *(a.toolTip() for a in acts),
    ]


def test_names_and_paths_hidden_by_default(qtbot, window, patient_files) -> None:  # type: ignore[no-untyped-def]
    xray, project = patient_files
    assert window.act_hide_identifiers.isChecked()
    _open(qtbot, window, xray)
    assert window.windowTitle().startswith("untitled radiograph")
    _open(qtbot, window, project)
    assert window.windowTitle().startswith("project")
    texts = _shown_texts(window)
    assert not [t for t in texts if NAME in t], texts
    import re

    entries = [a.text() for a in recent_entries(window.menu_recent)]
    kinds = [re.sub(r" · (saved|opened|open now)\b.*$", "", t) for t in entries]
    assert kinds == ["&1  project folder · 1 image · CT MIP", "&2  radiograph (.png)"]


def test_hidden_recent_projects_are_told_apart_without_their_names(
    qtbot, window, patient_files, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Six of ten entries read "project folder": now what each holds, when it was saved
    and opened, read from project.json (its kind words alone when that cannot be read),
    and a tag of its path; the project open in the window is marked."""
    import re

    from PIL import Image

    from vertapp.annotations import store
    from vertapp.annotations.model import ImageRecord

    _xray, one_mip = patient_files
    mixed = tmp_path / f"mixed_{NAME}"
    project = store.new_project(mixed)
    for i, kind in enumerate(("mip", "radiograph", "radiograph"), start=1):
        Image.fromarray(np.zeros((50, 40), np.uint8)).save(mixed / "images" / f"{i}.png")
        project.add_image(
            ImageRecord(id=i, file_name=f"images/{i}.png", width=40, height=50, kind=kind)
        )
    store.save_project(project, mixed)
    _open(qtbot, window, one_mip)
    _open(qtbot, window, mixed)
    texts = _shown_texts(window)
    assert not [t for t in texts if NAME in t], texts
    entries = [a.text() for a in recent_entries(window.menu_recent)]
    when = r"\d{1,2} [A-Z][a-z]{2} \d\d:\d\d"
    tag = r"#[0-9a-f]{4}"
    mixed_words = rf"project folder · 3 images · CT MIP \+ X-ray · saved {when}"
    assert re.fullmatch(rf"&1  {mixed_words} · open now · {tag}", entries[0]), entries[0]
    one_words = rf"project folder · 1 image · CT MIP · saved {when} · opened {when}"
    assert re.fullmatch(rf"&2  {one_words} · {tag}", entries[1]), entries[1]
    (mixed / "project.json").write_text("not json")  # unreadable: the kind words still
    window._fill_recent()
    first = recent_entries(window.menu_recent)[0].text()
    assert re.fullmatch(rf"&1  project folder · saved {when} · open now · {tag}", first), first


def test_switch_off_shows_names_and_is_remembered(qtbot, window, patient_files) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window.main_window import MainWindow

    xray, project = patient_files
    _open(qtbot, window, xray)
    window.act_hide_identifiers.setChecked(False)
    assert window.windowTitle().startswith(xray.name)  # follows at once
    window._fill_recent()
    (act,) = recent_entries(window.menu_recent)
    assert act.text() == xray.name and act.toolTip() == str(xray)
    second = MainWindow()
    qtbot.addWidget(second)
    assert not second.act_hide_identifiers.isChecked()  # kept in the settings
    second.act_hide_identifiers.setChecked(True)
    assert window.act_hide_identifiers.isChecked() is False  # each window's own action
    window.update_title()
    assert NAME not in window.windowTitle()


def test_a_saved_project_holds_no_name_of_the_opened_file(
    qtbot, window, patient_files, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Open DOE_JOHN_1961.png, save it as a project: no file in the project, nor
    project.json, nor a COCO export carries the name (opt-in: identifiers switch off)."""
    xray, _project = patient_files
    _open(qtbot, window, xray)
    folder = tmp_path / "saved"
    assert window.save(folder)
    assert window.export(tmp_path / "export.json", "coco")
    window.files.wait_for_export()
    names = [p.name for p in folder.rglob("*")]
    texts = [(folder / "project.json").read_text(), (tmp_path / "export.json").read_text()]
    assert not [n for n in names if NAME in n] and not [t for t in texts if NAME in t], names
    window.act_hide_identifiers.setChecked(False)  # the user opts in: names kept
    _open(qtbot, window, xray)
    assert window.doc.project.images[window.doc.current_id].file_name == f"images/{NAME}.png"
    window.act_hide_identifiers.setChecked(True)


def test_the_train_dialog_names_no_file_or_patient_and_follows_the_switch(
    qtbot, window, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Model > Train listed the project's file names ("DOE_JOHN_1961.png") and patient keys
    with names hidden: now "image 1", "patient 1", renamed at once when View > Hide names
    and paths changes while the dialog is open."""
    from PIL import Image

    from vertapp.annotations import store
    from vertapp.annotations.model import ImageRecord, Instance
    from vertapp.gui.model.workflow import install_model_workflow

    folder = tmp_path / "project"
    project = store.new_project(folder)
    Image.fromarray(np.zeros((50, 40), np.uint8)).save(folder / "images" / f"{NAME}.png")
    rec = ImageRecord(id=1, file_name=f"images/{NAME}.png", width=40, height=50)
    rec.patient_key = NAME
    square = np.array([[10, 10], [30, 10], [30, 30], [10, 30]], dtype=float)
    rec.instances.append(Instance(id=1, label="L1", polygons=[square]))
    project.add_image(rec)
    store.save_project(project, folder)
    flow = install_model_workflow(window)
    _open(qtbot, window, folder)
    dialog = flow.train()
    assert dialog is not None
    row = lambda: [dialog.table.item(0, c).text() for c in range(3)]  # noqa: E731
    assert row() == ["image 1", "patient 1", "1"]
    window.act_hide_identifiers.setChecked(False)  # the dialog stays open
    assert row() == [f"{NAME}.png", NAME, "1"]
    window.act_hide_identifiers.setChecked(True)
    assert row() == ["image 1", "patient 1", "1"]
    dialog.close()


def test_names_of_scans_opened_with_names_hidden_stay_out_of_the_log(
    qtbot, window, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Log lines "MUSTERMANN_HANS: no such file or folder" and "…/DOE_JANE_CT.dcm: DICOM file has no
    pixel data" reached vertapp.log: paths keep their last part there, and the window's
    error messages name the file they are about."""
    import logging

    from vertapp import logs

    monkeypatch.setenv("VERTAPP_LOG_DIR", str(tmp_path / "logs"))
    root = logging.getLogger()
    before = list(root.handlers)
    log_file = logs.setup_file_logging()
    try:
        window.open_path(tmp_path / "MUSTERMANN_HANS")  # not there
        broken = tmp_path / "DOE_JANE" / "DOE_JANE_CT.dcm"
        broken.parent.mkdir()
        broken.write_bytes(b"DICM but no pixel data")
        with qtbot.waitSignal(window.loaded, timeout=30_000):
            window.open_path(broken)
        assert "DOE_JANE_CT.dcm" in window._last_error  # the user is told which file
        for handler in root.handlers:
            handler.flush()
        text = log_file.read_text(encoding="utf-8")
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
    assert "no such file" in text and text.count("[redacted]") >= 2, text
    assert "MUSTERMANN" not in text and "DOE_JANE" not in text, text
