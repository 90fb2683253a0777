"""Partial views (paper step 7): 4..17 consecutive vertebrae, annotations cropped alike."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vertapp.errors import InputError
from vertapp.preprocess.partial_views import partial_views, partial_views_by_length

H, W, TOP, STEP, HEIGHT = 520, 120, 10, 30, 24  # vertebra n spans rows TOP+STEP*(n-1) .. +HEIGHT


def _spine(
    labels: range = range(1, 18),
) -> tuple[np.ndarray, np.ndarray, dict[int, list[np.ndarray]]]:
    img = np.zeros((H, W), np.uint8)
    lab = np.zeros((H, W), np.uint8)
    polys: dict[int, list[np.ndarray]] = {}
    for n in labels:
        r0 = TOP + STEP * (n - 1)
        # a body and a spinous process sloping down over the next vertebra's rows
        body = np.array([[20, r0], [70, r0], [70, r0 + HEIGHT], [20, r0 + HEIGHT]], float)
        spin = np.array([[70, r0 + 8], [110, r0 + 28], [104, r0 + 36], [70, r0 + 16]], float)
        polys[n] = [body, spin]
        for p in polys[n]:
            cv2.fillPoly(lab, [np.round(p).astype(np.int32)], int(n))
    img[lab > 0] = 200
    return img, lab, polys


def test_full_spine_gives_the_papers_105_views() -> None:
    img, lab, _ = _spine()
    views = partial_views(img, lab)
    assert len(views) == 105  # 1260 training images / 12 spines in the paper
    counts = [len(v.labels) for v in views]
    assert min(counts) == 4 and max(counts) == 17 and counts.count(4) == 14


def test_label_image_cropped_with_the_image() -> None:
    img, lab, _ = _spine()
    views = partial_views(img, lab)
    assert len(views) == 105  # the loop below checks every one of them
    for v in views:
        r0, r1 = v.rows
        assert np.array_equal(v.image, img[r0:r1]) and np.array_equal(v.annotations, lab[r0:r1])
        for n in v.labels:  # every listed vertebra is whole in the view
            assert (v.annotations == n).sum() == (lab == n).sum()
        assert set(v.partial_labels).isdisjoint(v.labels)


def test_polygons_cropped_consistently_with_the_label_image() -> None:
    img, lab, polys = _spine()
    views = partial_views(img, polys, min_count=5, max_count=6)
    assert len(views) == 13 + 12  # windows of 5 and of 6 over 17 vertebrae
    for v in views:
        assert len(v.labels) in (5, 6)
        r0, r1 = v.rows
        raster = np.zeros((r1 - r0, W), np.uint8)
        for n, plist in v.annotations.items():
            for p in plist:
                assert p[:, 1].min() >= -1e-9 and p[:, 1].max() <= r1 - r0 + 1e-9
                cv2.fillPoly(raster, [np.round(p).astype(np.int32)], int(n))
        want = lab[r0:r1]
        both = (raster > 0) | (want > 0)
        agree = (raster == want) & both
        assert agree.sum() / both.sum() > 0.95
        assert set(v.annotations) == set(v.labels) | set(v.partial_labels)


def test_windows_never_span_a_missing_vertebra() -> None:
    img, lab, _ = _spine(labels=range(1, 18))
    lab[lab == 9] = 0
    views = partial_views(img, lab)
    assert all(9 not in v.labels for v in views)
    assert all(np.all(np.diff(v.labels) == 1) for v in views)
    # T1..T8 (8 labels) and T10..L5 (8 labels): 2 * sum_{n=4}^{8} (9 - n) windows
    assert len(views) == 2 * sum(9 - n for n in range(4, 9))


def test_unlabelled_crops_by_length() -> None:
    img = np.arange(300 * 10, dtype=np.float32).reshape(300, 10)
    views = partial_views_by_length(img, 1.0, lengths_mm=(110, 170, 400), step_mm=30)
    long = [v for v in views if v.meta["length_mm"] == 110]
    assert [v.rows[0] for v in long] == [0, 30, 60, 90, 120, 150, 180, 190]
    assert all(v.image.shape[0] == 110 for v in long) and long[-1].rows[1] == 300
    assert not [v for v in views if v.meta["length_mm"] == 400]  # longer than the image
    assert np.array_equal(long[1].image, img[30:140])


def test_mismatched_label_image_is_an_input_error() -> None:
    img, lab, _ = _spine()
    with pytest.raises(InputError):
        partial_views(img, lab[:-5])
