"""The project list names each image on its own line: the status beside it squeezed a
name like ct-ac9a422afc7e_mip.png to "c…mip.png" in the dock's width."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from vertapp.gui.window.project_panel import ProjectPanel  # noqa: E402


def test_name_and_kind_on_one_line_status_on_the_next(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = ProjectPanel()
    qtbot.addWidget(panel)
    panel.model.kind_of = lambda row: ["mip", "radiograph"][row]
    status = ["in progress, 12 to review", "completed"]
    panel.set_rows(["ct-ac9a422afc7e_mip.png", "xray-0123456789ab.png"], status.__getitem__, "p")
    text = [panel.model.data(panel.model.index(r), Qt.ItemDataRole.DisplayRole) for r in (0, 1)]
    assert text == [
        "ct-ac9a422afc7e_mip.png  [CT MIP]\nin progress, 12 to review",
        "xray-0123456789ab.png  [X-ray]\ncompleted",
    ]
    assert panel.summary.text() == "p: 2 images (1 CT MIP, 1 X-ray)"
