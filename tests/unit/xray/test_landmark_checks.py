"""Landmark rows whose corners cannot be the vertebra they name are not imported."""

from __future__ import annotations

import json
import re

import numpy as np

from tests.unit.xray.test_landmark_import import _project
from tests.unit.xray.test_landmarks import NAMES, H, W, _corners, _dataset
from vertapp.jobs import run_job
from vertapp.labels import VERTEBRAE
from vertapp.xray.landmark_checks import implausible
from vertapp.xray.landmark_import import add_landmarks, prepare_landmarks_job
from vertapp.xray.landmarks import import_landmarks_job

L4, L5 = VERTEBRAE.index("L4"), VERTEBRAE.index("L5")


def _scoliotic_spine() -> np.ndarray:
    """(17, 4, 2) outline-order corners (TL, TR, BR, BL): bodies growing 28 -> 46 px tall
    down an S-curve, each turned with the curve, the gaps jittered."""
    rng = np.random.default_rng(3)
    out, y = [], 100.0
    for i in range(17):
        h = 28 + 18 * i / 16
        w = 1.4 * h
        cx = 400 + 120 * np.sin(i / 16 * 2 * np.pi)
        a = np.deg2rad(25 * np.cos(i / 16 * 2 * np.pi))
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        box = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
        out.append(box @ rot.T + [cx, y])
        y += 1.25 * h * rng.uniform(0.9, 1.1)
    return np.array(out)


def test_a_real_looking_spine_is_kept_whole():
    spine = _scoliotic_spine()
    assert implausible(spine, VERTEBRAE) == {}
    thin = spine.copy()
    thin[0, 2:] = thin[0, :2][::-1] + (thin[0, 2:] - thin[0, :2][::-1]) * 0.35  # a thin T1
    assert implausible(thin, VERTEBRAE) == {}
    swapped = spine.copy()
    swapped[L4] = swapped[L4][[3, 2, 1, 0]]  # top and bottom corners swapped: same outline
    assert implausible(swapped, VERTEBRAE) == {}
    assert implausible(spine[:2], VERTEBRAE[:2]) == {}  # too few to judge


def test_l5_wrapped_to_the_top_of_the_film_is_found():
    spine = _scoliotic_spine()
    spine[L5, :, 1] -= 1150  # AASCE: L5 below the film's edge, its y wrapped around
    bad = implausible(spine, VERTEBRAE)
    assert list(bad) == [L5] and "level gaps from L4" in bad[L5]


def test_half_wrapped_and_sliver_bodies_are_found():
    spine = _scoliotic_spine()
    spine[L5, 2:, 1] = 80.0  # bottom corners at the top: a quadrilateral spanning the film
    spine[0, 2:] = spine[0, :2][::-1] + [0, 1]  # T1 cut to a 1 px sliver
    bad = implausible(spine, VERTEBRAE)
    assert list(bad) == [0, L5]
    assert "height" in bad[0] and "height" in bad[L5]


def _rows_with_wrapped_l5(second: int) -> list[list[float]]:
    rows = []
    for k in range(len(NAMES)):
        c = _corners(k)  # TL, TR, BL, BR, as the file lists them
        if k == second:
            c[L5, :, 1] -= 380  # wrapped to the top of the 400 px film
        rows.append(np.concatenate([c[..., 0].ravel() / W, c[..., 1].ravel() / H]).tolist())
    return rows


def test_both_imports_leave_the_wrapped_l5_out_and_say_so(tmp_path):
    src = _dataset(tmp_path / "src", rows=_rows_with_wrapped_l5(1))
    result = run_job(import_landmarks_job(src, tmp_path / "cli"))
    assert result.n_vertebrae == 3 * 17 - 1
    assert len(result.skipped) == 1 and result.skipped[0].startswith("image 2 L5: it lies")
    data = json.loads((tmp_path / "cli" / "project.json").read_text())
    second = [a for a in data["annotations"] if a["image_id"] == data["images"][1]["id"]]
    assert [a["vertapp"]["vertebra"] for a in second] == list(VERTEBRAE[:-1])

    project = _project(tmp_path / "proj")
    report = add_landmarks(
        project, run_job(prepare_landmarks_job(src, project.root, set(), "parts"))
    )
    assert report.n_vertebrae == 3 * 17 - 1
    assert len(report.skipped) == 1 and report.skipped[0].startswith("image 2 L5: it lies")


def test_a_skipped_vertebra_is_said_once_in_words(tmp_path):
    """The window read "Not imported: image 2 L5: it lies 15.5 level gaps from L4; not
    imported": each entry said it again after the heading that says it."""
    src = _dataset(tmp_path / "src", rows=_rows_with_wrapped_l5(1))
    (entry,) = run_job(import_landmarks_job(src, tmp_path / "cli")).skipped
    assert re.fullmatch(r"image 2 L5: it lies \d+\.\d level gaps from L4 \(2\.5 at most\)", entry)
    assert "not imported" not in entry.lower()


def test_the_command_says_what_it_skipped_on_stderr(tmp_path, capsys):
    """`vertapp xray import` printed its "skipped:" lines on stdout, among the result."""
    from vertapp.cli import main

    src = _dataset(tmp_path / "src", rows=_rows_with_wrapped_l5(1))
    assert main(["xray", "import", str(src), "--out", str(tmp_path / "p")]) == 0
    said = capsys.readouterr()
    assert [line[:28] for line in said.err.splitlines()] == ["skipped: image 2 L5: it lies"]
    assert "skipped" not in said.out and "3 radiographs, 50 vertebral bodies" in said.out
