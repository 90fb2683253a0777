"""Regression corpus, volume side: damaged NIfTI / MetaImage / NRRD files (issue #18).

Every file is made on the fly from a small valid volume and damaged in one way.
Each must be refused with one line of our own error before anything big is
allocated, or read with a loud warning: never silently as zeros or shifted voxels.
"""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from vertapp.errors import InputError
from vertapp.io import load_any, read_volume

NZ, NY, NX = 12, 20, 16


def _image() -> sitk.Image:
    rng = np.random.default_rng(0)
    array = rng.integers(-1000, 1500, size=(NZ, NY, NX)).astype(np.int16)
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((0.8, 0.8, 2.5))
    return image


def _nii(tmp_path: Path, name: str = "ct.nii") -> Path:
    path = tmp_path / name
    sitk.WriteImage(_image(), str(path), useCompression=name.endswith(".gz"))
    return path


def _patch(path: Path, offset: int, fmt: str, *values) -> Path:
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, offset, *values)
    path.write_bytes(bytes(data))
    return path


def test_valid_files_still_read_the_same(tmp_path) -> None:
    expected = sitk.GetArrayFromImage(_image())
    for name in ("ct.nii", "ct.nii.gz", "ct.mha", "ct.nrrd", "ct.mhd"):
        path = tmp_path / name
        sitk.WriteImage(_image(), str(path), useCompression=name.endswith(".gz"))
        volume = read_volume(path)  # reoriented to LPS: the same voxels, maybe flipped
        assert volume.shape == expected.shape
        assert np.array_equal(np.sort(volume.array, axis=None), np.sort(expected, axis=None))
        assert not any("header" in w for w in volume.warnings)


def test_truncated_nii_is_refused_not_read_as_zero_slices(tmp_path) -> None:
    path = _nii(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - NY * NX * 2 * 6])  # 6 of 12 slices cut
    with pytest.raises(InputError, match=r"truncated: .* \(6 of 12 slices missing\)"):
        read_volume(path)


def test_truncated_nii_gz_is_refused(tmp_path) -> None:
    path = _nii(tmp_path, "ct.nii.gz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="corrupt or truncated gzip data"):
        read_volume(path)


def test_nii_gz_of_a_truncated_nii_is_refused(tmp_path) -> None:
    """The gzip stream is intact, the NIfTI inside it is short: counted, refused."""
    raw = _nii(tmp_path).read_bytes()
    path = tmp_path / "short.nii.gz"
    path.write_bytes(gzip.compress(raw[: len(raw) - NY * NX * 2 * 3]))
    with pytest.raises(InputError, match=r"3 of 12 slices missing"):
        read_volume(path)


def test_trailing_garbage_after_gzip_is_refused(tmp_path) -> None:
    path = _nii(tmp_path, "ct.nii.gz")
    path.write_bytes(path.read_bytes() + b"garbage after the stream")
    with pytest.raises(InputError, match="corrupt or truncated gzip data"):
        read_volume(path)


def test_corrupt_gzip_data_is_refused_not_read_as_garbage(tmp_path) -> None:
    raw = _nii(tmp_path).read_bytes()
    path = tmp_path / "ct.nii.gz"
    packed = bytearray(gzip.compress(raw))
    middle = len(packed) // 2
    packed[middle : middle + 8] = bytes(b ^ 0x5A for b in packed[middle : middle + 8])
    path.write_bytes(bytes(packed))
    with pytest.raises(InputError, match="corrupt or truncated gzip data"):
        read_volume(path)


def test_wrong_data_offset_is_refused_or_warned(tmp_path) -> None:
    inside = _patch(_nii(tmp_path, "a.nii"), 108, "<f", 300.0)  # inside the header
    with pytest.raises(InputError, match="data offset 300 lies inside the header"):
        read_volume(inside)
    later = _patch(_nii(tmp_path, "b.nii"), 108, "<f", 352.0 + 64)  # voxels shifted
    with pytest.raises(InputError, match="truncated"):
        read_volume(later)


def test_extra_bytes_after_the_voxels_are_warned(tmp_path) -> None:
    path = _nii(tmp_path)
    path.write_bytes(path.read_bytes() + bytes(100))
    volume = read_volume(path)
    assert any("100 bytes more than its header declares" in w for w in volume.warnings)


@pytest.mark.parametrize("value", [0.0, float("nan"), float("inf")])
@pytest.mark.parametrize("axis", [1, 3])
def test_zero_or_nan_spacing_is_refused(tmp_path, value, axis) -> None:
    path = _patch(_nii(tmp_path), 76 + 4 * axis, "<f", value)
    with pytest.raises(InputError, match=r"voxel spacing of (0|nan|inf) mm along [xz]"):
        read_volume(path)


@pytest.mark.parametrize(
    ("side", "why"),
    [(512, "more than the 2,147,483,647 supported"), (64, "of 32767 slices missing")],
)
def test_header_claiming_32767_slices_is_refused_before_allocating(tmp_path, side, why) -> None:
    path = _nii(tmp_path)
    _patch(path, 40, "<8h", 3, side, side, 32767, 1, 1, 1, 1)
    with pytest.raises(InputError, match=why):
        read_volume(path)


@pytest.mark.parametrize(
    "dims", [(3, 30000, 30000, 30000), (3, 16, 0, 12), (3, 16, -5, 12), (9, 16, 20, 12)]
)
def test_absurd_nifti_dims_are_refused(tmp_path, dims) -> None:
    path = _patch(_nii(tmp_path), 40, "<4h", *dims)
    with pytest.raises(InputError, match="voxels|size|dimensions"):
        read_volume(path)


def test_mha_dimsize_zero_is_refused(tmp_path) -> None:
    path = tmp_path / "ct.mha"
    sitk.WriteImage(_image(), str(path))
    data = path.read_bytes().replace(b"DimSize = 16 20 12", b"DimSize = 16 0 12")
    path.write_bytes(data)
    with pytest.raises(InputError, match="size 0 along axis 1"):
        read_volume(path)


def _detached_pair(tmp_path: Path, fmt: str) -> Path:
    sub = tmp_path / "a" / "b" / "c"
    sub.mkdir(parents=True)
    if fmt == "mhd":
        header = sub / "ct.mhd"
        header.write_text(
            "ObjectType = Image\nNDims = 3\nDimSize = 16 20 12\nElementType = MET_SHORT\n"
            "ElementSpacing = 1 1 1\nElementDataFile = ../../../dev/zero\n"
        )
    else:
        header = sub / "ct.nhdr"
        header.write_text(
            "NRRD0004\ntype: short\ndimension: 3\nsizes: 16 20 12\nencoding: raw\n"
            "endian: little\ndata file: ../../../dev/zero\n\n"
        )
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "zero").write_bytes(bytes(16 * 20 * 12 * 2))
    return header


