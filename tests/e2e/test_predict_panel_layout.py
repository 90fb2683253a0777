"""The predict panel's words get the lines they need beside the axial view at 1280 x 800:
in a splitter with the review list, its run and summary lines were drawn over each other
after a run (the splitter kept the panel at the height it had before)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

LONG_RUN = (
    "6 vertebrae predicted by the starter model (epoch 4); this project has no model of its own."
)
LONG_SUMMARY = (
    "6 predicted vertebrae in this project, from the starter model (epoch 4); 6 waiting for review"
)


def test_run_and_summary_lines_never_overlap_at_1280(qtbot):
    from vertapp.gui.model.workflow import install_model_workflow
    from vertapp.gui.window.main_window import MainWindow

    win = MainWindow()
    win.setProperty("headless", True)
    qtbot.addWidget(win)
    flow = install_model_workflow(win)
    win.resize(1280, 800)
    win.show()
    flow.review_dock.show()
    qtbot.wait(20)
    panel = flow.predict_panel
    panel._say(LONG_RUN)  # a run ends: its line appears above the summary
    panel.summary.setText(LONG_SUMMARY)
    qtbot.wait(20)
    status, summary = panel.status.geometry(), panel.summary.geometry()
    assert status.bottom() < summary.top()
    for label in (panel.status, panel.summary):
        assert label.height() >= label.heightForWidth(label.width()), label.text()
