"""A real VerSe case (sub-verse006, manual L4/L5 masks, PIR, 1 x 1 x 3 mm) imported whole."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.unit.ctimport.conftest import DATA, instance_masks
from vertapp.annotations.store import load_project
from vertapp.cli import main
from vertapp.ctimport import find_cases

VERSE = DATA / "verse"


def test_verse_case_is_found_and_imported_with_its_levels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert [c.ct.name for c in find_cases(VERSE).cases] == ["sub-verse006_ct.nii.gz"]
    assert main(["import", str(VERSE), "--out", str(tmp_path / "p"), "--quiet"]) == 0
    assert "sub-verse006: L4, L5" in capsys.readouterr().out
    project = load_project(tmp_path / "p", require_images=True)
    (record,) = project.images.values()
    assert record.patient_key == "sub-verse006" and record.status == "completed"
    assert record.extra["vertapp"]["import"]["levels"] == ["L4", "L5"]
    assert (tmp_path / "p" / record.source_path).is_file()
    masks = instance_masks(record)
    rows = {level: np.argwhere(m)[:, 0].mean() for level, m in masks.items()}
    assert rows["L4"] < rows["L5"]  # head up: L4 above L5
    # each polygon covers a vertebra's sagittal extent (> 600 mm^2 at 1 mm pixels) on bone
    image = cv2.imread(str(project.image_path(record)), cv2.IMREAD_GRAYSCALE)
    outside = image[~np.any(list(masks.values()), axis=0)].mean()  # incl. the sacrum
    for level, mask in masks.items():
        assert mask.sum() > 600, level
        assert image[mask].mean() > 1.5 * outside, level
