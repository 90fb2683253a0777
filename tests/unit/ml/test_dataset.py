"""Reading a project, patient-wise split, partial views and augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.errors import InputError, UnsafePathError
from vertapp.ml.augment import augment_sample, partial_view
from vertapp.ml.config import TrainConfig
from vertapp.ml.dataset import Sample, load_samples, split_by_patient

from .spines import spine_image, spine_samples, write_coco_dataset


def test_project_folder_round_trip(tmp_path):
    samples = spine_samples(2)
    write_coco_dataset(tmp_path / "proj", samples)
    loaded = load_samples(tmp_path / "proj")
    assert [s.patient for s in loaded] == ["p0", "p1"]
    for a, b in zip(samples, loaded, strict=True):
        assert np.array_equal(a.image, b.image)
        assert list(a.labels) == list(b.labels)
        dice = [
            2 * (m & n).sum() / (m.sum() + n.sum()) for m, n in zip(a.masks, b.masks, strict=True)
        ]
        assert min(dice) > 0.97


def test_missing_project_and_escaping_path(tmp_path):
    with pytest.raises(InputError):
        load_samples(tmp_path / "none")
    s = spine_samples(1)
    s[0].file_name = "../outside.png"
    path = write_coco_dataset(
        tmp_path / "p", [Sample(s[0].image, s[0].masks, s[0].labels, "x", 1, "img.png")]
    )
    path.write_text(path.read_text().replace('"img.png"', '"../outside.png"'))
    with pytest.raises(UnsafePathError):
        load_samples(path)


def test_split_is_by_patient_never_by_image():
    samples = [
        Sample(
            np.zeros((4, 4), np.uint8),
            np.zeros((0, 4, 4), bool),
            np.zeros(0, np.int64),
            patient=f"p{i // 3}",
            image_id=i,
        )
        for i in range(15)
    ]
    train, val = split_by_patient(samples, 0.4, seed=1)
    assert len(train) + len(val) == 15
    assert {s.patient for s in train}.isdisjoint({s.patient for s in val})
    assert len({s.patient for s in val}) == 2
    assert split_by_patient(samples[:3], 0.5)[1] == []  # one patient: nothing to hold out


def test_partial_views_show_4_to_17_consecutive_whole_vertebrae():
    img, masks, labels = spine_image(0, size=256, first=1, count=17)
    rng = np.random.default_rng(0)
    counts = set()
    for _ in range(60):
        im, m, lab = partial_view(img, masks, labels, rng)
        assert list(lab) == list(range(lab[0], lab[0] + len(lab)))  # consecutive, in order
        whole = [
            int(v) for mm, v in zip(m, lab, strict=True) if int(mm.sum()) == int(masks[v - 1].sum())
        ]
        assert 4 <= len(whole) <= 17
        assert set(lab) - set(whole) <= {lab[0], lab[-1]}  # only edge neighbours are cut
        assert im.shape[0] == m.shape[1]
        counts.add(len(whole))
    assert min(counts) == 4 and max(counts) >= 14


def test_augmentation_keeps_top_to_bottom_order():
    img, masks, labels = spine_image(1, size=128, count=8)
    cfg = TrainConfig(weights="none")
    rng = np.random.default_rng(5)
    for _ in range(10):
        out, m, lab = augment_sample(img, masks, labels, cfg, rng)
        assert out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1
        rows = [np.flatnonzero(x.any(axis=1)).mean() for x in m]
        assert list(np.argsort(rows)) == list(np.argsort(lab))
