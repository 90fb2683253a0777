"""Bad inputs give one clear line; `vertapp backproject` writes what it is asked to."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from pycocotools import mask as mask_utils

from vertapp.annotations.model import default_categories
from vertapp.backproject import AMBIGUOUS, BackProjector, footprint_from_coco, footprint_from_masks
from vertapp.cli import main
from vertapp.errors import InputError
from vertapp.io.volume import Volume
from vertapp.labels import VERTEBRA_ID


def write_coco(footprint: np.ndarray, path: Path, size: tuple[int, int] | None = None) -> Path:
    """The footprint's vertebrae as a COCO file with RLE masks (as `predict` writes)."""
    rows, cols = size or footprint.shape
    anns = []
    for n, v in enumerate(int(x) for x in np.unique(footprint) if 0 < x < AMBIGUOUS):
        rle = mask_utils.encode(np.asfortranarray((footprint == v).astype(np.uint8)))
        rle["counts"] = rle["counts"].decode()
        anns.append(
            {"id": n + 1, "image_id": 1, "category_id": v, "segmentation": rle, "iscrowd": 0}
        )
    data = {
        "images": [{"id": 1, "file_name": "mip.png", "height": rows, "width": cols}],
        "categories": default_categories(),
        "annotations": anns,
    }
    path.write_text(json.dumps(data))
    return path


