"""The pair view writes every vertebra's level on its three views, as check.png does (audit
r16: on a real pair no level was shown anywhere; telling which bone was the fallback T7
took a click per table row). Captions sit beside each box, follow a hand correction and
its undo, and take the row's check colour."""

from __future__ import annotations

from typing import Any

import numpy as np
from pair_view import TWISTED, align, pair_window, torsioned_inputs

from vertapp.xray.fuse import COLOURS


def _caption(pane: Any, level: str) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Where the level's caption is anchored, in the pane's image pixels, and its colour."""
    item = pane.captions[level]
    at = pane.image.mapFromItem(item.parentItem(), item.pos())
    colour = item.color
    return np.array([at.x(), at.y()]), (colour.red(), colour.green(), colour.blue())


def _rgb(kind: str) -> tuple[int, int, int]:
    b, g, r = COLOURS[kind][0]
    return r, g, b


def test_every_level_is_written_beside_its_vertebra_and_follows_a_correction(qtbot) -> None:  # type: ignore[no-untyped-def]
    with pair_window(qtbot, torsioned_inputs()) as win:
        align(qtbot, win)
        state, images = win.state, win.images
        levels = [r.level for r in state.rows()]
        for pane in images.panes:
            assert sorted(pane.captions) == sorted(levels)
            assert all(pane.captions[lv].toPlainText() == lv for lv in levels)
        for level in levels:
            x, y, w, h = state.inputs.high_zois[level].bbox
            at, _ = _caption(images.high_pane, level)
            assert x + w <= at[0] <= x + w + 6 and y <= at[1] <= y + h  # right of its box
            landing = state.landing(level)
            for pane in (images.low_pane, images.fused_pane):
                at, _ = _caption(pane, level)
                assert np.max(landing[:, 0]) <= at[0] <= np.max(landing[:, 0]) + 6
                assert abs(at[1] - np.mean(landing[:, 1])) < 0.5
        # the torsioned vertebra is warned: amber, as check.png draws it
        assert _caption(images.fused_pane, TWISTED)[1] == _rgb("warned")
        assert _caption(images.fused_pane, "L4")[1] == _rgb("aligned")
        warned, fine = images.fused_pane.captions[TWISTED], images.fused_pane.captions["L4"]
        assert warned.zValue() > fine.zValue()  # a warned one is never hidden by a neighbour

        win.table.choose("L4")
        before, _ = _caption(images.low_pane, "L4")
        high_before, _ = _caption(images.high_pane, "L4")
        for _ in range(5):
            win.nudge((0.0, 2.0, 0.0, 1.0))  # 10 px down
        after, colour = _caption(images.low_pane, "L4")
        np.testing.assert_allclose(after - before, [0.0, 10.0], atol=0.01)
        assert colour == _rgb("by hand")
        np.testing.assert_allclose(_caption(images.high_pane, "L4")[0], high_before)  # stays
        win.stack.undo()
        back, colour = _caption(images.fused_pane, "L4")
        np.testing.assert_allclose(back, before, atol=0.01)
        assert colour == _rgb("aligned")
        win.stack.setClean()


def test_fit_leaves_room_for_the_levels_beside_the_film_edge(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Fit showed the film to its right edge: a level written beside a vertebra that
    reaches it was cut ("T1" for T10)."""
    with pair_window(qtbot, torsioned_inputs()) as win:
        align(qtbot, win)
        win.images.fit()
        w = win.images.low8.shape[1]
        (x0, x1), _ = win.images.low_pane.box.viewRange()
        assert x0 <= 0 and x1 >= 1.1 * w
