"""`vertapp train` says, once and before training, what of the dataset it leaves out or
learns only as background: images still holding predictions nobody reviewed, annotations
of a category the model has no class for, outlines that cover no pixel of their image,
images with nothing of the model's classes.
These were log lines only (or nothing). Images are named by id, never by file name (a
file name may carry a patient's). The run is stopped where the model would be built."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import vertapp.ml.train as ml_train
from tests.unit.ml.spines import spine_samples, write_coco_dataset
from tests.unit.ml.tiny_starter import training_checkpoint
from tests.unit.test_predict_kinds import project as film_project
from vertapp.cli import main


class Started(BaseException):
    """Raised where the model would be built (main() turns an Exception into exit 1)."""


@pytest.fixture(autouse=True)
def stop_at_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def stop(*_args: Any, **_kw: Any) -> None:
        raise Started

    monkeypatch.setattr(ml_train, "_build_state", stop)


def _dataset(folder: Path) -> Path:
    """Image 1 labelled (plus one C7), 2 holding an undecided prediction, 3 bare, 4 labelled."""
    path = write_coco_dataset(folder, spine_samples(4, size=64))
    coco = json.loads(path.read_text())
    coco["categories"].append({"id": 18, "name": "C7", "supercategory": "vertebra"})
    anns = [a for a in coco["annotations"] if a["image_id"] != 3]
    c7 = next(a for a in anns if a["image_id"] == 1)
    anns.append({**c7, "id": 999, "category_id": 18})
    undecided = next(a for a in anns if a["image_id"] == 2)
    undecided["vertapp"] = {"source": "predicted", "reviewed": False}
    coco["annotations"] = anns
    path.write_text(json.dumps(coco))
    return folder


def _train(dataset: Path, *flags: str) -> None:
    with pytest.raises(Started):
        main(["train", str(dataset), "--out", str(dataset.parent / "m.pt"), *flags])


def test_what_training_leaves_out_is_said_once_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _dataset(tmp_path / "proj")
    start = training_checkpoint(tmp_path / "start.pt")  # T1..L5: no class for C7
    _train(folder, "--finetune-from", str(start), "--quiet")
    said = capsys.readouterr()
    warnings = [line for line in said.err.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: 1 image (id 2) left out of training: still holding predictions nobody "
        "reviewed (review them first, or reject what is wrong)",
        "warning: 1 annotation of category 'C7' left out of training: not a class of the model",
        "warning: 1 image (id 3) with no annotation of the model's classes: trained on as "
        "images with nothing to find",
    ]
    assert "img" not in said.err  # ids, not the images' file names
    assert said.out == ""


def test_a_dataset_the_model_learns_whole_says_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_coco_dataset(tmp_path / "proj", spine_samples(2, size=64))
    _train(tmp_path / "proj", "--from-scratch")
    assert "warning:" not in capsys.readouterr().err


def test_a_film_project_says_its_bare_films_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Radiographs are read by the command, not the job: it says what they leave out."""
    films = film_project(tmp_path / "xray", "radiograph")  # one film, no annotation
    assert main(["train", str(films), "--out", str(tmp_path / "m.pt")]) == 1
    err = capsys.readouterr().err.splitlines()
    # as a CT run says them: how it starts, "reading dataset", then what it leaves out
    assert err[:2] == [
        "start: from scratch (VertApp ships no starter model for radiographs)",
        "reading dataset",
    ]
    assert err[2].startswith("warning: 1 image (id 1) with no annotation of the model's classes")
    assert err[-1] == "vertapp train: error: no annotated training images in the dataset"


OFF_THE_IMAGE = [[-40.0, -40.0, -20.0, -40.0, -20.0, -20.0, -40.0, -20.0]]  # no pixel


def test_an_outline_covering_no_pixel_is_said_not_dropped_unsaid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An outline drawn off the image has an empty mask: the reader dropped it unsaid."""
    path = write_coco_dataset(tmp_path / "proj", spine_samples(2, size=64))
    coco = json.loads(path.read_text())
    off = coco["annotations"][0]  # image 1 keeps its other vertebrae: it still trains
    off["segmentation"] = OFF_THE_IMAGE
    name = next(c["name"] for c in coco["categories"] if c["id"] == off["category_id"])
    path.write_text(json.dumps(coco))
    _train(tmp_path / "proj", "--from-scratch")
    warnings = [x for x in capsys.readouterr().err.splitlines() if x.startswith("warning: ")]
    assert warnings == [
        f"warning: 1 annotation of category {name!r} left out of training: the outline "
        "covers no pixel of the image"
    ]
    assert warnings[0] == "warning: " + ml_train.empty_sentence(name, 1)  # the window's words


def test_a_films_unclassed_part_is_said_in_the_ct_runs_words() -> None:
    """One wording: the radiograph run's sentence for a category no class names is the CT
    run's (`ml.words.foreign_sentence`), not a copy of it."""
    from vertapp.xray.training import unclassed_sentence

    said = "2 annotations of category 'pedicle' left out of training: not a class of the model"
    assert unclassed_sentence("pedicle", 2) == ml_train.foreign_sentence("pedicle", 2) == said


