"""Model > Predict on a radiograph (issue #13): the X-ray engine runs (stubbed here to
return the synthetic truth, one pedicle given the wrong vertebra), the predicted parts
carry their level, are painted in their vertebra's colour and listed as "L3 body" in the
review panel; accept, reject and a level corrected from the keyboard work as for MIPs,
and the saved project.json keeps every level."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.unit.xray.test_predict_images import tiny_checkpoint
from vertapp.xray import predict_images
from vertapp.xray.detect import FoundPart
from vertapp.xray.parts import MODEL_VOCABULARIES, vertebra_of

WRONG = ("pedicle", "L4")  # predicted as L3: the reviewer moves it back to L4


@pytest.fixture(scope="module")
def xray(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[FoundPart]]:
    """A synthetic radiograph (L2..L4) as PNG, and what the stub engine 'finds' on it."""
    from PIL import Image

    from vertapp.synth import make_radiograph_pair

    pair = make_radiograph_pair(seed=2, first="L2", last="L4")
    arr = pair.high.array
    u8 = np.clip(255 * (arr - arr.min()) / max(float(np.ptp(arr)), 1e-6), 0, 255)
    folder = tmp_path_factory.mktemp("predict_xray")
    path = folder / "lateral.png"
    Image.fromarray(u8.astype(np.uint8)).save(path)
    found = [
        FoundPart(p.part, "L3" if (p.part, p.level) == WRONG else p.level, p.mask, 0.95)
        for p in pair.high_parts
        if p.part in ("body", "pedicle") and p.mask.any()
    ]
    return path, found


def in_this_process(target, *args, **_kw):  # type: ignore[no-untyped-def]
    """Runs the engine job here (the window runs it in a child process)."""
    return target(*args)


def test_predict_review_and_correct_on_a_radiograph(  # type: ignore[no-untyped-def]
    qtbot, window, xray, tmp_path, monkeypatch
) -> None:
    from vertapp.gui.model.jobs import predict_in_process
    from vertapp.gui.model.workflow import install_model_workflow
    from vertapp.gui.widgets.colors import level_color

    png, found = xray
    monkeypatch.setattr(predict_images, "predict_radiograph", lambda *a, **k: found)
    workflow = install_model_workflow(window)
    panel, review = workflow.predict_panel, workflow.review_panel
    panel._factory = lambda p, s, f: predict_in_process(p, s, f, runner=in_this_process)
    panel.set_model_path(tiny_checkpoint(tmp_path / "parts.pt", list(MODEL_VOCABULARIES["parts"])))
    with qtbot.waitSignal(window.loaded, timeout=30_000):
        window.open_path(png)
    with qtbot.waitSignal(panel.run_finished, timeout=60_000):
        workflow.act_predict_current.trigger()

    img = window.doc.project.images[window.doc.current_id]
    got = sorted((i.label, vertebra_of(i.extra), i.source) for i in img.instances)
    assert got == sorted((f.part, f.level, "predicted") for f in found)
    # Grouped by vertebra on screen: a body and its pedicle share their level's colour.
    shapes = window.annot.layer.shapes
    by = {(vertebra_of(i.extra), i.label): i.id for i in img.instances}
    body, pedicle = shapes[by[("L2", "body")]], shapes[by[("L2", "pedicle")]]
    assert body.color == pedicle.color == level_color("L2") != shapes[by[("L3", "body")]].color
    rows = {review.table.item(r, 0).text() for r in range(review.table.rowCount())}
    assert {"L2 body", "L3 body", "L4 body", "L2 pedicle"} <= rows

    # Accept L2's body, reject L2's pedicle (review panel, as on a MIP).
    review.select_instance(by[("L2", "body")])
    review.accept_selected()
    review.select_instance(by[("L2", "pedicle")])
    review.reject_selected()
    assert window.doc.project.instance(by[("L2", "body")]).reviewed
    assert not window.doc.project.has_instance(by[("L2", "pedicle")])

    # Correct: the pedicle predicted as L3 that belongs to L4 (Select mode, V, "L4").
    wrong = [i for i in img.instances if i.label == "pedicle" and vertebra_of(i.extra) == "L3"]
    wrong_id = max(wrong, key=lambda i: np.concatenate(i.polygons)[:, 1].mean()).id  # lowest
    window.activateWindow()
    window.annot.canvas.view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_S)
    window.annot.tool.select(wrong_id)
    qtbot.keyClick(window, Qt.Key.Key_V)
    qtbot.keyClicks(QApplication.focusWidget(), "L4")
    fixed = window.doc.project.instance(wrong_id)
    assert (vertebra_of(fixed.extra), fixed.source) == ("L4", "corrected")

    folder = tmp_path / "reviewed"
    assert window.save(folder, wait=True), window._last_error
    data = json.loads((folder / "project.json").read_text(encoding="utf-8"))
    names = {c["id"]: c["name"] for c in data["categories"]}
    saved = sorted((names[a["category_id"]], a["vertapp"]["vertebra"]) for a in data["annotations"])
    expected = sorted((f.part, f.level) for f in found if (f.part, f.level) != ("pedicle", "L2"))
    expected[expected.index(("pedicle", "L3"))] = ("pedicle", "L4")
    assert saved == sorted(expected)
