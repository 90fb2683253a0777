"""NIfTI, MetaImage and NRRD headers checked against their files before SimpleITK reads them.

SimpleITK trusts a header: it allocates what the header declares (32,767 slices
or more), fills what the file lacks with zeros (a truncated .nii.gz reads as 0 HU
slices), turns a zero or NaN voxel spacing into 1 mm, reads a detached data file
wherever the header points (`../../../dev/zero`) and decodes corrupt gzip data as
garbage. So the header is read here first and every declared fact is checked:

- sizes are at least 1 and fit in the memory available now (limits.py);
- voxel spacings are finite and not zero;
- the voxel data the header declares is exactly what the file holds: fewer bytes is
  refused as truncated, more bytes is a warning (the data offset may be wrong);
- gzip data is decompressed once, as a stream, to check its CRC and length;
- a detached data file lies inside the header's folder and is a regular file.

`check_volume_file(path)` returns the warnings; every failure is an InputError.
"""

from __future__ import annotations

import gzip
import math
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from vertapp.errors import InputError
from vertapp.io.limits import check_allocation

_NIFTI_ITEMSIZE = {
    2: 1, 4: 2, 8: 4, 16: 4, 32: 8, 64: 8, 128: 3, 256: 1, 512: 2, 768: 4,
    1024: 8, 1280: 8, 1536: 16, 1792: 16, 2048: 32, 2304: 4,
}  # fmt: skip
_NIFTI_DTYPE = {
    2: "u1", 4: "i2", 8: "i4", 16: "f4", 64: "f8", 256: "i1", 512: "u2", 768: "u4",
    1024: "i8", 1280: "u8",
}  # fmt: skip
_NIFTI_COMPLEX = (32, 1792, 2048)  # complex64/128/256: no HU or brightness
_META_ITEMSIZE = {
    "MET_CHAR": 1, "MET_UCHAR": 1, "MET_SHORT": 2, "MET_USHORT": 2, "MET_INT": 4,
    "MET_UINT": 4, "MET_LONG": 8, "MET_ULONG": 8, "MET_LONG_LONG": 8,
    "MET_ULONG_LONG": 8, "MET_FLOAT": 4, "MET_DOUBLE": 8,
}  # fmt: skip
_NRRD_ITEMSIZE = {
    1: ("signed char", "int8", "int8_t", "uchar", "unsigned char", "uint8", "uint8_t"),
    2: ("short", "short int", "signed short", "signed short int", "int16", "int16_t",
        "ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t"),
    4: ("int", "signed int", "int32", "int32_t", "uint", "unsigned int", "uint32",
        "uint32_t", "float"),
    8: ("longlong", "long long", "long long int", "signed long long", "signed long long int",
        "int64", "int64_t", "ulonglong", "unsigned long long", "unsigned long long int",
        "uint64", "uint64_t", "double"),
}  # fmt: skip
_HEADER_LIMIT = 1 << 16  # text headers longer than this are not headers
_CHUNK = 1 << 24


@dataclass
class Declared:
    """What a header says about the voxel data."""

    sizes: list[int]
    itemsize: int
    spacing: list[float]  # spatial axes only
    data_offset: int  # where the voxel bytes start in the data stream
    data_file: Path  # the file holding them (the header file itself when attached)
    raw: bool = True  # uncompressed: the byte count can be checked
    dtype: str = ""  # numpy dtype of the voxels (NIfTI scalars), "" when not known here
    scale: tuple[float, float] = (1.0, 0.0)  # NIfTI scl_slope, scl_inter

    @property
    def voxels(self) -> int:
        return math.prod(self.sizes)


def check_volume_file(path: Path) -> list[str]:
    """Check a NIfTI / MetaImage / NRRD file before reading it; warnings in words."""
    name = path.name.lower()
    head = _head(path)
    if name.endswith((".nii", ".nii.gz")) or _nifti_magic(head):
        return _check_nifti(path, name.endswith(".gz") or head[:2] == b"\x1f\x8b")
    if name.endswith((".mha", ".mhd")) or head.startswith(b"ObjectType"):
        return _check_declared(path, _metaimage(path))
    if name.endswith((".nrrd", ".nhdr")) or head.startswith(b"NRRD"):
        return _check_declared(path, _nrrd(path))
    return []


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(_HEADER_LIMIT)
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror or err})") from err


def _nifti_magic(head: bytes) -> bool:
    return len(head) >= 348 and head[344:347] in (b"n+1", b"ni1")


# ------------------------------------------------------------------ NIfTI


def nifti_declared(path: Path, gzipped: bool) -> Declared:
    """The checked NIfTI header (sizes, spacing, offset, memory); InputError when absurd."""
    header = _gunzip_head(path) if gzipped else _head(path)
    decl = _nifti_declared(header, path)
    check_allocation(decl.voxels, 2 * decl.itemsize + 2, "the volume", str(path))
    return decl


