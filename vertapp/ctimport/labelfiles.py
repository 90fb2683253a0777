"""Reading 3-D vertebra label maps: one integer image in LPS plus what each id means.

Three sources, one result (`LabelMap`):
- a label volume file (NIfTI, MHA, NRRD) whose ids are read with a vocabulary (VerSe,
  TotalSegmentator) or a label table;
- TotalSegmentator's output folder: one binary `vertebrae_<level>.nii.gz` per vertebra,
  named by level (other files in the folder are organs and are not read);
- a DICOM SEG (read with highdicom), whose segments are named by level.

Images keep their own grid here; `alignment.py` brings them onto the CT's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from vertapp.ctimport.levels import (
    builtin_vocabulary,
    levels_from_names,
    parse_level,
    read_label_table,
)
from vertapp.ctimport.segrefs import check_seg_reference
from vertapp.errors import InputError
from vertapp.io.dicom_headers import looks_like_dicom
from vertapp.io.image_volume import read_sitk_image
from vertapp.io.orientation import reorient_to_lps

TOTALSEG_PATTERNS = ("vertebrae_*.nii.gz", "vertebrae_*.nii")


@dataclass
class LabelMap:
    """An integer label image (LPS, uint16) and the level each of its ids stands for."""

    image: sitk.Image
    levels: dict[int, str]  # raw id -> level ("T12", "L6", "sacrum", ...)
    description: str  # what was read, for reports (no identifiers)
    warnings: list[str] = field(default_factory=list)


def read_label_map(
    path: Path | str,
    vocabulary: str = "verse",
    table: Path | str | None = None,
    ct: Path | None = None,
) -> LabelMap:
    """Read labels from a file or a TotalSegmentator folder; InputError naming what is wrong.

    `ct`: the CT they belong to; a DICOM SEG is checked against it by UIDs."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such label file or folder")
    if path.is_dir():
        return read_totalseg_folder(path)
    if looks_like_dicom(path):
        return read_dicom_seg(path, ct)
    image = read_label_volume(path)
    if table is not None or vocabulary == "table":
        if table is None:
            raise InputError("--vocabulary table needs --table FILE (JSON or CSV)")
        levels = levels_from_names(read_label_table(table))
        what = f"label map with table {Path(table).name}"
    else:
        levels = builtin_vocabulary(vocabulary)
        what = f"{vocabulary} label map"
    return LabelMap(image, levels, what)


def read_label_volume(path: Path) -> sitk.Image:
    """A label volume file as an LPS uint16 image; refuses non-integer or vector data."""
    image = read_sitk_image(path)
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(f"{path}: has several values per voxel; a label map has one integer")
    if image.GetDimension() == 4 and image.GetSize()[3] == 1:
        image = sitk.Extract(image, [*image.GetSize()[:3], 0], [0, 0, 0, 0])
    if image.GetDimension() != 3:
        raise InputError(f"{path}: is {image.GetDimension()}-D; a 3-D label map is needed")
    values = sitk.GetArrayViewFromImage(image)
    if values.dtype.kind == "f" and (
        not np.all(np.isfinite(values)) or np.any(values != np.round(values))
    ):
        raise InputError(f"{path}: holds non-integer values; a label map holds integer ids")
    if values.size and (values.min() < 0 or values.max() > 65535):
        raise InputError(f"{path}: label ids must lie in 0..65535 (found {values.min()}..)")
    return reorient_to_lps(sitk.Cast(image, sitk.sitkUInt16))


