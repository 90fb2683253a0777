"""Landmark radiographs added to an open project (the window's import, Qt-free half)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.unit.xray.test_landmarks import NAMES, _corners, _dataset
from vertapp.annotations import store
from vertapp.annotations.model import ImageRecord
from vertapp.errors import FormatError, InputError
from vertapp.jobs import run_job
from vertapp.labels import VERTEBRAE
from vertapp.xray.landmark_import import add_landmarks, prepare_landmarks_job, vocabulary_of


def _project(root: Path, label_set: str = "parts"):  # type: ignore[no-untyped-def]
    project = store.new_project(root, label_set=label_set)
    project.add_image(
        ImageRecord(
            id=project.new_image_id(), file_name="images/landmarks_0001.png", width=10, height=10
        )
    )
    return project


def test_added_to_the_open_project_with_a_body_per_level(tmp_path):
    src = _dataset(tmp_path / "src")
    project = _project(tmp_path / "proj")
    taken = {r.file_name for r in project.images.values()}
    prepared = run_job(prepare_landmarks_job(src, project.root, taken, vocabulary_of(project)))
    report = add_landmarks(project, prepared)
    assert len(report.image_ids) == 3 and report.n_vertebrae == 3 * 17 and not report.skipped
    names = [project.images[i].file_name for i in report.image_ids]
    assert names[0] == "images/landmarks_0001_2.png"  # the project's own name is kept
    assert all((project.root / n).is_file() for n in names)
    assert not any("Jan" in n or "sunhl" in n for n in names)  # no source names
    first = project.images[report.image_ids[0]]
    assert first.kind == "radiograph" and first.status == "completed"
    assert [i.label for i in first.instances] == ["body"] * 17
    assert [i.extra["vertapp"]["vertebra"] for i in first.instances] == list(VERTEBRAE)
    tl, tr, bl, br = _corners(0)[3]
    assert np.allclose(first.instances[3].polygons[0], [tl, tr, br, bl])
    keys = {project.images[i].patient_key for i in report.image_ids}
    assert len(keys) == 2  # 12 A and 12 B are one patient


def test_vertebrae_projects_get_the_level_as_label(tmp_path):
    src = _dataset(tmp_path / "src")
    project = _project(tmp_path / "proj", "vertebrae")
    prepared = run_job(prepare_landmarks_job(src, project.root, set(), vocabulary_of(project)))
    report = add_landmarks(project, prepared)
    labels = [i.label for i in project.images[report.image_ids[1]].instances]
    assert labels == list(VERTEBRAE)


def test_failure_and_cancel_leave_no_copied_image(tmp_path):
    src = _dataset(tmp_path / "src")
    (src / "images" / NAMES[2]).unlink()
    root = tmp_path / "proj"
    _project(root)
    with pytest.raises(InputError, match="missing or not readable"):
        run_job(prepare_landmarks_job(src, root, set(), "parts"))
    assert sorted(p.name for p in (root / "images").iterdir()) == []
    job = prepare_landmarks_job(_dataset(tmp_path / "src2"), root, set(), "parts")
    next(job), next(job)  # the first image is copied
    assert len(list((root / "images").iterdir())) == 1
    job.close()  # what Cancel does
    assert list((root / "images").iterdir()) == []


def test_bad_folders_are_refused_in_words(tmp_path):
    root = tmp_path / "proj"
    project = _project(root)
    project.label_set = "custom"  # a project of its own classes
    with pytest.raises(InputError, match="vertebrae or vertebra parts"):
        vocabulary_of(project)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no landmarks.csv"):
        run_job(prepare_landmarks_job(tmp_path / "empty", root, set(), "parts"))
    src = _dataset(tmp_path / "src", rows=[[0.1] * 10] * 3)
    with pytest.raises(FormatError, match="row 1"):
        run_job(prepare_landmarks_job(src, root, set(), "parts"))


def test_a_degenerate_body_is_skipped_and_said(tmp_path):
    from tests.unit.xray.test_landmarks import H, W

    rows = []
    for k in range(len(NAMES)):
        c = _corners(k)
        if k == 1:
            c[5] = c[5][0]  # T6 of the second image: four times the same corner
        rows.append(np.concatenate([c[..., 0].ravel() / W, c[..., 1].ravel() / H]).tolist())
    src = _dataset(tmp_path / "src", rows=rows)
    project = _project(tmp_path / "proj")
    prepared = run_job(prepare_landmarks_job(src, project.root, set(), "parts"))
    report = add_landmarks(project, prepared)
    assert report.n_vertebrae == 3 * 17 - 1
    assert len(report.skipped) == 1 and report.skipped[0].startswith("image 2 T6: ")
    second = project.images[report.image_ids[1]]
    assert "T6" not in [i.extra["vertapp"]["vertebra"] for i in second.instances]


def colour_rows(src: Path, rows: tuple[int, ...]) -> None:
    """The dataset's films of `rows` (from 1) saved in colour (red: not a grey film in RGB)."""
    import cv2

    for row in rows:
        path = src / "images" / NAMES[row - 1]
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        colour = np.dstack([grey * 0, grey * 0, grey])
        cv2.imwrite(str(path), colour)


def test_the_films_read_doubts_come_back_by_row_for_the_window(tmp_path):
    """They were logged only, where the window's user never looks."""
    src = _dataset(tmp_path / "src")
    colour_rows(src, (1, 3))
    project = _project(tmp_path / "proj")
    prepared = run_job(prepare_landmarks_job(src, project.root, set(), "parts"))
    report = add_landmarks(project, prepared)
    assert report.warnings == ["images 1, 3: colour image converted to grey"]
    assert not any(name in " ".join(report.warnings) for name in NAMES)  # rows, not files


def test_many_films_with_one_doubt_are_one_line() -> None:
    from vertapp.xray.landmark_import import warning_lines

    rows = list(range(1, 13))
    assert warning_lines({"colour image converted to grey": rows, "x": [4]}) == [
        "images 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (12 in all): colour image converted to grey",
        "image 4: x",
    ]
