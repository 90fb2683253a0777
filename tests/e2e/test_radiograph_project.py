"""Issue #13 item 3: radiographs in a project. The list shows each image's kind (a
project mixes CT MIPs and X-rays); File > Import landmark radiographs… adds a synthetic
AASCE-layout folder to the open project (progress, cancel, errors in words); File > Pair two
radiographs of the project… aligns two radiographs on their own outlines."""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.e2e.window_driver import open_and_wait as _open
from tests.unit.xray.test_landmarks import NAMES, _dataset
from tests.unit.xray.zoi_pairs import pair, parts_by_level
from vertapp.annotations import store
from vertapp.annotations.geometry import mask_to_polygons
from vertapp.annotations.model import ImageRecord, Instance
from vertapp.labels import VERTEBRAE
from vertapp.xray.display import stored_pixels


def _action(window, text: str):  # type: ignore[no-untyped-def]
    return next(a for a in window.findChildren(type(window.act_save)) if a.text() == text)


def _row_text(window, row: int) -> str:
    return str(window.panel.model.data(window.panel.model.index(row)))


def test_project_list_shows_each_images_kind(qtbot, window, small_project) -> None:  # type: ignore[no-untyped-def]
    project = store.load_project(small_project)
    cv2.imwrite(str(small_project / "images" / "x.png"), np.zeros((50, 20), np.uint8))
    project.add_image(
        ImageRecord(id=2, file_name="images/x.png", width=20, height=50, kind="radiograph")
    )
    store.save_project(project)
    _open(qtbot, window, small_project)
    assert "CT MIP" in _row_text(window, 0) and "X-ray" not in _row_text(window, 0)
    assert "X-ray" in _row_text(window, 1)
    assert "1 CT MIP, 1 X-ray" in window.panel.summary.text()
    window.step_image(1)  # the radiograph shows with its window/level, the MIP without
    assert window.annot.levels.isVisible()
    window.step_image(-1)
    assert not window.annot.levels.isVisible()


