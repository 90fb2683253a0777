"""Give every candidate bone voxel at most one vertebra, separating neighbours in 3D.

The footprint says which vertebra a MIP pixel shows, but along one left-right ray two
vertebrae can meet (the inferior articular process of L1 beside the superior one of L2, a
tilted endplate), and ribs or a hip bone can lie on a vertebra's ray. So the footprint only
seeds the labels:

1. The candidate bone is eroded by ~1 mm, which opens joint spaces and thin contacts.
2. Each vertebra's *core* is the largest 3D component of the eroded bone on its own
   footprint: its body and arch, without pieces of neighbours or ribs that merely lie on
   its rays (they are not connected to it once the joints are open).
3. Eroded components holding no core (ribs, calcified vessels, hip bone) seed "not a
   vertebra", and so does bone beyond the lateral window: the ilium and the ribs run on
   outside it, a vertebra (nearly) does not.
4. A marker watershed on inverted HU floods the rest of the candidate bone from these
   seeds: the eroded rims, overlap pixels, and a neighbour's process lying on the wrong
   footprint go to the bone they are connected to, with boundaries in the dark joint
   spaces. Candidate pieces connected to no seed stay unlabelled.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk
from scipy import ndimage as ndi

from vertapp.backproject.footprint import AMBIGUOUS

NOT_VERTEBRA = AMBIGUOUS  # marker value of the "not a vertebra" seeds


def erosion_structure(spacing_xyz: tuple[float, float, float], erode_mm: float) -> np.ndarray:
    """A (z, y, x) cross, one voxel long along the axes whose spacing is <= 1.5 `erode_mm`
    (eroding a whole thick slice would cut thin vertebral parts apart)."""
    s = ndi.generate_binary_structure(3, 1)
    for axis, sp in zip((2, 1, 0), spacing_xyz, strict=True):
        if sp > 1.5 * erode_mm:
            idx = [1, 1, 1]
            for end in (0, 2):
                idx[axis] = end
                s[tuple(idx)] = False
    return s


def vertebra_cores(eroded: np.ndarray, seed_labels: np.ndarray) -> np.ndarray:
    """uint8 markers: the largest eroded component of each vertebra on its own footprint."""
    markers = np.zeros(eroded.shape, np.uint8)
    on_fp = eroded & (seed_labels > 0) & (seed_labels != AMBIGUOUS)
    boxes = ndi.find_objects(np.where(on_fp, seed_labels, 0))
    for v, box in enumerate(boxes, start=1):
        if box is None:
            continue
        comp, n = ndi.label(on_fp[box] & (seed_labels[box] == v))
        if n == 0:
            continue
        biggest = np.argmax(np.bincount(comp.ravel())[1:]) + 1
        markers[box][comp == biggest] = v
    return markers


def other_bone_seeds(eroded: np.ndarray, markers: np.ndarray, min_voxels: int) -> np.ndarray:
    """bool: eroded components of at least `min_voxels` that hold no vertebra core (ribs,
    sacrum, hip bone). Smaller ones may be crumbs of a vertebra's own thin cortex."""
    comp, n = ndi.label(eroded)
    other = np.bincount(comp.ravel(), minlength=n + 1) >= min_voxels
    other[np.unique(comp[markers > 0])] = False
    other[0] = False
    return other[comp]


def flood(
    hu: np.ndarray, candidate: np.ndarray, markers: np.ndarray, domain: np.ndarray
) -> np.ndarray:
    """Marker watershed of the `domain` bone on inverted HU; labels of the candidate bone,
    0 where no vertebra seed reaches."""
    # 8-bit levels (12 HU apart) flood as well as 16-bit ones and several times faster
    landscape = (np.clip(1500 - hu.astype(np.int32), 0, 3048) // 12).astype(np.uint8)
    landscape[~domain] = np.iinfo(np.uint8).max  # flooded last, never between seeds
    ws = sitk.MorphologicalWatershedFromMarkers(
        sitk.GetImageFromArray(landscape),
        sitk.GetImageFromArray(markers),
        markWatershedLine=False,
        fullyConnected=False,
    )
    labels = sitk.GetArrayFromImage(ws).astype(np.uint8)
    labels[~candidate] = 0
    # pieces of bone without a seed were reached through non-bone: unclaimed
    comp, n = ndi.label(domain)
    seeded = np.zeros(n + 1, bool)
    seeded[np.unique(comp[markers > 0])] = True
    labels[~seeded[comp]] = 0
    labels[labels == NOT_VERTEBRA] = 0
    return labels


def separate(
    hu: np.ndarray,
    candidate: np.ndarray,
    seed_labels: np.ndarray,
    structure: np.ndarray,
    min_other_voxels: int,
    outside_bone: np.ndarray | None = None,
) -> np.ndarray:
    """uint8 labels (1..17) of the candidate bone; see module doc. `outside_bone`: bone
    beyond the lateral window (ilium, ribs), a "not a vertebra" seed that competes for
    what it is connected to."""
    eroded = ndi.binary_erosion(candidate, structure)
    markers = vertebra_cores(eroded, seed_labels)
    markers[other_bone_seeds(eroded, markers, min_other_voxels)] = NOT_VERTEBRA
    domain = candidate
    if outside_bone is not None:
        markers[outside_bone & ~candidate] = NOT_VERTEBRA
        domain = candidate | outside_bone
    return flood(hu, candidate, markers, domain)
