"""The synthetic pair (T10-L5, L2 torsioned) and its pair window, for the pair-view tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.unit.xray.zoi_pairs import pair, zoi_sets
from vertapp.xray.pair import PairInputs, pair_job

TWISTED = "L2"


def torsioned_inputs() -> PairInputs:
    p = pair(0, "T10", "L5", torsion=TWISTED)
    low, high = zoi_sets(p)
    return PairInputs(p.low.array, p.high.array, low, high, p.low.pixel_spacing)


@contextmanager
def pair_window(qtbot: Any, inputs: PairInputs, sides: Any = None) -> Iterator[Any]:
    """A shown pair window on `inputs` (not aligned yet), marked headless as the tests'
    main window is; a run left going is cancelled. `sides`: its other way round."""
    import pyqtgraph as pg

    from vertapp.gui.xray.pair_window import PairWindow

    pg.setConfigOptions(imageAxisOrder="row-major")
    win = PairWindow(lambda: pair_job(inputs), sides=sides)
    win.setProperty("headless", True)  # no modal question at teardown (tests replace `ask`)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.worker is not None and win.worker.isRunning():
        win.cancel()
        win.worker.wait(10000)


def align(qtbot: Any, win: Any) -> None:
    win.start()
    qtbot.waitUntil(lambda: win.state is not None and not win.busy(), timeout=60000)