def _import_landmarks(qtbot, window, monkeypatch, folder: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    _action(window, "Import landmark radio&graphs…").trigger()


def test_landmark_radiographs_join_the_open_project(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)  # a saved CT project: bodies are labelled T1..L5
    _import_landmarks(qtbot, window, monkeypatch, _dataset(tmp_path / "aasce"))
    qtbot.waitUntil(lambda: len(window.doc.image_ids) == 1 + len(NAMES), timeout=30_000)
    window.files.wait_for_save()
    added = [window.doc.project.images[i] for i in window.doc.image_ids[1:]]
    assert all(r.kind == "radiograph" for r in added)
    for rec in added:
        assert [i.label for i in rec.instances] == list(VERTEBRAE)
        assert [i.extra["vertapp"]["vertebra"] for i in rec.instances] == list(VERTEBRAE)
    assert window.doc.current_id == window.doc.image_ids[1]
    assert "X-ray" in _row_text(window, 1) and "CT MIP" in _row_text(window, 0)
    saved = json.loads((small_project / "project.json").read_text())  # saved on disk
    assert len(saved["images"]) == 4 and len(saved["annotations"]) == 1 + 3 * 17
    assert all((small_project / r.file_name).is_file() for r in added)
    assert not any("sunhl" in r.file_name for r in added)  # neutral names


def test_landmark_films_read_doubts_stay_in_view_by_row(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The films' read warnings (colour converted) were only logged; the warning bar now
    keeps them, naming rows, never the dataset's file names (they may be patients')."""
    from tests.unit.xray.test_landmark_import import colour_rows

    _open(qtbot, window, small_project)
    src = _dataset(tmp_path / "aasce")
    colour_rows(src, (2, 3))
    _import_landmarks(qtbot, window, monkeypatch, src)
    qtbot.waitUntil(lambda: len(window.doc.image_ids) == 1 + len(NAMES), timeout=30_000)
    window.files.wait_for_save()
    bar = window.warning_bar
    assert bar.lines == ["images 2, 3: colour image converted to grey"]
    assert not bar.isHidden() and "rows of landmarks.csv" in bar.label.text()
    assert not any(name in bar.label.text() for name in NAMES)


def test_landmark_import_refusals_and_cancel(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import vertapp.xray.landmark_import as core
    from vertapp.xray.landmark_import import prepare_landmarks_job

    (tmp_path / "empty").mkdir()
    _open(qtbot, window, small_project)
    _import_landmarks(qtbot, window, monkeypatch, tmp_path / "empty")
    qtbot.waitUntil(lambda: not window.busy(), timeout=10_000)
    assert "no landmarks.csv" in window._last_error and len(window.doc.image_ids) == 1

    def slow(*args):  # type: ignore[no-untyped-def]
        for event in prepare_landmarks_job(*args):
            yield event
            time.sleep(0.3)

    monkeypatch.setattr(core, "prepare_landmarks_job", slow)  # the window's job runs it
    _import_landmarks(qtbot, window, monkeypatch, _dataset(tmp_path / "aasce"))
    images = small_project / "images"
    qtbot.waitUntil(lambda: len(list(images.iterdir())) == 2, timeout=10_000)  # one copied
    window.jobs.cancel()
    qtbot.waitUntil(lambda: not window.busy(), timeout=10_000)
    assert len(window.doc.image_ids) == 1 and [p.name for p in images.iterdir()] == ["m.png"]


def test_untitled_project_is_told_to_save_first(qtbot, window, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    film = tmp_path / "film.png"
    cv2.imwrite(str(film), np.full((80, 40), 100, np.uint8))
    _open(qtbot, window, film)
    _import_landmarks(qtbot, window, monkeypatch, _dataset(tmp_path / "aasce"))
    assert "Save the project first" in window._last_error and not window.busy()


@pytest.fixture
def pair_project(tmp_path: Path) -> Path:
    """A saved project of the synthetic lateral pair (T10-L5): two 16-bit radiographs, each
    vertebra's parts outlined with their level, as a user (or the model) would leave them."""
    p = pair(0, "T10", "L5")
    folder = tmp_path / "pair"
    project = store.new_project(folder, label_set="parts")
    for image_id, (name, film, parts) in enumerate(
        (("low", p.low, p.low_parts), ("high", p.high, p.high_parts)), start=1
    ):
        cv2.imwrite(str(folder / "images" / f"{name}.png"), stored_pixels(film.array))
        h, w = film.array.shape
        spacing = {"vertapp": {"pixel_spacing_mm": list(film.pixel_spacing)}}
        rec = ImageRecord(image_id, f"images/{name}.png", w, h, kind="radiograph", extra=spacing)
        project.add_image(rec)
        for level, masks in parts_by_level(parts).items():
            for part, mask in masks.items():
                rings = mask_to_polygons(mask, 0.5)
                inst = Instance(project.new_instance_id(), part, rings[:1])
                inst.extra = {"vertapp": {"vertebra": level}}
                project._insert_instance(image_id, inst, None)
    store.save_project(project, folder)
    return folder


def test_two_radiographs_of_the_project_align_on_their_outlines(
    qtbot, window, pair_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.pair_window import PairWindow
    from vertapp.gui.xray.project_pair import ProjectPairDialog

    shown: list[ProjectPairDialog] = []

    def accept(dialog: ProjectPairDialog) -> int:
        shown.append(dialog)
        return int(ProjectPairDialog.DialogCode.Accepted)

    monkeypatch.setattr(ProjectPairDialog, "exec", accept)
    _open(qtbot, window, pair_project)
    sel = window.panel.list.selectionModel()
    sel.select(window.panel.model.index(1), sel.SelectionFlag.Select)  # both rows selected
    assert window.panel.selected_rows() == [0, 1]
    _action(window, "Pair two radiographs of the project…").trigger()
    assert shown and shown[0].chosen() == (1, 2)  # list order: low, then high
    views = [w for w in window.findChildren(PairWindow)]
    assert len(views) == 1
    view = views[0]
    qtbot.waitUntil(lambda: view.state is not None and not view.busy(), timeout=120_000)
    p = pair(0, "T10", "L5")
    assert view.table.levels == list(p.levels)
    for row in view.state.rows():  # the annotations were the ZOIs of the right images
        if row.status == "aligned":
            motion = p.motions[row.level]
            assert row.dx_px == pytest.approx(motion.dx_mm, abs=1.0), row.level
            assert row.dy_px == pytest.approx(motion.dy_mm, abs=1.0), row.level
            assert row.dx_mm == pytest.approx(row.dx_px)  # 1 mm pixels, recorded on both
    assert sum(r.status == "aligned" for r in view.state.rows()) >= 6
    view.close()


def test_the_chosen_preset_follows_to_the_next_film(qtbot, window, pair_project) -> None:  # type: ignore[no-untyped-def]
    from vertapp.xray.display import window_presets

    _open(qtbot, window, pair_project)
    levels = window.annot.levels
    assert levels.preset.currentText() == "Automatic"
    window.preset_actions[0].trigger()  # F5: bone on the low-dose film
    window.step_image(1)  # the high-dose film opens in its own bone window
    high = window.doc.raw_pixels(window.doc.current_id)
    assert levels.preset.currentText() == "Bone"
    assert levels.wl == pytest.approx(window_presets(high)["Bone"])
    levels.width_box.setValue(levels.wl[0] / 2)  # numbers typed stay with their film
    window.step_image(-1)
    assert levels.preset.currentText() == "Bone"


def test_pairing_needs_two_radiographs(qtbot, window, small_project) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    _action(window, "Pair two radiographs of the project…").trigger()
    assert "fewer than two radiographs" in window._last_error