def gunzip_checked(path: Path, decl: Declared) -> tuple[bytearray, list[str]]:
    """The whole decompressed stream (CRC and length verified) and the length warnings."""
    need = decl.data_offset + decl.voxels * decl.itemsize
    data = bytearray(need)  # filled in place: no second copy of a big volume
    view, got, extra = memoryview(data), 0, 0
    try:
        with gzip.open(path, "rb") as fh:
            while got < need and (n := fh.readinto(view[got:])):
                got += n
            while chunk := fh.read(_CHUNK):  # bytes past the declared voxels: counted
                extra += len(chunk)
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as err:
        raise InputError(f"{path}: corrupt or truncated gzip data ({_reason(err)})") from err
    finally:
        view.release()
    return data, _check_length(path, decl, got + extra)


def _check_nifti(path: Path, gzipped: bool) -> list[str]:
    header = _gunzip_head(path) if gzipped else _head(path)
    decl = _nifti_declared(header, path)
    check_allocation(decl.voxels, 2 * decl.itemsize + 2, "the volume", str(path))
    length = _gunzip_length(path) if gzipped else path.stat().st_size
    return _check_length(path, decl, length)


def _nifti_declared(header: bytes, path: Path) -> Declared:
    for endian in "<>":
        if len(header) >= 348 and struct.unpack(endian + "i", header[:4])[0] == 348:
            dims = struct.unpack(endian + "8h", header[40:56])
            code = struct.unpack(endian + "h", header[70:72])[0]
            pixdim = struct.unpack(endian + "8f", header[76:108])
            offset, min_offset = struct.unpack(endian + "f", header[108:112])[0], 352
            scale = struct.unpack(endian + "2f", header[112:120])
            single = header[344:347] == b"n+1"
            break
        if len(header) >= 540 and struct.unpack(endian + "i", header[:4])[0] == 540:
            dims = struct.unpack(endian + "8q", header[16:80])
            code = struct.unpack(endian + "h", header[12:14])[0]
            pixdim = struct.unpack(endian + "8d", header[104:168])
            offset, min_offset = struct.unpack(endian + "q", header[168:176])[0], 544
            scale = struct.unpack(endian + "2d", header[176:192])
            single = header[4:7] == b"n+2"
            break
    else:
        raise InputError(f"{path}: not a NIfTI file (its header size field is neither 348 nor 540)")
    ndim = dims[0]
    if not 1 <= ndim <= 7:
        raise InputError(f"{path}: NIfTI header declares {ndim} dimensions (1 to 7 are valid)")
    sizes = [int(d) for d in dims[1 : ndim + 1]]
    _check_sizes(sizes, path)
    if code not in _NIFTI_ITEMSIZE:
        raise InputError(f"{path}: NIfTI header declares an unknown data type code {code}")
    if code in _NIFTI_COMPLEX:
        raise InputError(f"{path}: NIfTI voxels are complex numbers; an image needs real values")
    spacing = [float(p) for p in pixdim[1 : min(ndim, 3) + 1]]
    _check_spacing(spacing, path)
    if single and (not math.isfinite(offset) or offset < min_offset):
        raise InputError(
            f"{path}: NIfTI data offset {offset:g} lies inside the header "
            f"(at least {min_offset}); the voxels cannot be placed"
        )
    decl = Declared(sizes, _NIFTI_ITEMSIZE[code], spacing, int(offset), path, raw=single)
    if code in _NIFTI_DTYPE:
        decl.dtype = endian + _NIFTI_DTYPE[code]
    decl.scale = (float(scale[0]), float(scale[1]))
    return decl


