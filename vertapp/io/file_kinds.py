"""What kind of input a path is, decided by content where the bytes tell."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from vertapp.errors import InputError
from vertapp.io.dicom_headers import looks_like_dicom

VOLUME_SUFFIXES = (".nii", ".nii.gz", ".mha", ".mhd", ".nrrd", ".nhdr")
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM")
EXPECTED = "a DICOM folder or file, NIfTI, MHA/MHD, NRRD, PNG, JPEG or TIFF"


class Kind(Enum):
    FOLDER = "folder"
    DICOM = "dicom"
    VOLUME_FILE = "volume file"  # NIfTI / MetaImage / NRRD, read by SimpleITK
    IMAGE = "image"  # PNG / JPEG / TIFF / BMP

    @property
    def words(self) -> str:
        """What is being read, for progress texts: never the file's name, which may be
        the patient's (the window shows these while names are hidden)."""
        return {
            Kind.FOLDER: "a DICOM folder",
            Kind.DICOM: "a DICOM file",
            Kind.VOLUME_FILE: "a volume file",
            Kind.IMAGE: "an image file",
        }[self]


def kind_of(path: Path) -> Kind:
    """The reader to use for `path`; InputError for a missing, empty or unknown file."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        return Kind.FOLDER
    if not path.is_file():  # never opened: a named pipe blocks forever, /dev/zero never ends
        raise InputError(f"{path}: not a regular file (a pipe, device or socket)")
    if looks_like_dicom(path):
        return Kind.DICOM
    head = _head(path, 352)
    if not head:
        raise InputError(f"{path}: file is empty")
    if head.startswith(_IMAGE_MAGIC):
        return Kind.IMAGE
    if path.name.lower().endswith(VOLUME_SUFFIXES) or _volume_magic(head):
        return Kind.VOLUME_FILE
    raise InputError(f"{path}: not an image or volume file (expected {EXPECTED})")


def _volume_magic(head: bytes) -> bool:
    nifti = len(head) >= 348 and head[344:347] in (b"n+1", b"ni1")
    return nifti or head.startswith((b"NRRD", b"ObjectType"))


def _head(path: Path, n: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror or err})") from err
