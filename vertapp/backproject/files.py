"""Writing the 3D labels: NIfTI in the source file's own geometry, VerSe centroid JSON.

Both are written next to the target and renamed into place, so a failed write never
leaves half a file, and neither carries patient identifiers (a NIfTI header has none; the
JSON holds numbers only).

NIfTI: VerSe ids (T1..T12 = 8..19, L1..L5 = 20..24, 0 background), uint8, on the CT's
original grid. Reading reoriented the CT to LPS by permuting and flipping axes only
(`vertapp.io.orientation`), so permuting back to the stored orientation code gives the
source file's exact grid (size, spacing, origin, direction) without any resampling.

Centroids: VerSe's layout and convention (its `data_utilities.calc_centroids` /
`save_centroids`): a list whose first item is `{"direction": [a, b, c]}`, the axis codes
of the label image (nibabel's: the letter names where each voxel axis points, e.g.
["P", "I", "R"]), then one `{"label": VerSe id, "X", "Y", "Z"}` per vertebra: the centre of
mass in *voxel* coordinates (X along the first voxel axis) of the NIfTI written beside it,
rounded to 0.1 voxel.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np
import SimpleITK as sitk
from scipy import ndimage as ndi

from vertapp.errors import InputError
from vertapp.io.orientation import image_direction, orientation_code
from vertapp.io.volume import Volume
from vertapp.labels import VERSE_OFFSET

__all__ = [
    "atomic_write",
    "centroids_json",
    "label_image",
    "to_verse_ids",
    "write_centroids",
    "write_nifti",
]


def to_verse_ids(labels: np.ndarray) -> np.ndarray:
    """Our ids (1..17 = T1..L5) -> VerSe ids (8..24), 0 stays 0."""
    out = labels.astype(np.uint8, copy=True)
    out[labels > 0] += VERSE_OFFSET
    return out


def label_image(labels: np.ndarray, volume: Volume, stored_orientation: str = "") -> sitk.Image:
    """The label volume (our ids, on `volume`'s LPS grid) as VerSe ids on the source grid."""
    if labels.shape != volume.shape:
        raise InputError(f"labels {labels.shape} do not match the CT {volume.shape}")
    image = sitk.GetImageFromArray(np.ascontiguousarray(to_verse_ids(labels)))
    image.SetSpacing(volume.spacing)
    image.SetOrigin(volume.origin)
    image.SetDirection([float(v) for v in np.asarray(volume.direction).reshape(9)])
    code = stored_orientation.strip().upper()
    if code and code != orientation_code(image_direction(image)):
        image = sitk.DICOMOrient(image, code)  # a permutation/flip back, no resampling
    return image


def atomic_write(path: Path, write) -> Path:  # type: ignore[no-untyped-def]
    """Call `write(tmp_path)` and rename the result onto `path`; nothing is left on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{path.name}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as err:
        reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise InputError(f"{path}: cannot write ({reason})") from err
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_nifti(image: sitk.Image, path: str | Path) -> Path:
    """Write a label image as .nii or .nii.gz, atomically."""
    p = Path(path)
    if not p.name.lower().endswith((".nii", ".nii.gz")):
        raise InputError(f"{p}: the label map is written as NIfTI (.nii or .nii.gz)")
    compress = p.name.lower().endswith(".gz")
    return atomic_write(p, lambda tmp: sitk.WriteImage(image, str(tmp), useCompression=compress))


def centroids_json(image: sitk.Image) -> list[dict]:
    """VerSe centroid list of a VerSe-id label image (module doc)."""
    arr = sitk.GetArrayViewFromImage(image)  # (k, j, i)
    ids = [int(v) for v in np.unique(arr) if v]
    out: list[dict] = [{"direction": list(orientation_code(image_direction(image)))}]
    if ids:
        centres = ndi.center_of_mass(np.ones(arr.shape), arr, ids)
        for vid, (k, j, i) in zip(ids, centres, strict=True):
            out.append({"label": vid, "X": round(i, 1), "Y": round(j, 1), "Z": round(k, 1)})
    return out


def write_centroids(image: sitk.Image, path: str | Path) -> Path:
    text = json.dumps(centroids_json(image))
    return atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text))
