"""Regression corpus, DICOM and radiograph side (issue #18): damaged headers and pixels.

Files are written on the fly (pydicom, Pillow, struct); each must end as one line
of our own error or as the right image, never as wrong HU in silence, a traceback
or a library printing its own trace.
"""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from vertapp.errors import InputError, VertAppError
from vertapp.io import load_any, read_volume, write_dicom_series
from vertapp.io.volume import Volume

NZ, NY, NX = 8, 24, 20
# pydicom's own warnings about damaged values (shown by pytest even though the app's
# filter silences them at run time)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydicom.*")


def _volume() -> Volume:
    rng = np.random.default_rng(1)
    array = rng.integers(-1000, 1500, size=(NZ, NY, NX)).astype(np.int16)
    array[:, 0, 0] = -1000  # air, so no not-CT warning
    return Volume(array, spacing=(0.7, 0.7, 2.0), origin=(-5.0, 3.0, 40.0))


@pytest.fixture
def series(tmp_path) -> list[Path]:
    return write_dicom_series(_volume(), tmp_path / "series", shuffle=False)


def _edit(path: Path, change) -> None:
    ds = pydicom.dcmread(path)
    change(ds)
    ds.save_as(path, enforce_file_format=True)


def test_rows_zero_is_refused(series) -> None:
    _edit(series[0], lambda ds: setattr(ds, "Rows", 0))
    with pytest.raises(VertAppError):
        load_any(series[0])
    for path in series:
        _edit(path, lambda ds: setattr(ds, "Rows", 0))
    with pytest.raises(InputError, match="no readable DICOM images"):
        read_volume(series[0].parent)


def test_rescale_intercept_that_is_no_number_is_refused(series) -> None:
    data = series[3].read_bytes()
    assert data.count(b"-1024 ") == 1  # the intercept's value, padded to an even length
    series[3].write_bytes(data.replace(b"-1024 ", b"abc   "))  # pydicom refuses to write it
    with pytest.raises(InputError, match=r"RescaleIntercept 'abc' is not a number"):
        read_volume(series[3])  # the file named: refused in words
    volume = read_volume(series[3].parent)  # the folder: the slice is skipped, loudly
    assert "1 unreadable DICOM files were skipped" in volume.warnings
    assert any("missing slices detected" in w for w in volume.warnings)


def test_slice_with_other_bits_allocated_is_refused(series) -> None:
    def eight_bits(ds) -> None:  # the header says 8 bits, the data is still 16-bit
        ds.BitsAllocated = 8
        ds.BitsStored = 8
        ds.HighBit = 7

    _edit(series[2], eight_bits)
    with pytest.raises(InputError, match=r"960 bytes where 24 x 20 pixels of 1 bytes need 480"):
        read_volume(series[2].parent)


@pytest.mark.parametrize("seed", range(40))
def test_header_bit_flips_give_our_error_or_a_volume(series, seed) -> None:
    rng = random.Random(seed)
    victim = series[rng.randrange(len(series))]
    data = bytearray(victim.read_bytes())
    header_end = data.index(b"\xe0\x7f\x10\x00")  # the pixel data element
    for _ in range(rng.randint(1, 6)):
        pos = rng.randrange(132, header_end)
        data[pos] ^= 1 << rng.randrange(8)
    victim.write_bytes(bytes(data))
    try:
        volume = load_any(victim.parent)
    except VertAppError as err:
        assert "\n" not in str(err)
    else:
        assert volume.image.array.size > 0


def test_nan_radiograph_is_refused(tmp_path) -> None:
    pixels = np.ones((30, 40), np.float32)
    pixels[5, 5] = np.nan
    path = tmp_path / "nan.tif"
    Image.fromarray(pixels, mode="F").save(path)
    with pytest.raises(InputError, match="1 NaN or infinite pixel values"):
        load_any(path)


def _png_claiming(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    ihdr_chunk = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    data = zlib.compress(b"\x00" * 10)
    idat = b"IDAT" + data
    idat_chunk = struct.pack(">I", len(data)) + idat + struct.pack(">I", zlib.crc32(idat))
    iend = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + ihdr_chunk + idat_chunk + iend


def _tiff_claiming(width: int, height: int) -> bytes:
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 8 + 2 + 8 * 12 + 4),
        (278, 4, 1, height),
        (279, 4, 1, 16),
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHII", tag, kind, count, value)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + bytes(16)


@pytest.mark.parametrize("size", [(100_001, 10), (60_000, 60_000), (0, 5)])
@pytest.mark.parametrize("fmt", ["png", "tif"])
def test_image_header_claiming_a_huge_size_is_refused(tmp_path, fmt, size) -> None:
    path = tmp_path / f"huge.{fmt}"
    path.write_bytes(_png_claiming(*size) if fmt == "png" else _tiff_claiming(*size))
    with pytest.raises(InputError, match="image header declares|not a readable image"):
        load_any(path)


PYDICOM_NOISY = [
    "JPGExtended.dcm",
    "JPEG-lossy.dcm",
    "GDCMJ2K_TextGBR.dcm",
    "JPEG2000-embedded-sequence-delimiter.dcm",
]


@pytest.mark.parametrize("name", PYDICOM_NOISY)
def test_pydicom_test_files_print_no_decoder_traceback(name, capfd) -> None:
    path = Path(get_testdata_file(name))
    try:
        image = load_any(path).image
    except VertAppError as err:
        assert "\n" not in str(err)
    else:
        assert image.array.size > 0
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert err.strip() == ""  # neither pydicom's logger nor GDCM's codecs print anything


def test_damaged_png_is_one_error_and_libpng_prints_nothing(tmp_path, capfd) -> None:
    import cv2

    ok, buf = cv2.imencode(".png", np.arange(1200, dtype=np.uint8).reshape(40, 30))
    data = bytearray(buf.tobytes())
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF  # inside the compressed pixels: libpng's "incorrect data check"
    path = tmp_path / "damaged.png"
    path.write_bytes(bytes(data))
    capfd.readouterr()
    with pytest.raises(InputError):
        load_any(path)
    assert capfd.readouterr().err == ""
