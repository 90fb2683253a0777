"""What the Train dialog's table says of each image: neutral names, counts of what trains.

The "Vertebrae" column counted every labelled outline, those the run leaves out too (a C7
in a T1..L5 model, an outline off the image, a radiograph body of unknown level); the
"Image" and "Patient" columns showed file names and patient keys with names hidden.
"""

from __future__ import annotations

import itertools

import pytest

from tests.unit.review.sample import square
from tests.unit.review.test_left_out import mip_project
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.labels import PARTS, VERTEBRAE
from vertapp.review.snapshot import DataImage, data_images
from vertapp.review.train_table import count_words, shown_names
from vertapp.xray.parts import MODEL_VOCABULARIES
from vertapp.xray.snapshot_training import has_class
from vertapp.xray.training import class_of, unclassed_sentence


def test_counts_are_what_the_run_trains_on_and_what_it_leaves_out() -> None:
    listed = data_images(mip_project(), list(VERTEBRAE))
    assert [(im.n_instances, im.n_left_out) for im in listed] == [(1, 3), (1, 2), (0, 1)]
    assert [count_words(im) for im in listed] == [
        "1 (+3 left out)",
        "1 (+2 left out)",
        "0 (+1 left out)",
    ]
    assert listed[1].left_out == (
        "1 annotation of category 'C7' left out of training: not a class of the model",
        "1 annotation of category 'T2' left out of training: the outline covers no pixel "
        "of the image",
    )
    # without the model's classes, every label counts, as before
    assert [im.n_instances for im in data_images(mip_project())] == [4, 3, 1]


def test_the_count_adds_left_out_and_to_review_in_one_bracket() -> None:
    im = DataImage(1, "a", "p", 5, n_pending=3, n_left_out=2)
    assert count_words(im) == "5 (+2 left out, +3 to review)"
    assert count_words(DataImage(1, "a", "p", 5)) == "5"


def _part(iid: int, label: str, level: str | None, y: int) -> Instance:
    extra = {"vertapp": {"vertebra": level}} if level else {}
    return Instance(iid, label, [square(10, y, 12)], extra=extra)


def test_a_radiograph_body_of_unknown_level_is_left_out_by_the_xray_rule() -> None:
    project = Project(label_set="parts")
    rec = ImageRecord(1, "images/film.png", 64, 64, kind="radiograph")
    rec.instances = [
        _part(1, "body", "L3", 2),
        _part(2, "pedicle", "L3", 2),
        _part(3, "body", None, 30),  # no level: no class (its class would be a guess)
    ]
    project.add_image(rec)
    [im] = data_images(project, list(project.labels), has_class, unclassed_sentence)
    assert (im.n_instances, im.n_left_out, count_words(im)) == (1, 1, "1 (+1 left out)")
    assert im.left_out == (unclassed_sentence("body", 1),)  # as the run says it
    assert "vertebra level unknown" in im.left_out[0]


@pytest.mark.parametrize(
    ("label", "level"),
    list(itertools.product([*PARTS, "T3", "C7", "vertebra"], ["L3", "unknown", None])),
)
def test_has_class_is_the_xray_engines_rule(label: str, level: str | None) -> None:
    """The window's run keeps what `class_of` names in the vocabulary it picks: "parts"
    whenever a pedicle or process is drawn, else "bodies" (where only bodies are)."""
    names = MODEL_VOCABULARIES["parts" if label in PARTS[1:] else "bodies"]
    expected = class_of({"vertebra": level}, label, list(names)) is not None
    assert has_class(label, level) is expected


def test_hidden_names_are_image_ids_and_patient_numbers() -> None:
    images = [DataImage(3, "Doe_Jane.png", "DOE"), DataImage(7, "Doe_J2.png", "DOE")]
    images.append(DataImage(9, "Roe.png", "ROE"))
    assert shown_names(images, hidden=True) == [
        ("image 3", "patient 1"),
        ("image 7", "patient 1"),  # one patient still reads as one
        ("image 9", "patient 2"),
    ]
    assert shown_names(images, hidden=False)[0] == ("Doe_Jane.png", "DOE")