def test_coco_masks_become_the_footprint(pir_case, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fp = pir_case.footprint
    got = footprint_from_coco(write_coco(fp, tmp_path / "m.json"), fp.shape)
    np.testing.assert_array_equal(got, fp)


def test_overlapping_masks_of_two_vertebrae_are_marked_ambiguous() -> None:
    a = np.zeros((6, 6), bool)
    a[1:4, 1:4] = True
    b = np.zeros((6, 6), bool)
    b[3:5, 3:5] = True
    fp = footprint_from_masks([("L1", a), ("l2", b)], (6, 6))
    assert fp[1, 1] == VERTEBRA_ID["L1"] and fp[4, 4] == VERTEBRA_ID["L2"]
    assert fp[3, 3] == AMBIGUOUS


def test_masks_of_another_image_size_are_refused(pir_case, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows, cols = pir_case.footprint.shape
    path = write_coco(pir_case.footprint[:-10], tmp_path / "m.json")
    with pytest.raises(InputError, match=f"{cols}x{rows} px: the masks belong to another image"):
        footprint_from_coco(path, (rows, cols))
    projector = BackProjector(pir_case.volume, pir_case.result)
    with pytest.raises(InputError, match="belong to another image"):
        projector.run(pir_case.footprint[:, :-3])
    with pytest.raises(InputError, match="is not a vertebra"):
        footprint_from_masks([("femur", np.zeros((rows, cols), bool))], (rows, cols))


def test_a_ct_that_does_not_match_the_preprocessing_is_refused(pir_case) -> None:  # type: ignore[no-untyped-def]
    v = pir_case.volume
    cropped = Volume(v.array[2:], v.spacing, v.origin, v.direction)
    with pytest.raises(InputError, match="does not match the preprocessing"):
        BackProjector(cropped, pir_case.result)
    moved = Volume(v.array, v.spacing, (v.origin[0] + 20, v.origin[1], v.origin[2]), v.direction)
    with pytest.raises(InputError, match="origin"):
        BackProjector(moved, pir_case.result)


def test_cli_writes_nifti_and_centroids(pir_case, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    pir_case.result.save(tmp_path / "pre")
    coco = write_coco(pir_case.footprint, tmp_path / "masks.json")
    out, ctd = tmp_path / "labels.nii.gz", tmp_path / "ctd.json"
    code = main(
        ["backproject", str(pir_case.path), str(coco), "--out", str(out),
         "--preprocess", str(tmp_path / "pre" / "preprocess.json"), "--centroids", str(ctd), "--quiet"]
    )  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "L3:" in text and "unclaimed" in text
    labels = sitk.GetArrayFromImage(sitk.ReadImage(str(out)))
    assert set(np.unique(labels)) == {0, 20, 21, 22, 23, 24}
    assert [d.get("label") for d in json.loads(ctd.read_text())][1:] == [20, 21, 22, 23, 24]


def test_cli_errors_in_one_line(pir_case, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    coco = write_coco(pir_case.footprint, tmp_path / "m.json", size=(50, 60))
    out = tmp_path / "l.nii.gz"
    pir_case.result.save(tmp_path / "pre")
    code = main(
        ["backproject", str(pir_case.path), str(coco), "--out", str(out),
         "--preprocess", str(tmp_path / "pre"), "--quiet"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "belong to another image" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
    code = main(["backproject", str(pir_case.path), str(coco), "--out", str(out), "--seg", "x.dcm"])
    assert code == 1 and "needs a CT read from a DICOM series" in capsys.readouterr().err


def test_job_reports_progress_and_cancels_at_a_yield(pir_case) -> None:  # type: ignore[no-untyped-def]
    from vertapp.backproject import backproject_job

    job = backproject_job(pir_case.volume, pir_case.result, pir_case.footprint)
    fractions = [next(job).fraction for _ in range(3)]
    assert fractions == sorted(fractions) and fractions[0] == 0.0
    job.close()  # cancel: the generator stops at the paused yield
    with pytest.raises(StopIteration):
        next(job)


def test_export_job_writes_every_requested_output(dicom_case_for_export, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from vertapp.backproject.export import export_job
    from vertapp.jobs import run_job

    folder, volume, bp = dicom_case_for_export
    paths = run_job(
        export_job(
            bp,
            volume,
            tmp_path / "l.nii",
            centroids=tmp_path / "c.json",
            seg=tmp_path / "s.dcm",
            dicom_source=folder,
        )
    )
    assert [p.name for p in paths] == ["l.nii", "c.json", "s.dcm"]
    assert all(p.stat().st_size > 0 for p in paths)
    with pytest.raises(InputError, match="DICOM series"):
        run_job(export_job(bp, volume, tmp_path / "m.nii", seg=tmp_path / "t.dcm"))


def test_cli_writes_a_dicom_seg_for_a_dicom_ct(
    pir_case, dicom_case_for_export, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    import pydicom

    folder = dicom_case_for_export[0]
    pir_case.result.save(tmp_path / "pre")
    coco = write_coco(pir_case.footprint, tmp_path / "masks.json")
    seg = tmp_path / "seg.dcm"
    code = main(
        ["backproject", str(folder), str(coco), "--out", str(tmp_path / "l.nii.gz"),
         "--preprocess", str(tmp_path / "pre"), "--seg", str(seg), "--quiet"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    ds = pydicom.dcmread(seg)
    assert ds.Modality == "SEG" and str(ds.PatientName) == ""
    assert [s.SegmentLabel for s in ds.SegmentSequence] == ["L1", "L2", "L3", "L4", "L5"]


def test_cli_says_on_stderr_that_a_seg_without_uids_cannot_be_filed(
    pir_case, dicom_case_for_export, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    """A series whose study and series UIDs an anonymiser removed: the SEG is written, and
    the user hears that a PACS cannot file it (a log line only before), once."""
    import shutil

    import pydicom

    folder = tmp_path / "series"
    shutil.copytree(dicom_case_for_export[0], folder)
    for path in folder.iterdir():
        ds = pydicom.dcmread(path)
        ds.StudyInstanceUID = ds.SeriesInstanceUID = ""
        ds.save_as(path)
    pir_case.result.save(tmp_path / "pre")
    coco = write_coco(pir_case.footprint, tmp_path / "masks.json")
    code = main(
        ["backproject", str(folder), str(coco), "--out", str(tmp_path / "l.nii.gz"),
         "--preprocess", str(tmp_path / "pre"), "--seg", str(tmp_path / "s.dcm"), "--quiet"]
    )  # fmt: skip
    said = capsys.readouterr()
    assert code == 0, said.err
    lines = [line for line in said.err.splitlines() if "no study or series UID" in line]
    assert lines == [
        "warning: the CT series has no study or series UID (an anonymiser removed them): "
        "the SEG is written, but a PACS cannot file it with its CT"
    ]
    assert "warning:" not in said.out and (tmp_path / "s.dcm").is_file()


def test_cli_says_the_cts_notes_and_warnings(pir_case, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A float CT (values rounded to whole HU: a note) is said as `vertapp preprocess`
    says it; stdout keeps the summary."""
    image = sitk.ReadImage(str(pir_case.path))
    floats = tmp_path / "ct_float.nii.gz"
    sitk.WriteImage(sitk.Cast(image, sitk.sitkFloat32) + 0.25, str(floats))
    pir_case.result.save(tmp_path / "pre")
    coco = write_coco(pir_case.footprint, tmp_path / "masks.json")
    code = main(
        ["backproject", str(floats), str(coco), "--out", str(tmp_path / "l.nii.gz"),
         "--preprocess", str(tmp_path / "pre"), "--quiet"]
    )  # fmt: skip
    said = capsys.readouterr()
    assert code == 0, said.err
    assert "note: float voxel values were rounded to whole HU (int16)" in said.err.splitlines()
    assert "note:" not in said.out
