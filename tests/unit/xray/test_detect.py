"""Prediction on radiographs: big 16-bit images, bodies numbered top to bottom, parts attached."""

from __future__ import annotations

import json
from functools import cache
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from pycocotools.coco import COCO

from vertapp.errors import ModelError
from vertapp.labels import PARTS, VERTEBRAE
from vertapp.ml.checkpoint import LoadedModel, save_checkpoint
from vertapp.ml.config import TrainConfig
from vertapp.ml.model import build_model
from vertapp.synth import make_radiograph_pair
from vertapp.xray import detect
from vertapp.xray.detect import predict_radiograph, predict_zoi_coco
from vertapp.xray.parts import MODEL_VOCABULARIES
from vertapp.xray.zoi_coco import zois_from_coco

NAMES = list(MODEL_VOCABULARIES["parts"])
UP = 5  # the synthetic image blown up to a whole-spine size (about 1250 x 2400 px)


@cache
def _big():
    """A tall 16-bit radiograph with its part masks, at UP x the phantom's size."""
    pair = make_radiograph_pair(4, "T10", "L4")
    h, w = pair.high.shape
    img = cv2.resize(pair.high.array, (w * UP, h * UP), interpolation=cv2.INTER_LINEAR)
    img16 = (np.clip(img, 0, 1) * 60000 + 2000).astype(np.uint16)
    parts = [
        (
            p.part,
            p.level,
            cv2.resize(p.mask.astype(np.uint8), (w * UP, h * UP), interpolation=cv2.INTER_NEAREST)
            > 0,
        )
        for p in pair.high_parts
    ]
    return img16, parts


def _dice(a, b):
    return 2 * np.logical_and(a, b).sum() / (a.sum() + b.sum())