def test_many_images_are_counted_and_the_first_ten_listed() -> None:
    from vertapp.ml.words import images_phrase

    assert images_phrase(list(range(1, 13))) == "12 images (ids 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ...)"
    assert images_phrase([4]) == "1 image (id 4)"


def test_what_the_phantoms_leave_out_is_said_as_theirs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_coco_dataset(tmp_path / "real", spine_samples(2, size=64))
    phantoms = _dataset(tmp_path / "phantoms")
    _train(tmp_path / "real", "--from-scratch", "--phantoms", str(phantoms))
    warnings = [x for x in capsys.readouterr().err.splitlines() if x.startswith("warning: ")]
    assert len(warnings) == 3  # judged by the run's classes (the real data's): C7 too
    assert all(w.startswith("warning: phantoms: 1 ") for w in warnings)


SQUARE = [[10.0, 10.0, 30.0, 10.0, 30.0, 30.0, 10.0, 30.0]]
DOE = "DOE_JOHN.png"  # a file name carrying the patient's, as exports do


def doubtful_films(folder: Path) -> Path:
    """Image 1: a colour film named after its patient, a T1 and a body of unknown level.
    Image 2: grey, a T2 and an undecided prediction (left out whole: its unknown body
    is not counted again)."""
    import cv2
    import numpy as np

    from tests.unit.test_predict_kinds import film16

    films = film_project(folder, "radiograph")
    colour = np.zeros((64, 48, 3), np.uint8)
    colour[..., 2] = 200  # red: not a grey film saved as RGB
    cv2.imwrite(str(films / DOE), colour)
    coco = json.loads((films / "project.json").read_text())
    coco["images"][0]["file_name"] = DOE
    second = {**coco["images"][0], "id": 2, "file_name": "img0.png"}
    coco["images"].append(second)
    cv2.imwrite(str(films / "img0.png"), film16())
    coco["categories"].append({"id": 18, "name": "body"})

    def ann(i: int, image: int, category: int, **app: Any) -> dict[str, Any]:
        return {
            "id": i,
            "image_id": image,
            "category_id": category,
            "segmentation": SQUARE,
            "area": 400.0,
            "bbox": [10, 10, 20, 20],
            "iscrowd": 0,
            "vertapp": app,
        }

    coco["annotations"] = [
        ann(1, 1, 1, vertebra="T1"),
        ann(2, 1, 18, vertebra="unknown"),
        ann(3, 2, 2, vertebra="T2"),
        ann(4, 2, 18, vertebra="unknown"),
        ann(5, 2, 18, vertebra="T3", source="predicted", reviewed=False),
    ]
    (films / "project.json").write_text(json.dumps(coco))
    return films


def test_a_film_project_says_each_films_doubts_and_its_unclassed_bodies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Radiographs: the reader's warnings were logged under the file's name, and bodies of
    unknown level were skipped without a word."""
    _train(doubtful_films(tmp_path / "xray"))
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: image 1: colour image converted to grey",
        "warning: 1 image (id 2) left out of training: still holding predictions nobody "
        "reviewed (review them first, or reject what is wrong)",
        "warning: 1 annotation of category 'body' left out of training: vertebra level "
        "unknown (body classes are the levels T1..L5)",
    ]
    assert "DOE" not in err  # by image id, never by file name


def test_a_film_projects_outline_covering_no_pixel_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Radiographs are read by the command: their empty outlines are counted there too."""
    films = doubtful_films(tmp_path / "xray")
    coco = json.loads((films / "project.json").read_text())
    t1 = coco["annotations"][0]  # image 1's T1: category 'T1', a class of the model
    coco["annotations"].append({**t1, "id": 6, "segmentation": OFF_THE_IMAGE})
    (films / "project.json").write_text(json.dumps(coco))
    _train(films)
    warnings = [x for x in capsys.readouterr().err.splitlines() if x.startswith("warning: ")]
    assert warnings[-1] == (
        "warning: 1 annotation of category 'T1' left out of training: the outline covers "
        "no pixel of the image"
    )


def test_xray_levels_says_each_films_doubts_once_by_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import vertapp.xray.level_context as level_context
    from tests.unit.xray.test_predict_images import tiny_checkpoint
    from vertapp.labels import VERTEBRAE

    films = doubtful_films(tmp_path / "xray")
    model = tiny_checkpoint(tmp_path / "m.pt", list(VERTEBRAE), resize_in_training=False)

    def no_training(path: Any, samples: Any, *_a: Any) -> Any:  # the net is not the point
        return str(path)
        yield

    monkeypatch.setattr(level_context, "add_level_context_job", no_training)
    assert main(["xray", "levels", str(films), "--model", str(model)]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: image 1: colour image converted to grey") == 1, err
    assert "DOE" not in err
