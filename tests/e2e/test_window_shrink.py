"""The MIP keeps a usable share of a window that shrinks (a radiologist's walk-through).

Qt gives a QMainWindow's whole loss of width to its central widget: 1600 -> 1280 px with
the review panel open left the MIP 82 px wide. `view_shares` makes the docks give up
their share too.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from tests.e2e.window_driver import open_and_wait as _open
from vertapp.gui.window.view_shares import MIN_SHARE, shared_widths

pytestmark = pytest.mark.gui
SIZES = ((1600, 1000), (1280, 720), (1024, 700))


def _resize(window, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    window.resize(*size)
    for _ in range(5):  # the resize, then the docks' new sizes (a posted relayout)
        QApplication.processEvents()
    assert window.width() == size[0]


def _mip_share(window) -> float:  # type: ignore[no-untyped-def]
    return window.annot.width() / window.width()


def test_the_mip_keeps_its_share_as_the_window_shrinks(qtbot, window, phantom_nifti) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, phantom_nifti)
    shares = []
    for size in SIZES:
        _resize(window, size)
        shares.append(_mip_share(window))
        assert window.dock_axial.isVisible() and window.dock_axial.width() > 250
    assert min(shares) >= MIN_SHARE, shares  # was 48 %, 35 %, 19 %
    _resize(window, SIZES[0])  # grown again: the MIP has the room
    assert _mip_share(window) >= shares[0] - 0.01


def test_with_the_review_panel_open_too(qtbot, window, phantom_nifti) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.model.workflow import install_model_workflow

    flow = install_model_workflow(window)
    _open(qtbot, window, phantom_nifti)
    _resize(window, SIZES[0])
    flow.show_review()
    qtbot.waitUntil(lambda: flow.review_dock.width() > 300)  # sized for 1600 px
    _resize(window, SIZES[1])
    assert _mip_share(window) >= MIN_SHARE - 0.01  # was 82 px, 6 %
    _resize(window, SIZES[2])
    # the labels dock (222 px) and the axial view's W/L row stop at their minimum
    # widths: the review panel gives up the rest (it scrolls)
    assert _mip_share(window) >= 0.35
    assert flow.review_dock.isVisible() and flow.review_dock.width() >= 68


def test_shared_widths_scale_the_docks_and_keep_the_floor() -> None:
    # 1600 -> 1280: docks scaled by 0.8; the central view keeps well over 40 %
    assert shared_widths([200, 400], [50, 50], 1000, 1600, 1280) == [160, 320]
    # a narrow central view: the docks give it MIN_SHARE of the window
    widths = shared_widths([300, 500, 400], [100, 100, 100], 100, 1300, 1200)
    assert 300 + 500 + 400 + 100 - sum(widths) >= MIN_SHARE * 1200 - 1
    # a dock at its minimum gives nothing more; the others give its part
    widths = shared_widths([222, 520, 400], [222, 100, 68], 80, 1600, 1280)
    assert widths[0] == 222 and widths[1] / widths[2] == pytest.approx(520 / 400, rel=0.01)
    assert 222 + 520 + 400 + 80 - sum(widths) >= MIN_SHARE * 1280 - 1
