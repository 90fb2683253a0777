"""A partial view shown smaller on a black canvas: the geometry, the choice, the detect path."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from vertapp.xray import canvas, detect
from vertapp.xray.detect import predict_radiograph

from .test_detect import NAMES, _big, _dice, _loaded


def test_a_mask_goes_onto_the_canvas_and_back_in_place():
    film = np.zeros((400, 160), np.uint8)
    film[150:190, 50:110] = 255
    shown, box = canvas.shrunk_on_canvas(film, 2.0)
    assert shown.shape == film.shape and box == (100, 40, 200, 80)
    assert shown[:100].max() == 0 and shown[300:].max() == 0  # black around
    back = canvas.from_canvas(shown[None].astype(np.float32) / 255, box, film.shape)[0] > 0.5
    assert _dice(back, film > 0) > 0.95
    same, box1 = canvas.shrunk_on_canvas(film, 1.0)
    assert same is film and np.array_equal(
        canvas.from_canvas(film[None], box1, film.shape)[0], film
    )


def test_the_view_whose_bodies_form_a_numbered_spine_wins():
    scores = np.array([0.9, 0.9, 0.9, 0.8, 0.8])
    assert canvas.view_quality(scores, [1, 1, 1, 0, 0]) > canvas.view_quality(scores, [1] + [0] * 4)
    assert canvas.is_clean(scores, [1, 1, 1, 1, 0])  # one left out (a C7)
    assert not canvas.is_clean(scores, [1, 1, 0, 0, 0])
    assert not canvas.is_clean(scores, [0] * 5)


def _scale_bound_raw(parts, boxes):
    """A detector that knows bodies only at the size it was trained on: where the film
    fills the canvas it finds each body's upper and lower half, torn between all levels;
    where the film is shown at most 1/1.5 of that size, it finds the bodies with their
    levels. `boxes`: where detect put the film on the canvas, last one last."""
    bodies = [(lv, m) for p, lv, m in parts if p == "body"]

    def raw(model, images):
        h, w = images[0].shape[-2:]
        r0, c0, ih, iw = boxes[-1]
        masks, probs = [], []
        for lv, m in bodies:
            small = cv2.resize(m.astype(np.float32), (iw, ih), interpolation=cv2.INTER_AREA)
            full = np.zeros((h, w), np.float32)
            full[r0 : r0 + ih, c0 : c0 + iw] = small
            p = np.full(len(NAMES) + 1, 0.002)
            if ih <= h / 1.5:
                p[NAMES.index(lv) + 1] = 1.0
                masks.append(full)
                probs.append(p / p.sum())
                continue
            p[1:18] = 1.0 / 17  # any level: half a body says nothing
            ys = np.flatnonzero(full.max(axis=1) > 0.5)
            mid = (ys[0] + ys[-1]) // 2
            for part in (slice(0, mid), slice(mid, h)):
                half = np.zeros_like(full)
                half[part] = full[part]
                masks.append(half)
                probs.append(p / p.sum())
        return [
            {
                "masks": torch.from_numpy(np.array(masks))[:, None],
                "scores": torch.ones(len(masks)),
                "labels": torch.tensor([int(np.argmax(p[1:])) + 1 for p in probs]),
                "class_probs": torch.from_numpy(np.array(probs, np.float32)),
            }
        ]

    return raw


def test_a_partial_view_is_read_smaller_and_its_bodies_land_on_the_film(monkeypatch):
    img16, parts = _big()
    boxes = []

    def spy(image, factor):
        shown, box = canvas.shrunk_on_canvas(image, factor)
        boxes.append(box)
        return shown, box

    monkeypatch.setattr(detect, "shrunk_on_canvas", spy)
    monkeypatch.setattr(detect, "maskrcnn_raw", _scale_bound_raw(parts, boxes))
    found = [f for f in predict_radiograph(_loaded(score_thresh=0.5), img16) if f.part == "body"]
    truth = {lv: m for p, lv, m in parts if p == "body"}
    assert len(boxes) == 2  # as the model sees it (halves, unnumbered), then 1.6x smaller
    assert [f.level for f in found] == list(truth)  # T10..L4, numbered, top to bottom
    for f in found:
        assert f.mask.shape == img16.shape
        assert _dice(f.mask, truth[f.level]) > 0.9  # back in place at full size
