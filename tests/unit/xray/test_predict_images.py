"""Model > Predict on radiographs (vertapp.xray.predict_images): the X-ray engine as the
window's prediction job, each part with its vertebra, the run's COCO under the project's
image ids; and the review's instances keep the level (vertapp.review.decisions)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from pycocotools.coco import COCO

from vertapp.annotations.model import ImageRecord, Project
from vertapp.errors import ModelError
from vertapp.jobs import run_job
from vertapp.labels import PARTS, VERTEBRAE
from vertapp.ml.checkpoint import save_checkpoint
from vertapp.ml.config import TrainConfig
from vertapp.ml.model import build_model
from vertapp.review.decisions import prediction_instances
from vertapp.xray import predict_images
from vertapp.xray.detect import FoundPart
from vertapp.xray.parts import MODEL_VOCABULARIES, vertebra_of
from vertapp.xray.predict_images import predict_radiographs_job


@dataclass(frozen=True)
class Snap:
    """The few fields of a review snapshot the job reads."""

    image_id: int
    file_name: str
    height: int
    width: int
    pixels: np.ndarray

    def read(self) -> np.ndarray:
        return self.pixels


def tiny_checkpoint(path: Path, names: list[str], **over: object) -> Path:
    """A random-init Mask R-CNN (seconds to build, nothing learnt): the real load path;
    `over`: config fields to change."""
    cfg = TrainConfig(
        weights="none",
        backbone="mobilenet_v3_large",
        class_names=names,
        min_size=128,
        max_size=128,
        fpn_channels=32,
        mask_head_channels=32,
        score_thresh=0.0,
        detections_per_img=8,
    ).override(**over)
    torch.manual_seed(0)
    state = build_model(cfg).state_dict()
    save_checkpoint(path, {"model": state, "config": cfg.to_dict(), "class_names": names})
    return path


def test_untrained_parts_model_runs_on_project_images(tmp_path: Path) -> None:
    # The four part classes alone (no level classes): random scores then clear
    # torchvision's 0.05 floor, so there are detections to follow (levels unknown).
    ckpt = tiny_checkpoint(tmp_path / "parts.pt", list(PARTS))
    noise = (np.random.default_rng(2).random((300, 160)) * 255).astype(np.uint8)
    snaps = [Snap(7, "images/a.png", 300, 160, noise), Snap(9, "images/b.png", 300, 160, noise)]
    run = run_job(predict_radiographs_job(ckpt, snaps, 0.0, device="cpu"))
    assert set(run.shapes) == {7, 9}
    found = [s for shapes in run.shapes.values() for s in shapes]
    assert found, "a random net on noise still gives detections"
    assert {s.label for s in found} <= set(PARTS)
    assert {s.level for s in found} <= set(VERTEBRAE) | {"unknown"}
    assert [im["id"] for im in run.coco["images"]] == [7, 9]
    coco = COCO()
    coco.dataset = run.coco
    coco.createIndex()  # pycocotools reads the run's COCO as it is
    assert sorted(coco.getImgIds()) == [7, 9]
    assert len(coco.getAnnIds()) == len(run.coco["annotations"]) > 0
    assert all(a["vertapp"]["vertebra"] for a in run.coco["annotations"])


def test_a_model_for_other_classes_is_refused_in_words(tmp_path: Path) -> None:
    ckpt = tiny_checkpoint(tmp_path / "organs.pt", ["kidney", "liver"])
    snap = Snap(1, "a.png", 64, 64, np.zeros((64, 64), np.uint8))
    with pytest.raises(ModelError, match="not for radiograph parts"):
        run_job(predict_radiographs_job(ckpt, [snap], 0.5, device="cpu"))


def _square(x: int, y: int, size: int, shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[y : y + size, x : x + size] = True
    return mask


def test_levels_reach_the_predicted_instances(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A stubbed engine: what it finds becomes instances that carry their vertebra."""
    shape = (120, 80)
    found = [
        FoundPart("body", "L3", _square(20, 20, 30, shape), 0.97),
        FoundPart("pedicle", "L3", _square(55, 25, 10, shape), 0.81),
        FoundPart("spinous_process", "unknown", _square(60, 80, 12, shape), 0.64),
    ]
    monkeypatch.setattr(predict_images, "predict_radiograph", lambda *a, **k: found)
    ckpt = tiny_checkpoint(tmp_path / "parts.pt", list(MODEL_VOCABULARIES["parts"]))
    snap = Snap(1, "x.png", *shape, np.zeros(shape, np.uint8))
    run = run_job(predict_radiographs_job(ckpt, [snap], 0.5, device="cpu"))
    project = Project(label_set="parts")
    project.add_image(ImageRecord(1, "images/x.png", shape[1], shape[0], kind="radiograph"))
    insts = prediction_instances(project, run.shapes[1], "m@e1")
    assert [(i.label, vertebra_of(i.extra), i.source) for i in insts] == [
        ("body", "L3", "predicted"),
        ("pedicle", "L3", "predicted"),
        ("spinous_process", "unknown", "predicted"),
    ]
    body = insts[0].polygons[0]
    assert body[:, 0].min() == pytest.approx(20, abs=1) and body[:, 0].max() == pytest.approx(
        50, abs=1
    )


def test_in_a_project_of_whole_vertebrae_a_body_becomes_its_level() -> None:
    """A radiograph in a project with T1..L5 categories (landmarks imported into a CT
    project): bodies take their level as label, parts with no category are left out."""
    from vertapp.review.decisions import shapes_for_labels
    from vertapp.review.prediction import PredictedShape

    ring = [np.array([[0, 0], [4, 0], [4, 4]], float)]
    run = [
        predict_images.PartShape("body", 0.9, ring, "L3"),
        predict_images.PartShape("pedicle", 0.8, ring, "L3"),
        predict_images.PartShape("body", 0.7, ring, "unknown"),
    ]
    fitted = shapes_for_labels(run, VERTEBRAE)
    assert [(s.label, s.level) for s in fitted] == [("L3", "L3")]
    assert shapes_for_labels(run, PARTS) == run  # a parts project takes them as they are
    ct = [PredictedShape("T4", 0.9, ring)]
    assert shapes_for_labels(ct, VERTEBRAE) == ct
