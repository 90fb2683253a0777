"""Fixtures for the end-to-end GUI tests: a phantom on disk and a fresh main window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def phantom_nifti(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small CT phantom (T12..L2) written as NIfTI."""
    from vertapp.io import write_volume
    from vertapp.synth import make_ct_phantom

    ph = make_ct_phantom(seed=3, first="T12", last="L2")
    path = tmp_path_factory.mktemp("phantom") / "phantom.nii.gz"
    write_volume(ph.volume, path)
    return path


@pytest.fixture
def window(qtbot) -> Iterator:  # type: ignore[no-untyped-def]
    import pyqtgraph as pg

    from vertapp.gui.window.main_window import MainWindow

    pg.setConfigOptions(imageAxisOrder="row-major")
    win = MainWindow()
    win.setProperty("headless", True)  # no modal questions during tests
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.worker is not None and win.worker.isRunning():
        win.worker.cancel()
        win.worker.wait(10000)
    win.doc.stack.setClean()


@pytest.fixture
def small_project(tmp_path: Path) -> Path:
    """A saved project folder: one 120x100 MIP PNG with one L1 square (no CT behind it)."""
    import numpy as np
    from PIL import Image

    from vertapp.annotations import store
    from vertapp.annotations.model import ImageRecord, Instance

    folder = tmp_path / "small"
    project = store.new_project(folder)
    pixels = (np.add.outer(np.arange(100), np.arange(120)) % 256).astype(np.uint8)
    Image.fromarray(pixels).save(folder / "images" / "m.png")
    project.add_image(ImageRecord(id=1, file_name="images/m.png", width=120, height=100))
    square = np.array([[30, 30], [70, 30], [70, 60], [30, 60]], dtype=float)
    project._insert_instance(
        1, Instance(id=project.new_instance_id(), label="L1", polygons=[square]), None
    )
    store.save_project(project, folder)
    return folder


@pytest.fixture
def opened(qtbot, window, small_project):  # type: ignore[no-untyped-def]
    """The window on `small_project`: one 120 x 100 MIP holding an L1 square (30..70, 30..60)."""
    with qtbot.waitSignal(window.loaded, timeout=30_000) as blocker:
        window.open_path(small_project)
    assert blocker.args == [True]
    return window


@pytest.fixture(scope="module")
def ct_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved project of four MIPs, each with its source CT and preprocessing (one
    labelled): for browsing tests (the CT reads as images are stepped)."""
    from vertapp.demo import DemoCase, build_demo_project
    from vertapp.jobs import run_job

    cases = (
        DemoCase("a", seed=5, first="T12", last="L2"),
        DemoCase("b", seed=6, first="L1", last="L3", labelled=False),
        DemoCase("c", seed=7, first="T11", last="L1", labelled=False),
        DemoCase("d", seed=8, first="L2", last="L4", labelled=False),
    )
    folder = tmp_path_factory.mktemp("ctproj") / "demo"
    run_job(build_demo_project(folder, cases))
    return folder
