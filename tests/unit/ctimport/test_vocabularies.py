"""Vocabularies: VerSe and TotalSegmentator ids, label tables and names map to the right levels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from tests.unit.ctimport.conftest import DATA
from vertapp.ctimport.alignment import labels_on_ct_grid
from vertapp.ctimport.case import to_classes
from vertapp.ctimport.labelfiles import read_label_map
from vertapp.ctimport.levels import (
    TOTALSEG,
    VERSE,
    builtin_vocabulary,
    class_of,
    drop_reason,
    parse_level,
    read_label_table,
)
from vertapp.errors import InputError
from vertapp.io import read_volume
from vertapp.labels import ID_VERTEBRA, VERTEBRA_ID

TOTALSEG_DIR = DATA / "totalseg-example"
SERIES = TOTALSEG_DIR / "dicom_series_20slices"


def test_verse_ids_name_the_published_levels() -> None:
    assert [VERSE[i] for i in (1, 7, 8, 19, 20, 24)] == ["C1", "C7", "T1", "T12", "L1", "L5"]
    assert (VERSE[25], VERSE[28], VERSE[26]) == ("L6", "T13", "sacrum")
    ours = {i: class_of(VERSE[i]) for i in range(8, 25)}
    assert [VERTEBRA_ID[c] for c in ours.values() if c] == list(range(1, 18))


def test_totalseg_v2_ids_name_the_published_levels() -> None:
    # totalsegmentator/map_to_binary.py, class_map["total"]
    expected = {26: "S1", 27: "L5", 31: "L1", 32: "T12", 33: "T11", 43: "T1", 44: "C7", 50: "C1"}
    assert {k: TOTALSEG[k] for k in expected} == expected
    assert 52 not in TOTALSEG and 1 not in TOTALSEG  # aorta, spleen
    assert builtin_vocabulary("totalseg_v1")[18] == "L5"


@pytest.mark.parametrize(
    ("level", "cls", "reason"),
    [
        ("L6", None, "transitional"),
        ("T13", None, "transitional"),
        ("C7", None, "outside T1..L5"),
        ("S1", None, "outside T1..L5"),
        ("sacrum", None, "outside T1..L5"),
        ("L5", "L5", None),
    ],
)
def test_levels_outside_the_classes_are_left_out_with_a_reason(level, cls, reason) -> None:  # type: ignore[no-untyped-def]
    assert class_of(level) == cls
    if reason:
        assert drop_reason(level) == reason


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("vertebrae_L1", "L1"),
        ("Th12", "T12"),
        ("L 5", "L5"),
        ("T12 vertebra", "T12"),
        ("Lumbar vertebra 3", "L3"),
        ("sacrum", "sacrum"),
        ("vertebrae_S1", "S1"),
        ("liver", None),
        ("rib_left_12", None),
        ("L7", None),
        ("T14", None),
    ],
)
def test_label_names_parse_to_levels(name: str, level: str | None) -> None:
    assert parse_level(name) == level


def test_a_transitional_l6_is_left_unlabelled_and_reported() -> None:
    grid = np.zeros((6, 4, 4), np.int32)
    grid[0:2], grid[2:4], grid[4:6] = 25, 24, 23  # z grows upwards: L6 lowest, then L5, L4
    classes, left_out = to_classes(grid, VERSE, "m.nii.gz")
    assert left_out == {"transitional": ["L6"]}
    assert set(np.unique(classes[0:2])) == {0}
    assert ID_VERTEBRA[int(classes[2, 0, 0])] == "L5" and ID_VERTEBRA[int(classes[4, 0, 0])] == "L4"


def test_a_map_with_no_vertebra_under_the_vocabulary_is_refused() -> None:
    grid = np.full((2, 2, 2), 52, np.int32)  # 'aorta' in TotalSegmentator
    with pytest.raises(InputError, match="no T1..L5 vertebra among the labels"):
        to_classes(grid, TOTALSEG, "seg.nii.gz")


def _classes_z(path: Path, vocabulary: str, ct: Path) -> dict[str, float]:
    """level -> mean LPS z (mm) of that class after import mapping."""
    volume = read_volume(ct)
    label_map = read_label_map(path, vocabulary)
    classes, _ = to_classes(
        labels_on_ct_grid(label_map.image, volume, path.name), label_map.levels, "x"
    )
    out = {}
    for i in np.unique(classes[classes > 0]):
        out[ID_VERTEBRA[int(i)]] = float(volume.index_to_lps(np.argwhere(classes == i).mean(0))[2])
    return out


def test_real_totalsegmentator_multilabel_file_gives_t11_above_t12() -> None:
    z = _classes_z(SERIES / "seg_total_model.nii.gz", "totalseg", SERIES / "dicom")
    assert set(z) == {"T11", "T12"}  # ids 33 and 32; organs (liver 5, aorta 52...) ignored
    assert z["T11"] > z["T12"]


def test_real_verse_numbered_file_gives_t11_to_l5_head_to_foot() -> None:
    z = _classes_z(
        TOTALSEG_DIR / "seg_vertebrae_T11-L5_verse_ids.nii.gz", "verse", TOTALSEG_DIR / "ct.nii.gz"
    )
    order = ["T11", "T12", "L1", "L2", "L3", "L4", "L5"]
    assert list(z) == order
    assert all(z[a] > z[b] for a, b in zip(order, order[1:], strict=False))


def test_the_same_file_read_as_totalseg_is_refused_not_mislabelled() -> None:
    path = TOTALSEG_DIR / "seg_vertebrae_T11-L5_verse_ids.nii.gz"
    with pytest.raises(InputError, match="vocabulary"):
        _classes_z(path, "totalseg", TOTALSEG_DIR / "ct.nii.gz")


def test_totalseg_folder_matches_the_multilabel_file(tmp_path: Path) -> None:
    multi = sitk.ReadImage(str(SERIES / "seg_total_model.nii.gz"))
    values = sitk.GetArrayFromImage(multi)
    for name, ts_id in (
        ("vertebrae_T11", 33),
        ("vertebrae_T12", 32),
        ("liver", 5),
        ("vertebrae_L1", 31),
    ):
        mask = sitk.GetImageFromArray((values == ts_id).astype(np.uint8))
        mask.CopyInformation(multi)
        sitk.WriteImage(mask, str(tmp_path / f"{name}.nii.gz"))
    folder_map = read_label_map(tmp_path)
    file_map = read_label_map(SERIES / "seg_total_model.nii.gz", "totalseg")
    volume = read_volume(SERIES / "dicom")
    a, _ = to_classes(labels_on_ct_grid(folder_map.image, volume, "f"), folder_map.levels, "f")
    b, _ = to_classes(labels_on_ct_grid(file_map.image, volume, "f"), file_map.levels, "f")
    assert np.array_equal(a, b) and a.any()


def test_label_tables_in_json_and_csv(tmp_path: Path) -> None:
    shipped = read_label_table(TOTALSEG_DIR / "labels.json")  # {"labels": {"18": "T11", ...}}
    assert shipped[18] == "T11" and shipped[24] == "L5"
    csv_file = tmp_path / "table.csv"
    csv_file.write_text("id,name\n1,L1 vertebra\n2,Th12\n3,kidney\n", encoding="utf-8")
    assert read_label_table(csv_file) == {1: "L1 vertebra", 2: "Th12", 3: "kidney"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"one": "L1"}), encoding="utf-8")
    with pytest.raises(InputError, match="not an integer"):
        read_label_table(bad)
