"""Undecided predictions are not truths: the CLI's training and scoring read only labels."""

from __future__ import annotations

from pathlib import Path

from tests.unit.review.sample import review_project
from vertapp.annotations.store import save_project
from vertapp.labels import VERTEBRAE
from vertapp.ml.dataset import images_to_review, is_label_annotation, load_samples, read_coco
from vertapp.ml.train import labelled_only


def test_only_drawn_corrected_or_accepted_annotations_are_labels() -> None:
    assert is_label_annotation({"vertapp": {"source": "manual"}})
    assert is_label_annotation({"vertapp": {"source": "corrected"}})
    assert is_label_annotation({"vertapp": {"source": "predicted", "reviewed": True}})
    assert not is_label_annotation({"vertapp": {"source": "predicted", "reviewed": False}})
    assert is_label_annotation({})  # plain COCO from other tools
    assert is_label_annotation({"score": 0.9})  # ... even with a score: VertApp marks its own


def test_a_project_in_review_trains_on_its_finished_images_only(tmp_path: Path) -> None:
    """Image 1: three undecided predictions, one then accepted; 2: one undecided; 3: drawn."""
    project = review_project()
    project.instance(1).reviewed = True  # T1 of image 1 accepted
    save_project(project, tmp_path)
    coco = read_coco(tmp_path / "project.json")
    assert images_to_review(coco) == {1, 2}
    samples = load_samples(tmp_path, list(VERTEBRAE), with_images=False)
    by_id = {s.image_id: [VERTEBRAE[c - 1] for c in s.labels] for s in samples}
    assert by_id == {1: ["T1"], 2: [], 3: ["T1"]}  # no undecided one is a mask
    kept = labelled_only(samples, tmp_path)
    assert [s.image_id for s in kept] == [3]  # images still in review are left out
