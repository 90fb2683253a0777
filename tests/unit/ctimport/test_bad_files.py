"""Damaged and hostile label inputs give one InputError in words, nothing else."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.ctimport.conftest import DATA
from vertapp.ctimport.labelfiles import read_label_map
from vertapp.ctimport.levels import read_label_table
from vertapp.errors import InputError

VERSE_MASK = DATA / "verse" / "sub-verse006_seg-vert_msk.nii.gz"


def _image(values: np.ndarray) -> sitk.Image:
    return sitk.GetImageFromArray(values)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b""), r"labels\.nii\.gz: "),  # the reader names the file
        (lambda p: p.write_bytes(VERSE_MASK.read_bytes()[:200]), r"labels\.nii\.gz: "),
        (
            lambda p: sitk.WriteImage(_image(np.full((4, 4, 4), 1.5, np.float32)), str(p)),
            "non-integer values",
        ),
        (
            lambda p: sitk.WriteImage(_image(np.full((4, 4, 4), -3, np.int16)), str(p)),
            "must lie in 0..65535",
        ),
        (lambda p: sitk.WriteImage(_image(np.zeros((4, 4), np.uint8)), str(p)), "3-D"),
        (
            lambda p: sitk.WriteImage(
                sitk.GetImageFromArray(np.zeros((4, 4, 4, 3), np.uint8), isVector=True), str(p)
            ),
            "several values per voxel",
        ),
    ],
    ids=["empty", "truncated", "float", "negative", "2d", "vector"],
)
def test_bad_label_files_are_refused_in_words(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "labels.nii.gz"
    make(path)
    with pytest.raises(InputError, match=message):
        read_label_map(path)


def test_missing_labels_and_a_folder_without_vertebra_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such label file"):
        read_label_map(tmp_path / "nothing.nii.gz")
    with pytest.raises(InputError, match="no vertebrae_<level>.nii.gz files"):
        read_label_map(tmp_path)
    with pytest.raises(InputError, match="needs --table"):
        read_label_map(VERSE_MASK, "table")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200), suffix=st.sampled_from([".json", ".csv"]))
def test_any_label_table_text_reads_or_gives_input_error(
    tmp_path: Path, text: str, suffix: str
) -> None:
    path = tmp_path / f"table{suffix}"
    path.write_text(text, encoding="utf-8")
    try:
        table = read_label_table(path)
    except InputError:
        return
    assert table and all(isinstance(k, int) and k > 0 for k in table)
