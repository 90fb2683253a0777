"""A segmentation opened by mistake is told apart from a CT in words (issue #19)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vertapp.io import read_volume
from vertapp.io.plausibility import volume_warnings
from vertapp.io.volume import Volume

DATA = Path(__file__).resolve().parents[2] / "data" / "totalseg-example"


def test_the_real_vertebra_segmentation_is_called_a_segmentation() -> None:
    seg = read_volume(DATA / "seg_vertebrae_T11-L5_verse_ids.nii.gz")
    assert any("segmentation" in w and "label map" in w for w in seg.warnings)
    ct = read_volume(DATA / "ct.nii.gz")
    assert not any("segmentation" in w for w in ct.warnings)


def test_a_label_map_with_labels_above_255_is_still_a_segmentation() -> None:
    labels = np.zeros((20, 30, 30), np.int16)
    labels[5:10, 10:20, 10:20] = 301
    labels[10:15, 10:20, 10:20] = 302
    text = " | ".join(volume_warnings(Volume(labels, (1.0, 1.0, 1.0))))
    assert "segmentation" in text
    noisy_ct = np.random.default_rng(0).integers(-1000, 1500, (20, 30, 30)).astype(np.int16)
    assert "segmentation" not in " | ".join(volume_warnings(Volume(noisy_ct, (1.0, 1.0, 1.0))))
