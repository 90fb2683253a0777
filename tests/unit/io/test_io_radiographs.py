"""Radiographs: DICOM DX/CR (MONOCHROME1 inverted), PNG/JPEG/TIFF 8 and 16 bit, dispatch."""

from __future__ import annotations

import cv2
import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from iotest_helpers import write_dx
from PIL import Image
from pydicom.uid import RLELossless

from vertapp.errors import ModalityError
from vertapp.io import Radiograph, Volume, read_any, read_radiograph, write_volume


@pytest.fixture
def xray() -> np.ndarray:
    """12-bit values, bright 'bone' band in the middle."""
    rng = np.random.default_rng(1)
    image = rng.integers(200, 400, size=(40, 30)).astype(np.uint16)
    image[15:25, 10:20] = 3500
    return image


def test_dicom_dx_monochrome2_with_pixel_spacing(tmp_path, xray):
    path = write_dx(tmp_path / "dx.dcm", xray, pixel_spacing=(0.15, 0.16))
    rad = read_radiograph(path)
    np.testing.assert_array_equal(rad.array, xray.astype(np.float32))
    assert rad.array.dtype == np.float32
    assert rad.pixel_spacing == (0.15, 0.16)
    assert rad.modality == "DX" and rad.bits_stored == 12
    assert rad.identifiers == {} and rad.warnings == []


def test_monochrome1_is_inverted_so_bone_is_bright(tmp_path, xray):
    path = write_dx(tmp_path / "cr.dcm", 4095 - xray, photometric="MONOCHROME1", modality="CR")
    rad = read_radiograph(path)
    np.testing.assert_array_equal(rad.array, xray.astype(np.float32))
    assert rad.array[20, 15] > rad.array[0, 0]  # bone brighter than soft tissue


def test_compressed_monochrome1_is_inverted_once(tmp_path, xray):
    path = write_dx(tmp_path / "cr.dcm", 4095 - xray, photometric="MONOCHROME1", modality="CR")
    ds = pydicom.dcmread(path)
    ds.compress(RLELossless)
    ds.save_as(tmp_path / "rle.dcm", enforce_file_format=True)
    np.testing.assert_array_equal(read_radiograph(tmp_path / "rle.dcm").array, xray)


def test_gdcm_fallback_does_not_invert_twice(tmp_path, xray, monkeypatch):
    from vertapp.errors import InputError
    from vertapp.io import dicom_pixels

    def no_pydicom(path, ds):
        raise InputError("pretend pydicom has no decoder")

    monkeypatch.setattr(dicom_pixels, "_pydicom_frame", no_pydicom)
    path = write_dx(tmp_path / "cr.dcm", 4095 - xray, photometric="MONOCHROME1", modality="CR")
    ds = pydicom.dcmread(path)
    ds.compress(RLELossless)
    ds.save_as(tmp_path / "rle.dcm", enforce_file_format=True)
    np.testing.assert_array_equal(read_radiograph(tmp_path / "rle.dcm").array, xray)


def test_imager_pixel_spacing_used_with_magnification(tmp_path, xray):
    plain = write_dx(tmp_path / "a.dcm", xray, imager_spacing=(0.2, 0.2))
    rad = read_radiograph(plain)
    assert rad.pixel_spacing == (0.2, 0.2)
    # in plain words: what the millimetres mean, not the tag's name
    assert rad.warnings == [
        "millimetres are measured at the detector, about 10-20 % larger than in the "
        "patient (the film records no magnification)"
    ]
    magnified = write_dx(tmp_path / "b.dcm", xray, imager_spacing=(0.2, 0.2), magnification=1.25)
    assert read_radiograph(magnified).pixel_spacing == pytest.approx((0.16, 0.16))


def test_identifiers_kept_only_when_asked(tmp_path, xray):
    path = write_dx(tmp_path / "dx.dcm", xray)
    assert read_radiograph(path).identifiers == {}
    kept = read_radiograph(path, keep_identifiers=True).identifiers
    assert kept["PatientName"] == "Doe^Jane" and kept["PatientID"] == "ID12345"


def test_sixteen_bit_png_and_tiff_keep_full_depth(tmp_path, xray):
    deep = (xray.astype(np.uint32) * 16).astype(np.uint16)  # up to 56000: needs 16 bits
    cv2.imwrite(str(tmp_path / "x.png"), deep)
    Image.fromarray(deep).save(tmp_path / "x.tif")
    for name in ("x.png", "x.tif"):
        rad = read_radiograph(tmp_path / name)
        np.testing.assert_array_equal(rad.array, deep.astype(np.float32))
        assert rad.bits_stored == 16 and rad.pixel_spacing is None


def test_eight_bit_jpeg_and_colour_png(tmp_path):
    grey = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (20, 1))
    cv2.imwrite(str(tmp_path / "g.jpg"), grey, [cv2.IMWRITE_JPEG_QUALITY, 100])
    rad = read_radiograph(tmp_path / "g.jpg")
    assert rad.shape == (20, 25) and rad.bits_stored == 8
    assert np.abs(rad.array - grey).max() <= 3  # JPEG is lossy
    colour = np.zeros((10, 12, 3), dtype=np.uint8)
    colour[..., 2] = 200  # pure red in OpenCV's BGR order
    cv2.imwrite(str(tmp_path / "c.png"), colour)
    rad = read_radiograph(tmp_path / "c.png")
    assert rad.array[0, 0] == pytest.approx(0.299 * 200, abs=0.01)
    assert "colour image converted to grey" in rad.warnings


def test_read_any_decides_by_content(tmp_path, xray, volume, series_dir):
    write_dx(tmp_path / "no-extension", xray)
    cv2.imwrite(str(tmp_path / "x.png"), xray)
    (tmp_path / "x.png").rename(tmp_path / "x.data")  # a PNG without its extension
    write_volume(volume, tmp_path / "v.nii.gz")
    assert isinstance(read_any(tmp_path / "no-extension"), Radiograph)
    assert isinstance(read_any(tmp_path / "x.data"), Radiograph)
    assert isinstance(read_any(tmp_path / "v.nii.gz"), Volume)
    assert isinstance(read_any(series_dir), Volume)
    flat = sitk.GetImageFromArray(xray.astype(np.int16)[None])  # a one-slice volume file
    flat.SetSpacing((0.3, 0.2, 1.0))
    sitk.WriteImage(flat, str(tmp_path / "flat.nii.gz"))
    rad = read_any(tmp_path / "flat.nii.gz")
    assert isinstance(rad, Radiograph) and rad.pixel_spacing == pytest.approx((0.2, 0.3))
    np.testing.assert_array_equal(rad.array, xray)


def test_folder_with_one_radiograph_reads_as_radiograph(tmp_path, xray):
    write_dx(tmp_path / "img0001", xray)
    assert isinstance(read_any(tmp_path), Radiograph)


def test_volume_where_radiograph_needed(tmp_path, volume):
    write_volume(volume, tmp_path / "v.nii.gz")
    with pytest.raises(
        ModalityError, match=r"v.nii.gz: is a 3-D volume .* a 2-D radiograph is needed"
    ):
        read_radiograph(tmp_path / "v.nii.gz")
