"""Single-file volumes (NIfTI, MetaImage, NRRD, multi-frame DICOM) through SimpleITK.

Whatever the direction matrix on disk, the image is reoriented to LPS with
DICOMOrient (a permutation/flip, no interpolation), so one anatomy gives one
array. Voxels become int16 HU with warnings for rounding and clipping.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from vertapp.errors import InputError, ModalityError
from vertapp.io.hu import to_int16_hu
from vertapp.io.native_stderr import quiet_native_stderr
from vertapp.io.nifti_gz import FINITE_CHECKED_KEY, read_nifti_gz
from vertapp.io.nifti_nan import count_nonfinite_nifti
from vertapp.io.orientation import image_direction, orientation_code, reorient_to_lps
from vertapp.io.plausibility import volume_warnings
from vertapp.io.report import LoadReport
from vertapp.io.volume import Volume
from vertapp.io.volume_headers import check_volume_file

FORMAT_NAMES = {
    ".nii": "NIfTI",
    ".nii.gz": "NIfTI",
    ".mha": "MetaImage",
    ".mhd": "MetaImage",
    ".nrrd": "NRRD",
    ".nhdr": "NRRD",
}


def format_name(path: Path) -> str:
    name = path.name.lower()
    for ext, fmt in FORMAT_NAMES.items():
        if name.endswith(ext):
            return fmt
    return "DICOM" if name.endswith(".dcm") else "image"


WARNINGS_KEY = "vertapp.warnings"  # header warnings travel with the image as metadata


def read_sitk_image(path: Path) -> sitk.Image:
    """The file through SimpleITK, once its header was checked against the file."""
    fast = read_nifti_gz(path) if path.name.lower().endswith(".nii.gz") else None
    if fast is not None:
        image, warnings = fast
        if warnings:
            image.SetMetaData(WARNINGS_KEY, "\n".join(warnings))
        return image
    warnings = check_volume_file(path)
    try:
        with quiet_native_stderr():  # MetaIO / NIfTI libraries print their parse errors
            image = sitk.ReadImage(str(path))
    except RuntimeError as err:
        reason = _itk_reason(err)
        if "No such file" in reason and path.is_file():  # ITK's errno after a parse failure
            reason = "its header cannot be parsed"
        raise InputError(f"{path}: not a readable image or volume ({reason})") from err
    if warnings:
        image.SetMetaData(WARNINGS_KEY, "\n".join(warnings))
    return image


def header_warnings(image: sitk.Image) -> list[str]:
    if not image.HasMetaDataKey(WARNINGS_KEY):
        return []
    return image.GetMetaData(WARNINGS_KEY).split("\n")


def read_image_volume(
    path: Path, *, modality: str = "CT", fmt: str | None = None, image: sitk.Image | None = None
) -> LoadReport:
    """A 3-D scalar image file as an LPS int16 Volume (`image`: the file already read)."""
    image = _as_3d(read_sitk_image(path) if image is None else image, path)
    file_warnings = header_warnings(image)
    nan_kept = image.HasMetaDataKey(FINITE_CHECKED_KEY)  # our reader keeps NaN as NaN
    if image.GetPixelID() in (sitk.sitkFloat32, sitk.sitkFloat64) and not nan_kept:
        bad = count_nonfinite_nifti(path)  # ITK reads NaN in NIfTI as 0
        if bad:
            raise InputError(f"{path}: volume contains {bad} NaN or infinite voxel values")
    stored = orientation_code(image_direction(image))
    image = reorient_to_lps(image)
    values = sitk.GetArrayViewFromImage(image)
    array, warnings, notes = to_int16_hu(values, str(path))
    warnings = file_warnings + warnings
    volume = Volume(
        array,
        image.GetSpacing(),
        image.GetOrigin(),
        image_direction(image),
        modality=modality,
        source=str(path),
        warnings=warnings,
        notes=notes,
    )
    volume.warnings += volume_warnings(volume)
    return LoadReport(volume, fmt or format_name(path), stored, 1)


def _as_3d(image: sitk.Image, path: Path) -> sitk.Image:
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise ModalityError(
            f"{path}: has {image.GetNumberOfComponentsPerPixel()} values per voxel "
            "(colour or vector data); a scalar CT volume is needed"
        )
    size = list(image.GetSize())
    if image.GetDimension() == 4 and size[3] == 1:
        image = sitk.Extract(image, [*size[:3], 0], [0, 0, 0, 0])
        size = size[:3]
    if image.GetDimension() > 3:
        raise ModalityError(
            f"{path}: is a {image.GetDimension()}-D series {size}; one 3-D volume is needed"
        )
    if image.GetDimension() == 2 or size[2] == 1:
        raise ModalityError(f"{path}: is a 2-D image ({size[0]}x{size[1]}); a 3-D volume is needed")
    return image


def _itk_reason(err: RuntimeError) -> str:
    """ITK messages are multi-line with source paths; keep the informative tail."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    text = lines[-1] if lines else "unknown error"
    if ": " in text and text.startswith(("itk::", "/")):
        text = text.split(": ", 1)[-1]
    return text[:160]


def array_stats(array: np.ndarray) -> tuple[int, int]:
    return (int(array.min()), int(array.max())) if array.size else (0, 0)
