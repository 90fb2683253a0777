"""Compressed CT series read exactly like their uncompressed original (issue #18 keeps it).

RLE Lossless and JPEG-LS Lossless are encoded with pydicom (pyjpegls), JPEG 2000
Lossless and JPEG Lossless (process 14) with GDCM through SimpleITK: every
encoder available offline here. The reader must give the same HU voxels, the same
geometry and no extra warning, and print nothing of its decoders' own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.pixels import get_encoder
from pydicom.uid import JPEGLSLossless, RLELossless

from vertapp.io import read_volume, write_dicom_series
from vertapp.io.volume import Volume

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydicom.*")


def _original(tmp_path: Path) -> tuple[Volume, list[Path]]:
    rng = np.random.default_rng(5)
    array = rng.integers(-1024, 2000, size=(6, 28, 24)).astype(np.int16)
    files = write_dicom_series(
        Volume(array, (0.7, 0.7, 2.5), origin=(-3.0, 4.0, 10.0)), tmp_path / "plain", shuffle=False
    )
    return read_volume(tmp_path / "plain"), files


def _pydicom_compress(files: list[Path], folder: Path, uid) -> None:
    folder.mkdir()
    for path in files:
        ds = pydicom.dcmread(path)
        ds.compress(uid)
        ds.save_as(folder / path.name, enforce_file_format=True)


def _gdcm_compress(files: list[Path], folder: Path, compressor: str) -> None:
    folder.mkdir()
    for path in files:
        read = sitk.ReadImage(str(path), imageIO="GDCMImageIO")
        image = sitk.Cast(read, sitk.sitkInt16)  # HU as stored values: lossless JPEG is <= 16 bit
        for key in read.GetMetaDataKeys():  # Cast drops the header: series, modality, geometry
            if key not in ("0028|1052", "0028|1053"):  # the rescale was applied by the read
                image.SetMetaData(key, read.GetMetaData(key))
        writer = sitk.ImageFileWriter()
        writer.SetImageIO("GDCMImageIO")
        writer.KeepOriginalImageUIDOn()
        writer.SetUseCompression(True)
        writer.SetCompressor(compressor)
        writer.SetFileName(str(folder / path.name))
        writer.Execute(image)


CASES = [
    ("RLE Lossless", lambda f, d: _pydicom_compress(f, d, RLELossless), RLELossless),
    ("JPEG-LS Lossless", lambda f, d: _pydicom_compress(f, d, JPEGLSLossless), JPEGLSLossless),
    ("JPEG 2000 Lossless", lambda f, d: _gdcm_compress(f, d, "JPEG2000"), "1.2.840.10008.1.2.4.90"),
    ("JPEG Lossless SV1", lambda f, d: _gdcm_compress(f, d, "JPEG"), "1.2.840.10008.1.2.4.70"),
]


@pytest.mark.parametrize(("name", "compress", "uid"), CASES, ids=[c[0] for c in CASES])
def test_compressed_series_reads_like_the_original(tmp_path, capfd, name, compress, uid) -> None:
    if isinstance(uid, pydicom.uid.UID) and not get_encoder(uid).is_available:
        pytest.skip(f"no {name} encoder installed")
    original, files = _original(tmp_path)
    capfd.readouterr()
    compress(files, tmp_path / "packed")
    first = pydicom.dcmread(next((tmp_path / "packed").iterdir()), stop_before_pixels=True)
    assert first.file_meta.TransferSyntaxUID == uid  # really compressed as named
    capfd.readouterr()
    volume = read_volume(tmp_path / "packed")
    assert np.array_equal(volume.array, original.array)
    assert np.allclose(volume.spacing, original.spacing)
    assert np.allclose(volume.origin, original.origin)
    assert volume.warnings == original.warnings
    out, err = capfd.readouterr()
    assert err.strip() == ""