def read_totalseg_folder(folder: Path) -> LabelMap:
    """TotalSegmentator's folder: vertebrae_<level>.nii.gz binary masks on one grid."""
    files = sorted({f for pattern in TOTALSEG_PATTERNS for f in folder.glob(pattern)})
    named = [(f, lvl) for f in files if (lvl := parse_level(_stem(f))) is not None]
    if not named:
        raise InputError(
            f"{folder}: no vertebrae_<level>.nii.gz files (TotalSegmentator's output folder)"
        )
    reference = read_label_volume(named[0][0])
    combined = np.zeros(sitk.GetArrayViewFromImage(reference).shape, np.uint16)
    levels: dict[int, str] = {}
    for label_id, (file, level) in enumerate(named, start=1):
        image = reference if label_id == 1 else read_label_volume(file)
        if not same_grid(reference, image):
            raise InputError(f"{file}: is on another grid than {named[0][0].name}")
        combined[sitk.GetArrayViewFromImage(image) > 0] = label_id
        levels[label_id] = level
    out = sitk.GetImageFromArray(combined)
    out.CopyInformation(reference)
    return LabelMap(out, levels, f"TotalSegmentator folder ({len(named)} vertebra files)")


def _stem(path: Path) -> str:
    name = path.name
    for ext in (".nii.gz", ".nii"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return path.stem


def same_grid(a: sitk.Image, b: sitk.Image, tol_mm: float = 1e-3) -> bool:
    """Same size, spacing, origin and direction (within `tol_mm` / 1e-5)."""
    return (
        a.GetSize() == b.GetSize()
        and np.allclose(a.GetSpacing(), b.GetSpacing(), atol=tol_mm)
        and np.allclose(a.GetOrigin(), b.GetOrigin(), atol=tol_mm)
        and np.allclose(a.GetDirection(), b.GetDirection(), atol=1e-5)
    )


# ------------------------------------------------------------------ DICOM SEG


def read_dicom_seg(path: Path, ct: Path | None = None) -> LabelMap:
    """A DICOM SEG as a label map: each segment becomes one id, named by its label.

    With `ct`, a SEG in another frame of reference than that DICOM CT is refused."""
    import highdicom as hd  # only SEG imports pay for it

    try:
        seg = hd.seg.segread(str(path))
    except (ValueError, AttributeError, KeyError) as err:
        raise InputError(f"{path}: not a readable DICOM SEG ({err})") from None
    warnings = check_seg_reference(seg, path.name, ct) if ct is not None else []
    levels: dict[int, str] = {}
    for number in seg.segment_numbers:
        level = _segment_level(seg.get_segment_description(number))
        if level is not None:
            levels[int(number)] = level
    if not levels:
        raise InputError(f"{path}: no segment of the SEG names a vertebra level (e.g. 'L1')")
    try:
        volume = seg.get_volume(
            segment_numbers=sorted(levels), combine_segments=True, relabel=False
        )
    except (ValueError, RuntimeError) as err:
        raise InputError(f"{path}: the SEG frames do not form one regular volume ({err})") from None
    what = f"DICOM SEG ({len(levels)} vertebra segments)"
    return LabelMap(_volume_image(volume), levels, what, warnings)


def _segment_level(desc) -> str | None:  # type: ignore[no-untyped-def]
    """Level named by a segment's label, else by its property type's meaning."""
    level = parse_level(desc.segment_label)
    if level is None:
        level = parse_level(desc.segmented_property_type.meaning)
    return level


def _volume_image(volume) -> sitk.Image:  # type: ignore[no-untyped-def]
    """A highdicom Volume (array axes a0, a1, a2; affine a -> LPS) as an LPS SimpleITK image.

    SimpleITK reads a numpy array as (k, j, i), so its index i is the volume's third axis."""
    array = np.asarray(volume.array, dtype=np.uint16)
    affine = np.asarray(volume.affine, dtype=float)
    columns = affine[:3, [2, 1, 0]]  # steps of sitk's i, j, k
    spacing = np.linalg.norm(columns, axis=0)
    image = sitk.GetImageFromArray(array)
    image.SetSpacing([float(s) for s in spacing])
    image.SetOrigin([float(v) for v in affine[:3, 3]])
    image.SetDirection([float(v) for v in (columns / spacing).reshape(9)])
    return reorient_to_lps(image)