def _fake_raw(parts, swap=("L1", "L2"), spread=False):
    """Stand-in for the network: each true part as a detection at the net's input size.

    Body classes of `swap` are exchanged (the paper's main error), with class
    probabilities that still favour the right order; one body is detected twice.
    `spread`: every body torn between its level (0.4) and the next (0.35), as an
    undertrained net is: no single level clears the threshold.
    """

    def raw(model, images):
        assert model.roi_heads.detections_per_img >= 100  # room for a body under 3+ levels
        h, w = images[0].shape[-2:]
        masks, labels, probs = [], [], []
        for part, level, m in parts + [parts[0]]:
            small = cv2.resize(m.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
            cls = NAMES.index(level if part == "body" else part) + 1
            p = np.full(len(NAMES) + 1, 0.002)
            p[cls] = 1.0
            if part == "body" and level in swap:
                other = NAMES.index(swap[1] if level == swap[0] else swap[0]) + 1
                p[other], cls = 0.9, other
            if part == "body" and spread:
                p[:] = 0.25 / len(p)
                p[cls], p[min(cls + 1, 17)] = 0.4, 0.35
            masks.append(small)
            labels.append(cls)
            probs.append(p / p.sum())

        return [
            {
                "masks": torch.from_numpy(np.array(masks))[:, None],
                "scores": torch.tensor([p.max() / p.sum() for p in probs], dtype=torch.float32),
                "labels": torch.tensor(labels),
                "class_probs": torch.from_numpy(np.array(probs, np.float32)),
            }
        ]

    return raw


class _Net(torch.nn.Module):
    """What predict_radiograph touches of a Mask R-CNN besides the (patched) forward."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.roi_heads = SimpleNamespace(detections_per_img=40)


def _loaded(names=NAMES, max_size=512, score_thresh=0.9):
    cfg = TrainConfig(
        weights="none",
        class_names=list(names),
        max_size=max_size,
        min_size=max_size,
        score_thresh=score_thresh,
    )
    return LoadedModel(_Net(), cfg, list(names))


def test_big_16bit_radiograph_bodies_ordered_masks_full_size_parts_attached(monkeypatch):
    img16, parts = _big()
    seen = {}

    def spy(model, images):
        seen["shape"] = tuple(images[0].shape[-2:])
        return _fake_raw(parts)(model, images)

    monkeypatch.setattr(detect, "maskrcnn_raw", spy)
    found = predict_radiograph(_loaded(), img16)
    assert max(seen["shape"]) == 512  # the net sees the long side it was trained at
    bodies = [f for f in found if f.part == "body"]
    truth = {lv: m for part, lv, m in parts if part == "body"}
    assert [b.level for b in bodies] == list(truth)  # T10..L4 top to bottom, duplicate merged
    assert {b.level for b in bodies if b.order_changed} == {"L1", "L2"}  # swap undone, flagged
    for b in bodies:
        assert b.mask.shape == img16.shape
        assert _dice(b.mask, truth[b.level]) > 0.93
    others = [f for f in found if f.part != "body"]
    assert sorted((f.part, f.level) for f in others) == sorted(
        (p, lv) for p, lv, _ in parts if p != "body"
    )


def test_a_body_torn_between_two_levels_is_still_found(monkeypatch):
    img16, parts = _big()
    monkeypatch.setattr(detect, "maskrcnn_raw", _fake_raw(parts, swap=(), spread=True))
    loaded = _loaded(score_thresh=0.5)  # every winning level has 0.4 / (sum) < 0.5
    found = predict_radiograph(loaded, img16)
    bodies = [f for f in found if f.part == "body"]
    assert [b.level for b in bodies] == [lv for p, lv, _ in parts if p == "body"]
    assert all(b.score > 0.7 for b in bodies)  # the score says "a body", not "this level"
    assert loaded.model.roi_heads.detections_per_img == 40  # the cap is put back


def test_zoi_coco_for_one_image_is_plain_coco_with_levels(monkeypatch, tmp_path):
    img16, parts = _big()
    path = tmp_path / "spine.png"
    cv2.imwrite(str(path), img16)
    monkeypatch.setattr(detect, "maskrcnn_raw", _fake_raw(parts))
    monkeypatch.setattr(detect, "load_checkpoint", lambda p: _loaded())
    coco = predict_zoi_coco(tmp_path / "model.pt", path)
    assert coco["images"] == [
        {
            "id": 1,
            "file_name": "spine.png",
            "width": img16.shape[1],
            "height": img16.shape[0],
            "vertapp": {"kind": "radiograph"},
        }
    ]
    assert all(a["vertapp"]["vertebra"] in VERTEBRAE for a in coco["annotations"])
    (tmp_path / "pred.json").write_text(json.dumps(coco))
    api = COCO(str(tmp_path / "pred.json"))
    assert len(api.getAnnIds()) == len(parts)
    zois, warnings = zois_from_coco(coco, img16.shape, "spine.png", "pred")  # part 1's reader
    assert sorted(zois) == sorted({lv for _, lv, _ in parts}) and not warnings


def test_untrained_checkpoint_runs_end_to_end(tmp_path):
    """A real (untrained) network on a real file; a plain parts vocabulary, so levels unknown.

    (Few classes, so random scores clear torchvision's 0.05 floor, and a noise image, on
    which random mask heads give non-empty masks: detections exist.)
    """
    img16 = (np.random.default_rng(1).random((2400, 1250)) * 60000).astype(np.uint16)
    path = tmp_path / "spine.png"
    cv2.imwrite(str(path), img16)
    cfg = TrainConfig(
        weights="none",
        backbone="mobilenet_v3_large",
        class_names=list(PARTS),
        min_size=256,
        max_size=256,
        fpn_channels=32,
        mask_head_channels=32,
        score_thresh=0.0,
        detections_per_img=10,
    )
    torch.manual_seed(0)
    state = build_model(cfg).state_dict()
    ckpt = tmp_path / "m.pt"
    save_checkpoint(ckpt, {"model": state, "config": cfg.to_dict(), "class_names": list(PARTS)})
    coco = predict_zoi_coco(ckpt, path)
    assert 0 < len(coco["annotations"]) <= 2 * 10  # the model's cap, for bodies and for parts
    for a in coco["annotations"]:
        assert a["vertapp"]["vertebra"] == "unknown"
        assert a["segmentation"] and a["area"] > 0
        assert a["category_id"] in (1, 2, 3, 4) and 0.0 <= a["score"] <= 1.0


def test_models_not_for_radiographs_are_refused(tmp_path):
    img = np.zeros((64, 32), np.uint8)
    with pytest.raises(ModelError, match="not for radiograph parts"):
        predict_radiograph(_loaded(names=["kidney", "liver"]), img)
    unet = LoadedModel(
        torch.nn.Linear(1, 1), TrainConfig(arch="unet", weights="none"), list(VERTEBRAE)
    )
    with pytest.raises(ModelError, match="unet model cannot"):
        predict_radiograph(unet, img)
    with pytest.raises(ModelError, match="checkpoint not found"):
        predict_zoi_coco(tmp_path / "none.pt", tmp_path / "x.png")


def test_a_body_found_twice_half_a_body_apart_is_kept_once():
    from vertapp.xray.detect import suppress_overlapping

    masks = np.zeros((4, 100, 40), bool)
    masks[0, 10:30, 5:35] = True  # T1
    masks[1, 18:38, 5:35] = True  # T1 again, shifted: IoU 0.43 but 60 % of each shared
    masks[2, 40:60, 5:35] = True  # T2, touching nothing
    masks[3, 38:58, 5:35] = True  # T2 again, weaker
    kept = suppress_overlapping(masks, np.array([0.9, 0.8, 0.7, 0.6]))
    assert kept.tolist() == [0, 2]
    assert suppress_overlapping(masks[[0, 2]], np.array([0.1, 0.2])).tolist() == [0, 1]


def test_the_checkpoints_level_context_numbers_the_bodies(monkeypatch):
    """The level-context net's evidence reaches the chain (over C7..S1) and outvotes the
    detector's torn classes: here it says each body is one level lower than it is."""
    from vertapp.xray.level_context import CONTEXT_LEVELS

    img16, parts = _big()
    truth = [lv for p, lv, _ in parts if p == "body"]
    seen = {}

    class Context:
        def probs(self, grey, centres, spacing):
            seen["shape"], seen["spacing"] = grey.shape, np.median(spacing)
            order = np.argsort(np.argsort(centres[:, 0]))
            p = np.full((len(centres), len(CONTEXT_LEVELS)), 0.01)
            for i, k in enumerate(order):
                p[i, CONTEXT_LEVELS.index(truth[min(k, len(truth) - 1)]) + 1] = 0.9
            return p

    monkeypatch.setattr(detect, "maskrcnn_raw", _fake_raw(parts, swap=(), spread=True))
    loaded = _loaded(score_thresh=0.5)
    loaded.extra.update({"level_context": {}, "_level_context_net": Context()})
    bodies = [f for f in predict_radiograph(loaded, img16) if f.part == "body"]
    assert max(seen["shape"]) == 512  # it reads the image the detector saw
    assert 20 < seen["spacing"] < 60  # in that image's pixels (bodies ~32 px apart)
    assert [b.level for b in bodies] == [VERTEBRAE[VERTEBRAE.index(t) + 1] for t in truth]
    # the net's evidence chose those levels: nothing for the reviewer to check twice,
    # though every level differs from the detector's top class
    assert [b.level for b in bodies if b.order_changed] == []