def _gunzip_head(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read(544)
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as err:
        raise InputError(f"{path}: corrupt or truncated gzip data ({_reason(err)})") from err


def _gunzip_length(path: Path) -> int:
    """Decompressed length; decompressing the whole stream checks every CRC and length."""
    total = 0
    try:
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                total += len(chunk)
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as err:
        raise InputError(f"{path}: corrupt or truncated gzip data ({_reason(err)})") from err
    return total


def _reason(err: BaseException) -> str:
    if isinstance(err, EOFError):
        return "the compressed stream ends early"
    return str(err).strip().splitlines()[0][:120] if str(err).strip() else type(err).__name__


# ------------------------------------------------------------------ MetaImage / NRRD


def _text_header(path: Path, end: re.Pattern[bytes]) -> tuple[list[str], int]:
    """Header lines and the byte where the data would start when attached."""
    head = _head(path)
    match = end.search(head)
    stop = match.end() if match else len(head)
    text = head[:stop].decode("latin-1")
    return text.splitlines(), stop


def _metaimage(path: Path) -> Declared:
    lines, stop = _text_header(path, re.compile(rb"ElementDataFile\s*=\s*[^\r\n]*\r?\n?"))
    fields = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    sizes = _ints(fields.get("DimSize", ""), path, "DimSize")
    _check_sizes(sizes, path)
    channels = _ints(fields.get("ElementNumberOfChannels", "1"), path, "channels")[:1] or [1]
    itemsize = _META_ITEMSIZE.get(fields.get("ElementType", "").upper())
    if itemsize is None:
        raise InputError(f"{path}: unknown MetaImage ElementType {fields.get('ElementType')!r}")
    spacing_text = fields.get("ElementSpacing", fields.get("ElementSize", ""))
    if spacing_text:
        _check_spacing(_floats(spacing_text, path, "ElementSpacing")[:3], path)
    data = fields.get("ElementDataFile", "")
    if not data:
        raise InputError(f"{path}: MetaImage header names no ElementDataFile")
    compressed = fields.get("CompressedData", "False").lower() == "true"
    if data.upper() == "LOCAL":
        return Declared(sizes, itemsize * channels[0], [], stop, path, raw=not compressed)
    data_file = _detached(path, data)
    return Declared(sizes, itemsize * channels[0], [], 0, data_file, raw=not compressed)


def _nrrd(path: Path) -> Declared:
    lines, stop = _text_header(path, re.compile(rb"\r?\n\r?\n"))
    fields = {}
    for line in lines[1:]:
        if line.startswith("#") or ":=" in line:
            continue
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()
    sizes = _ints(fields.get("sizes", ""), path, "sizes")
    _check_sizes(sizes, path)
    kind = fields.get("type", "").lower()
    itemsize = next((n for n, names in _NRRD_ITEMSIZE.items() if kind in names), None)
    if itemsize is None:
        raise InputError(f"{path}: NRRD type {kind!r} is not a supported voxel type")
    _check_nrrd_spacing(fields, path)
    raw = fields.get("encoding", "raw").lower() == "raw"
    data = fields.get("data file", fields.get("datafile", ""))
    if not data:
        return Declared(sizes, itemsize, [], stop, path, raw=raw)
    return Declared(sizes, itemsize, [], 0, _detached(path, data.split()[0]), raw=raw)


def _check_nrrd_spacing(fields: dict[str, str], path: Path) -> None:
    directions = fields.get("space directions")
    if directions:
        for vector in re.findall(r"\(([^)]*)\)", directions):
            norm = math.hypot(*_floats(vector, path, "space directions"))
            if not math.isfinite(norm) or norm == 0:
                raise InputError(
                    f"{path}: NRRD space direction ({vector}) has zero or non-finite length"
                )
    elif "spacings" in fields:
        _check_spacing(_floats(fields["spacings"], path, "spacings")[:3], path)


def _detached(header: Path, name: str) -> Path:
    """The data file a header names, refused when it leaves the header's folder."""
    if "%" in name or name.upper() == "LIST":
        raise InputError(f"{header}: data split over several files ({name!r}) is not supported")
    rel = Path(name)
    folder = header.parent.resolve()
    target = (header.parent / rel).resolve()
    if rel.is_absolute() or ".." in rel.parts or folder not in target.parents:
        raise InputError(f"{header}: its data file {name!r} lies outside the header's folder")
    if not target.is_file():
        raise InputError(f"{header}: its data file {name!r} is missing or not a regular file")
    return target


# ------------------------------------------------------------------ shared checks


def _check_declared(path: Path, decl: Declared) -> list[str]:
    check_allocation(decl.voxels, 2 * decl.itemsize + 2, "the volume", str(path))
    if not decl.raw:
        return []  # compressed: ITK's decoder reports a short stream itself
    return _check_length(path, decl, decl.data_file.stat().st_size)


def _check_length(path: Path, decl: Declared, length: int) -> list[str]:
    """The voxel bytes the header declares against what the data holds."""
    if not decl.raw:
        return []
    need = decl.voxels * decl.itemsize
    have = length - decl.data_offset
    if have < need:
        plane = need // decl.sizes[2] if len(decl.sizes) >= 3 and decl.sizes[2] else need
        missing = math.ceil((need - max(have, 0)) / plane) if plane else 0
        where = f" ({missing} of {decl.sizes[2]} slices missing)" if len(decl.sizes) >= 3 else ""
        raise InputError(
            f"{path}: truncated: its header declares {need:,} bytes of voxels, "
            f"the file holds {max(have, 0):,}{where}"
        )
    if have > need:
        return [
            f"the file holds {have - need:,} bytes more than its header declares: "
            "the data offset or the sizes may be wrong and the image shifted"
        ]
    return []


def _check_sizes(sizes: list[int], path: Path) -> None:
    if not sizes:
        raise InputError(f"{path}: header declares no image size")
    for axis, n in enumerate(sizes):
        if n < 1:
            raise InputError(f"{path}: header declares size {n} along axis {axis}")


def _check_spacing(spacing: list[float], path: Path) -> None:
    for axis, s in zip("xyz", spacing, strict=False):
        if not math.isfinite(s) or s == 0:
            raise InputError(
                f"{path}: header declares a voxel spacing of {s:g} mm along {axis}; "
                "the voxels cannot be placed (fix the header: the true spacing is unknown)"
            )


def _ints(text: str, path: Path, what: str) -> list[int]:
    try:
        return [int(v) for v in text.split()]
    except ValueError:
        raise InputError(f"{path}: header field {what} is not a list of integers") from None


def _floats(text: str, path: Path, what: str) -> list[float]:
    try:
        return [float(v) for v in text.replace(",", " ").split()]
    except ValueError:
        raise InputError(f"{path}: header field {what} is not a list of numbers") from None
