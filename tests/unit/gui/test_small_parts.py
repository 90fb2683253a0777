"""Label keys, path classification, colours, brush rasterisation (the label suggestion:
tests/unit/review/test_next_label.py)."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.errors import InputError
from vertapp.gui.annotate.editing import stroke_mask
from vertapp.gui.annotate.label_palette import VERTEBRA_KEYS
from vertapp.gui.document.open_jobs import classify
from vertapp.gui.widgets.colors import label_color
from vertapp.labels import VERTEBRAE


def test_every_vertebra_has_a_distinct_key() -> None:
    assert set(VERTEBRA_KEYS) == set(VERTEBRAE)
    assert len(set(VERTEBRA_KEYS.values())) == len(VERTEBRAE)


def test_neighbouring_vertebrae_get_different_colours(qapp) -> None:  # type: ignore[no-untyped-def]
    hues = [label_color(n).hueF() for n in VERTEBRAE]
    gaps = [min(abs(a - b), 1 - abs(a - b)) for a, b in zip(hues, hues[1:], strict=False)]
    assert min(gaps) > 0.15


def test_classify(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "project.json").write_text("{}")
    (tmp_path / "dcm").mkdir()
    for name in ("a.nii.gz", "b.mha", "c.png", "d.dcm"):
        (tmp_path / name).write_bytes(b"x")
    assert classify(tmp_path / "proj") == "project"
    assert classify(tmp_path / "dcm") == "dicom_folder"
    assert classify(tmp_path / "a.nii.gz") == "volume"
    assert classify(tmp_path / "b.mha") == "volume"
    assert classify(tmp_path / "c.png") == "radiograph"
    assert classify(tmp_path / "d.dcm") == "dicom_file"
    with pytest.raises(InputError, match="no such"):
        classify(tmp_path / "missing.nii")


def test_stroke_mask_is_a_round_brush(qapp) -> None:  # type: ignore[no-untyped-def]
    mask = stroke_mask(np.array([[20.5, 10.5], [40.5, 10.5]]), 3.0, 30, 60)
    assert mask.shape == (30, 60)
    assert mask[10, 20] and mask[10, 40] and mask[10, 30]
    assert mask[12, 30] and not mask[15, 30]
    assert not mask[10, 45]
    area = int(mask.sum())
    assert 20 * 6 <= area <= 20 * 6 + np.pi * 9 + 20
