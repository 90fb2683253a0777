"""An 8-bit scan opened in the window: the reader's verdict ("not CT in Hounsfield units")
is kept with its MIP, saved with the project, and Predict asks before predicting it
(`vertapp predict` skips such a volume unless --predict-non-hu; the window predicted it
and showed vertebrae on it). Headless, the question is answered Skip, never blocking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from tests.e2e.window_driver import answer_by_title, open_and_wait
from tests.unit.gui_ml.test_predict_compare import run_for
from vertapp.annotations.hu_verdict import NOT_HU, record_not_hu
from vertapp.gui.model.workflow import NOT_HU_TITLE, install_model_workflow


@pytest.fixture(scope="module")
def u8_nifti(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small phantom spine saved as an 8-bit picture (values 0..255), as NIfTI."""
    from vertapp.io import write_volume
    from vertapp.io.volume import Volume
    from vertapp.synth import make_ct_phantom

    ph = make_ct_phantom(seed=0, first="L3", last="L5")
    u8 = np.clip((ph.volume.array.astype(np.float32) + 1000) / 3000 * 255, 0, 255)
    path = tmp_path_factory.mktemp("u8") / "u8.nii.gz"
    write_volume(Volume(u8.astype(np.uint8), ph.volume.spacing), path)
    return path


def _fake_runs(panel) -> list[list[int]]:  # type: ignore[no-untyped-def]
    given: list[list[int]] = []

    def factory(path, snaps, floor):  # type: ignore[no-untyped-def]
        given.append([s.image_id for s in snaps])
        yield from ()
        return run_for([s.image_id for s in snaps])

    panel._factory = factory
    return given


def test_an_8_bit_scan_is_asked_about_before_predict(
    qtbot, window, u8_nifti, monkeypatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    wf = install_model_workflow(window)
    open_and_wait(qtbot, window, u8_nifti)
    image_id = window.doc.current_id
    verdict = record_not_hu(window.doc.current.extra.get("vertapp"))
    assert verdict is not None and "not CT in Hounsfield units" in verdict
    panel = wf.predict_panel
    given = _fake_runs(panel)
    model = tmp_path / "m.pt"
    model.write_bytes(b"x")
    panel.set_model_path(model)

    wf.act_predict_current.trigger()  # Ctrl+P, headless: Skip, nothing predicted
    assert given == [] and not panel.is_running()
    assert "not predicted" in panel.status.text()

    asked = answer_by_title(
        window, monkeypatch, {NOT_HU_TITLE: "anyway"}, anyway=QMessageBox.StandardButton.Yes
    )
    with qtbot.waitSignal(panel.run_finished, timeout=10_000):
        wf.act_predict_current.trigger()
    assert asked == [NOT_HU_TITLE] and given == [[image_id]]

    assert window.save(tmp_path / "proj", wait=True)  # the verdict is kept with the project
    from vertapp.annotations.store import load_project

    saved = load_project(tmp_path / "proj")
    assert saved.images[image_id].extra["vertapp"][NOT_HU] == verdict
