"""DICOM SEG: a SEG made with highdicom on the real 20-slice series is read back in place."""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom.sr.codedict import codes

from tests.unit.ctimport.conftest import DATA
from vertapp.annotations.store import new_project
from vertapp.ctimport import CaseSpec, import_case_job
from vertapp.ctimport.alignment import labels_on_ct_grid
from vertapp.ctimport.case import to_classes
from vertapp.ctimport.labelfiles import read_dicom_seg, read_label_map
from vertapp.errors import InputError
from vertapp.io import read_volume
from vertapp.jobs import run_job
from vertapp.labels import VERTEBRA_ID

SERIES = DATA / "totalseg-example" / "dicom_series_20slices"


@pytest.fixture(scope="module")
def truth() -> tuple[object, np.ndarray]:
    """The CT and its TotalSegmentator T11/T12 labels on the CT grid (LPS, class ids)."""
    volume = read_volume(SERIES / "dicom")
    label_map = read_label_map(SERIES / "seg_total_model.nii.gz", "totalseg")
    on_grid = labels_on_ct_grid(label_map.image, volume, "seg_total_model.nii.gz")
    classes, _ = to_classes(on_grid, label_map.levels, "seg_total_model.nii.gz")
    return volume, classes


def _segment(number: int, label: str) -> hd.seg.SegmentDescription:
    return hd.seg.SegmentDescription(
        segment_number=number,
        segment_label=label,
        segmented_property_category=codes.SCT.Tissue,
        segmented_property_type=codes.SCT.Bone,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
    )


FRAME_OF_REFERENCE = hd.UID()


def _complete(ds: pydicom.Dataset) -> pydicom.Dataset:
    """The test series is anonymised down to empty UIDs; fill in what a SEG must reference."""
    ds.SOPClassUID = ds.SOPClassUID or ds.file_meta.MediaStorageSOPClassUID
    ds.FrameOfReferenceUID = ds.get("FrameOfReferenceUID") or FRAME_OF_REFERENCE
    ds.SOPInstanceUID = ds.get("SOPInstanceUID") or ds.file_meta.MediaStorageSOPInstanceUID
    return ds


def _write_seg(classes: np.ndarray, out: Path, series: Path = SERIES / "dicom") -> Path:
    """A BINARY SEG with segments 'T11 vertebra' (1) and 'T12 vertebra' (2) on the series."""
    sources = [_complete(pydicom.dcmread(f)) for f in sorted(series.iterdir())]
    sources.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    assert [float(v) for v in sources[0].ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
    # The LPS volume is (z up, row = y posterior, col = x left): DICOM's axial frame order.
    seg_ids = np.zeros(classes.shape, np.uint8)
    seg_ids[classes == VERTEBRA_ID["T11"]] = 1
    seg_ids[classes == VERTEBRA_ID["T12"]] = 2
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=seg_ids,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[_segment(1, "T11 vertebra"), _segment(2, "T12 vertebra")],
        series_instance_uid=hd.UID(),
        series_number=99,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="VertApp tests",
        manufacturer_model_name="test",
        software_versions="0",
        device_serial_number="0",
    )
    seg.save_as(out)
    return out


def test_dicom_seg_round_trip_lands_on_the_same_voxels(truth, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    volume, classes = truth
    assert {int(v) for v in np.unique(classes)} == {0, VERTEBRA_ID["T11"], VERTEBRA_ID["T12"]}
    seg_file = _write_seg(classes, tmp_path / "seg.dcm")
    label_map = read_dicom_seg(seg_file)
    assert sorted(label_map.levels.values()) == ["T11", "T12"]
    back, _ = to_classes(
        labels_on_ct_grid(label_map.image, volume, "seg.dcm"), label_map.levels, "x"
    )
    assert np.array_equal(back, classes)


def test_dicom_ct_folder_with_seg_imports_as_a_project_image(truth, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, classes = truth
    seg_file = _write_seg(classes, tmp_path / "seg.dcm")
    project = new_project(tmp_path / "project")
    report = run_job(import_case_job(project, CaseSpec(SERIES / "dicom", seg_file)))
    record = project.images[report.image_id]
    assert record.extra["vertapp"]["source"] == "imported"
    assert report.name.startswith("ct-")  # DICOM names never reach file names
    assert set(report.levels) <= {"T11", "T12"} and report.levels
    # how the original was stored (File > Export 3D labels… needs it), never its path
    facts = record.extra["vertapp"]["import"]
    assert facts["ct_dicom"] is True and facts["ct_stored_orientation"] == "LPS"
    assert str(SERIES) not in repr(record.extra)


def test_a_seg_from_another_frame_of_reference_is_refused(truth, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The same voxels, but the CT copy says it is another scan: refused by UID."""
    _, classes = truth
    copy = tmp_path / "ct"
    copy.mkdir()
    frame = hd.UID()
    for f in sorted((SERIES / "dicom").iterdir()):
        ds = _complete(pydicom.dcmread(f))
        ds.FrameOfReferenceUID = frame
        ds.save_as(copy / f.name)
    matching = _write_seg(classes, tmp_path / "matching.dcm", copy)
    report = run_job(import_case_job(new_project(tmp_path / "p"), CaseSpec(copy, matching)))
    assert report.levels and not any("SEG" in w for w in report.warnings)
    foreign = _write_seg(classes, tmp_path / "foreign.dcm")  # another frame of reference
    with pytest.raises(InputError, match="foreign.dcm: the SEG is in another frame of reference"):
        run_job(import_case_job(new_project(tmp_path / "q"), CaseSpec(copy, foreign)))


def test_the_apps_own_seg_export_imports_back_voxel_exact(truth, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """vertapp backproject --seg writes what vertapp import reads: the whole round trip."""
    from vertapp.backproject.dicom_seg import write_seg

    volume, classes = truth
    seg_file = write_seg(classes, volume, SERIES / "dicom", tmp_path / "export.dcm")
    label_map = read_label_map(seg_file, ct=SERIES / "dicom")
    back, _ = to_classes(labels_on_ct_grid(label_map.image, volume, "x"), label_map.levels, "x")
    assert np.array_equal(back, classes)
