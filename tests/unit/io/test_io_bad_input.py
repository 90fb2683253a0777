"""One test per kind of bad input: each gets one specific line, never a traceback."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from iotest_helpers import make_volume, slice_files_in_order, write_dx

from vertapp.cli import main
from vertapp.errors import InputError, ModalityError
from vertapp.io import read_radiograph, read_volume, write_dicom_series


def test_no_such_file(tmp_path):
    with pytest.raises(InputError, match=r"missing\.nii\.gz: no such file or folder$"):
        read_volume(tmp_path / "missing.nii.gz")


def test_not_an_image(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match=r"notes\.txt: not an image or volume file \(expected"):
        read_volume(tmp_path / "notes.txt")


def test_corrupt_volume_file(tmp_path):
    (tmp_path / "broken.nii.gz").write_bytes(b"\x1f\x8b" + bytes(range(200)))
    with pytest.raises(InputError, match=r"broken\.nii\.gz: corrupt or truncated gzip data \("):
        read_volume(tmp_path / "broken.nii.gz")


def test_empty_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.png: file is empty"):
        read_radiograph(tmp_path / "empty.png")


def test_truncated_dicom_slice_in_a_series(series_dir):
    victim = slice_files_in_order(series_dir)[4]
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) - 100])
    with pytest.raises(InputError) as err:
        read_volume(series_dir)
    assert str(err.value) == (
        f"{victim}: truncated DICOM file (pixel data has {16 * 20 * 2 - 100} of {16 * 20 * 2} bytes)"
    )


def test_truncated_dicom_radiograph(tmp_path):
    path = write_dx(tmp_path / "dx.dcm", np.full((40, 30), 100, dtype=np.uint16))
    path.write_bytes(path.read_bytes()[:-500])
    with pytest.raises(InputError, match=r"dx\.dcm: truncated"):
        read_radiograph(path)


def test_dicom_cut_inside_its_header(tmp_path, series_dir):
    victim = slice_files_in_order(series_dir)[0]
    (tmp_path / "cut.dcm").write_bytes(victim.read_bytes()[:400])
    with pytest.raises(
        InputError,
        match=r"cut\.dcm: not a DICOM image \(no pixel data; the file may be truncated\)",
    ):
        read_volume(tmp_path / "cut.dcm")


def test_mr_instead_of_ct(tmp_path):
    mr = make_volume()
    mr.modality = "MR"
    write_dicom_series(mr, tmp_path / "mr", series_description="T2 tse")
    with pytest.raises(
        ModalityError, match=r"no CT series found \(found MR 'T2 tse' \(12 images\)\)"
    ):
        read_volume(tmp_path / "mr")
    one_file = next((tmp_path / "mr").iterdir())
    with pytest.raises(
        ModalityError, match=r"holds MR .* not CT; the CT pipeline needs a CT volume"
    ):
        read_volume(one_file)
    assert read_volume(tmp_path / "mr", require_ct=False).modality == "MR"


def test_png_where_volume_needed(tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "xray.png"), np.zeros((20, 30), np.uint8))
    with pytest.raises(
        ModalityError, match=r"xray\.png: is a 2-D image \(30x20\); a 3-D volume is needed"
    ):
        read_volume(tmp_path / "xray.png")


def test_dx_dicom_where_volume_needed(tmp_path):
    path = write_dx(tmp_path / "dx.dcm", np.zeros((20, 30), np.uint16))
    with pytest.raises(
        ModalityError, match=r"dx\.dcm: is a 2-D DX radiograph \(30x20\); a 3-D volume"
    ):
        read_volume(path)


def test_two_d_nifti_where_volume_needed(tmp_path):
    sitk.WriteImage(
        sitk.GetImageFromArray(np.zeros((20, 30), np.int16)), str(tmp_path / "flat.nii")
    )
    with pytest.raises(ModalityError, match=r"flat\.nii: is a 2-D image \(30x20\); a 3-D volume"):
        read_volume(tmp_path / "flat.nii")


def test_single_ct_slice_where_volume_needed(tmp_path, volume):
    write_dicom_series(volume, tmp_path / "s")
    for f in slice_files_in_order(tmp_path / "s")[1:]:
        f.unlink()
    with pytest.raises(
        ModalityError, match=r"a single 2-D CT image \(16x20\), a 3-D volume is needed"
    ):
        read_volume(tmp_path / "s")


def test_nan_data(tmp_path, volume):
    data = volume.array.astype(np.float32)
    data[2, 3, 4:7] = np.nan
    sitk.WriteImage(sitk.GetImageFromArray(data), str(tmp_path / "nan.nii.gz"))
    with pytest.raises(InputError, match=r"nan\.nii\.gz: volume contains 3 NaN or infinite voxel"):
        read_volume(tmp_path / "nan.nii.gz")
    sitk.WriteImage(sitk.GetImageFromArray(data), str(tmp_path / "nan.mha"))
    with pytest.raises(InputError, match=r"nan\.mha: volume contains 3 NaN or infinite voxel"):
        read_volume(tmp_path / "nan.mha")


def test_folder_without_dicom(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(InputError, match=r": no DICOM files found in folder$"):
        read_volume(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"empty: no DICOM files found in folder$"):
        read_volume(empty)


def test_cli_prints_one_line_and_no_traceback(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["info", str(tmp_path / "notes.txt")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("vertapp info: error: ") and "not an image or volume file" in err
