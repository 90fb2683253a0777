"""Hypothesis fuzzing of volume headers: NIfTI fields, MetaImage and NRRD header lines.

A small valid file gets 1-4 of its header fields replaced by hostile values
(zero, negative, huge, NaN, wrong types, paths out of the folder). Reading must give
a volume or one line of our own error: no other exception, no crash (a segfault in
ITK would kill the test run), no huge allocation (sizes are checked first).
"""

from __future__ import annotations

import contextlib
import struct
import uuid
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vertapp.errors import VertAppError
from vertapp.io import load_any

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CAMPAIGN = settings(FUZZ, max_examples=1000)

NZ, NY, NX = 6, 10, 8


def _valid(folder: Path, suffix: str) -> Path:
    array = np.random.default_rng(0).integers(-1000, 1500, size=(NZ, NY, NX)).astype(np.int16)
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((0.8, 0.9, 2.0))
    path = folder / f"{uuid.uuid4().hex[:8]}{suffix}"
    sitk.WriteImage(image, str(path))
    return path


def _read_or_our_error(path: Path) -> None:
    with contextlib.suppress(VertAppError):  # any other exception fails the test
        report = load_any(path)
        assert report.image.array.size > 0


# ---------------------------------------------------------------- NIfTI (binary fields)

ints16 = st.one_of(st.integers(-(2**15), 2**15 - 1), st.sampled_from([0, 1, -1, 32767]))
floats32 = st.one_of(
    st.floats(width=32, allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -1.0, 1e-30, 1e30, 352.0, 348.0]),
)
NIFTI_FIELDS = {  # name: (offset, struct format, strategy)
    "dim0": (40, "<h", st.integers(-3, 9)),
    "dim1": (42, "<h", ints16),
    "dim2": (44, "<h", ints16),
    "dim3": (46, "<h", ints16),
    "dim4": (48, "<h", ints16),
    "datatype": (70, "<h", st.sampled_from([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 2304, 7])),
    "bitpix": (72, "<h", ints16),
    "pixdim1": (80, "<f", floats32),
    "pixdim3": (88, "<f", floats32),
    "vox_offset": (108, "<f", floats32),
    "scl_slope": (112, "<f", floats32),
    "qform_code": (252, "<h", ints16),
    "sform_code": (254, "<h", ints16),
    "quatern_b": (256, "<f", floats32),
    "srow_x0": (280, "<f", floats32),
}


@st.composite
def nifti_edits(draw: st.DrawFn) -> list[tuple[int, str, object]]:
    names = draw(st.lists(st.sampled_from(sorted(NIFTI_FIELDS)), min_size=1, max_size=4))
    out = []
    for name in names:
        offset, fmt, values = NIFTI_FIELDS[name]
        out.append((offset, fmt, draw(values)))
    return out


def _nifti_case(folder: Path, edits) -> None:
    path = _valid(folder, ".nii")
    data = bytearray(path.read_bytes())
    for offset, fmt, value in edits:
        struct.pack_into(fmt, data, offset, value)
    path.write_bytes(bytes(data))
    _read_or_our_error(path)


@FUZZ
@given(edits=nifti_edits())
def test_nifti_header_fields(tmp_path_factory, edits) -> None:
    _nifti_case(tmp_path_factory.mktemp("n"), edits)


@pytest.mark.campaign
@CAMPAIGN
@given(edits=nifti_edits())
def test_nifti_header_fields_campaign(tmp_path_factory, edits) -> None:
    _nifti_case(tmp_path_factory.mktemp("n"), edits)


# ---------------------------------------------------------------- text headers

text_values = st.one_of(
    st.sampled_from(
        [
            "0",
            "-1",
            "nan",
            "inf",
            "1e308",
            "32767 32767 32767",
            "8 10",
            "8 10 6 2",
            "abc",
            "",
            "../../../dev/zero",
            "/dev/zero",
            "LOCAL",
            "LIST",
            "slice%03d.raw",
            "MET_DOUBLE",
            "MET_UCHAR",
            "True",
            "gzip",
            "(0,0,0) (0,1,0) (0,0,1)",
            "(nan,0,0) (0,1,0) (0,0,1)",
        ]
    ),
    st.text(max_size=12).filter(lambda t: "\n" not in t and "\r" not in t),
)
META_KEYS = [
    "NDims",
    "DimSize",
    "ElementSpacing",
    "ElementType",
    "ElementDataFile",
    "CompressedData",
    "HeaderSize",
    "ElementNumberOfChannels",
    "Offset",
    "TransformMatrix",
]
NRRD_KEYS = [
    "dimension",
    "sizes",
    "type",
    "encoding",
    "space directions",
    "space origin",
    "data file",
    "spacings",
    "endian",
]


def _text_case(folder: Path, suffix: str, edits: list[tuple[str, str]]) -> None:
    path = _valid(folder, suffix)
    raw = path.read_bytes()
    sep = b"ElementDataFile = LOCAL\n" if suffix == ".mha" else b"\n\n"
    end = raw.index(sep) + len(sep)
    header, data = raw[:end].decode("latin-1"), raw[end:]
    lines = header.rstrip("\n").split("\n")
    assign = " = " if suffix == ".mha" else ": "
    for key, value in edits:
        lines = [ln for ln in lines if not ln.startswith(key + assign.rstrip())]
        position = len(lines) - 1 if suffix == ".mha" else len(lines)  # keep DataFile last
        lines.insert(position, f"{key}{assign}{value}")
    text = "\n".join(lines) + ("\n" if suffix == ".mha" else "\n\n")
    path.write_bytes(text.encode("latin-1", errors="replace") + data)
    _read_or_our_error(path)


def _edits(keys: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    return st.lists(st.tuples(st.sampled_from(keys), text_values), min_size=1, max_size=4)


@FUZZ
@given(edits=_edits(META_KEYS))
def test_metaimage_header_lines(tmp_path_factory, edits) -> None:
    _text_case(tmp_path_factory.mktemp("m"), ".mha", edits)


@FUZZ
@given(edits=_edits(NRRD_KEYS))
def test_nrrd_header_lines(tmp_path_factory, edits) -> None:
    _text_case(tmp_path_factory.mktemp("r"), ".nrrd", edits)


@pytest.mark.campaign
@CAMPAIGN
@given(edits=_edits(META_KEYS))
def test_metaimage_header_lines_campaign(tmp_path_factory, edits) -> None:
    _text_case(tmp_path_factory.mktemp("m"), ".mha", edits)


@pytest.mark.campaign
@CAMPAIGN
@given(edits=_edits(NRRD_KEYS))
def test_nrrd_header_lines_campaign(tmp_path_factory, edits) -> None:
    _text_case(tmp_path_factory.mktemp("r"), ".nrrd", edits)