@pytest.mark.parametrize("fmt", ["mhd", "nhdr"])
def test_detached_header_pointing_outside_its_folder_is_refused(tmp_path, fmt) -> None:
    header = _detached_pair(tmp_path, fmt)
    with pytest.raises(InputError, match="lies outside the header's folder"):
        read_volume(header)


def test_nrrd_zero_spacing_is_refused(tmp_path) -> None:
    path = tmp_path / "ct.nrrd"
    sitk.WriteImage(_image(), str(path))
    text = path.read_bytes()
    start = text.index(b"space directions:")
    end = text.index(b"\n", start)
    path.write_bytes(text[:start] + b"space directions: (0,0,0) (0,0.8,0) (0,0,2.5)" + text[end:])
    with pytest.raises(InputError, match="zero or non-finite length"):
        read_volume(path)


def test_info_on_damaged_files_prints_one_line(tmp_path) -> None:
    """Through the real command line: exit 1, one line, no traceback."""
    cases = [
        _patch(_nii(tmp_path, "spacing.nii"), 80, "<f", 0.0),
        _patch(_nii(tmp_path, "dims.nii"), 40, "<4h", 3, 512, 512, 32767),
    ]
    short = _nii(tmp_path, "short.nii.gz")
    short.write_bytes(short.read_bytes()[:-40])
    cases.append(short)
    for path in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "vertapp", "info", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 1, (path.name, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_given_to_info_is_refused(tmp_path) -> None:
    fifo = tmp_path / "ct.nii"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        load_any(fifo)


@pytest.mark.parametrize("dtype", [np.int16, np.uint8, np.float32, np.int32, np.uint16])
def test_one_pass_nii_gz_reader_matches_simpleitk(tmp_path, dtype) -> None:
    """The verified one-pass reader gives SimpleITK's voxels and geometry exactly."""
    from vertapp.io.nifti_gz import read_nifti_gz

    rng = np.random.default_rng(3)
    image = sitk.GetImageFromArray(rng.integers(0, 200, size=(NZ, NY, NX)).astype(dtype))
    image.SetSpacing((0.7, 0.9, 3.0))
    image.SetOrigin((-12.0, 30.5, 7.25))
    c, s = np.cos(0.3), np.sin(0.3)
    image.SetDirection((c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0))
    path = tmp_path / "ct.nii.gz"
    sitk.WriteImage(image, str(path), useCompression=True)
    fast, warnings = read_nifti_gz(path)
    reference = sitk.ReadImage(str(path))
    assert warnings == []
    assert np.array_equal(sitk.GetArrayFromImage(fast), sitk.GetArrayFromImage(reference))
    assert np.allclose(fast.GetSpacing(), reference.GetSpacing())
    assert np.allclose(fast.GetOrigin(), reference.GetOrigin())
    assert np.allclose(fast.GetDirection(), reference.GetDirection())


def test_one_pass_reader_applies_the_nifti_scaling_like_simpleitk(tmp_path) -> None:
    from vertapp.io.nifti_gz import read_nifti_gz

    raw = bytearray(_nii(tmp_path).read_bytes())
    struct.pack_into("<2f", raw, 112, 2.0, -1024.0)  # scl_slope, scl_inter
    path = tmp_path / "scaled.nii.gz"
    path.write_bytes(gzip.compress(bytes(raw)))
    fast, _ = read_nifti_gz(path)
    reference = sitk.ReadImage(str(path))
    assert np.allclose(sitk.GetArrayFromImage(fast), sitk.GetArrayFromImage(reference))
    assert sitk.GetArrayFromImage(fast).min() < -1024  # really scaled


def test_complex_nifti_is_refused_not_cast_to_real(tmp_path) -> None:
    """Found by the header fuzzing: datatype 32 read as a radiograph, imaginary part dropped."""
    path = _patch(_nii(tmp_path), 70, "<2h", 32, 64)  # complex64, 64 bits a voxel
    with pytest.raises(InputError, match="complex numbers"):
        load_any(path)


def test_unparsable_mha_header_is_one_line_and_metaio_prints_nothing(tmp_path, capfd) -> None:
    """Found by tools/damage_campaign.py: MetaIO printed four lines of its own on stderr."""
    path = tmp_path / "ct.mha"
    sitk.WriteImage(_image(), str(path))
    data = path.read_bytes()
    path.write_bytes(data.replace(b"ObjectType = Image", b"ObjectType \x1d Image", 1))
    capfd.readouterr()
    with pytest.raises(InputError, match="header cannot be parsed|not a readable"):
        read_volume(path)
    assert capfd.readouterr().err == ""
