"""Re-acquired copies of an imported labelled CT, for training (issue #14).

Each real labelled CT gives one MIP, so a few real patients make a few training images,
which a detector learns by heart. A variant is the same patient scanned again in effect:
the CT and its labels turned about the three axes (positioning on the table), re-sampled
to another in-plane size and slice thickness (1-5 mm, with the partial volume of thick
slices), smoothed by another kernel and given other noise; then the same preprocessing
and label projection as the import. Its MIP differs from the original's in the ways two
scans of one patient differ, with exact labels.

Variants only ever train: `with_ct_variants` adds them for the training patients after
the split by patient, so validation sees the original MIPs alone. They are cached under
`PROJECT/cache/ct_variants/` (keyed by the source files, the variation and VERSION), so a
second training run reads them instead of re-slicing.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from vertapp.annotations.paths import safe_join
from vertapp.annotations.store import atomic_write_bytes
from vertapp.errors import VertAppError
from vertapp.io import read_volume
from vertapp.io.volume import Volume
from vertapp.labels import ID_VERTEBRA
from vertapp.ml.dataset import Sample
from vertapp.preprocess import preprocess, project_labels

log = logging.getLogger(__name__)

VERSION = 1  # bump when the variation or its drawing changes (invalidates the cache)
CACHE_DIR = "cache/ct_variants"
AIR_HU = -1024
MIN_PIXELS = 20  # a vertebra with fewer MIP pixels in a variant is left out (a sliver)


@dataclass(frozen=True)
class Variation:
    """One re-acquisition: turned, re-sampled, smoothed, noisier."""

    angles_deg: tuple[float, float, float]  # about the L-R, A-P and S-I axes
    inplane_mm: float
    slice_mm: float
    psf_mm: float  # Gaussian sigma of the extra kernel blur, in-plane
    noise_hu: float
    seed: int


def draw_variation(rng: np.random.Generator) -> Variation:
    """A plausible second scan: angles as patients lie (axial turn widest), 0.6-1.0 mm
    pixels; half keep the source's slices (slice_mm 0), half get 1.5-5 mm ones; kernels
    from the source's own to 0.6 mm softer; 0-40 HU more noise."""
    angles = (rng.uniform(-8, 8), rng.uniform(-6, 6), rng.uniform(-10, 10))
    thick = rng.random() < 0.5
    return Variation(
        angles_deg=tuple(round(float(a), 2) for a in angles),  # type: ignore[arg-type]
        inplane_mm=round(float(rng.uniform(0.6, 1.0)), 3),
        slice_mm=round(float(rng.uniform(1.5, 5.0)), 3) if thick else 0.0,
        psf_mm=round(float(rng.uniform(0.0, 0.6)), 3),
        noise_hu=round(float(rng.uniform(0.0, 40.0)), 1),
        seed=int(rng.integers(2**31)),
    )


def _to_sitk(array: np.ndarray, like: Volume) -> sitk.Image:
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(like.spacing)
    image.SetOrigin(like.origin)
    image.SetDirection(tuple(float(v) for v in like.direction.ravel()))
    return image


def _grid(volume: Volume, spacing: tuple[float, float, float]) -> tuple[list[int], tuple]:
    """(size, (origin, spacing, direction)) of a grid with `spacing` over the volume's box."""
    extent = np.asarray(volume.shape[::-1], float) * np.asarray(volume.spacing)
    size = [max(int(np.ceil(e / s)), 1) for e, s in zip(extent, spacing, strict=True)]
    # The first voxel centre sits half a new voxel inside the box's corner.
    corner = np.asarray(volume.origin) - volume.direction @ (np.asarray(volume.spacing) / 2)
    origin = corner + volume.direction @ (np.asarray(spacing) / 2)
    return size, (tuple(origin.tolist()), spacing, tuple(volume.direction.ravel().tolist()))


def vary_volume(volume: Volume, labels: np.ndarray, var: Variation) -> tuple[Volume, np.ndarray]:
    """(CT, labels) as `var` would have acquired them: same direction cosines, new grid.

    The turn is about the volume's centre; the new grid covers the same box. Thick slices
    average over their thickness (a Gaussian of FWHM = slice along the slice axis before
    sampling) and are read back onto the fine grid by linear interpolation, as a viewer
    shows them: soft, stepped endplates. The labels go straight onto the fine grid, so
    the masks keep the anatomy's outline rather than the slices' steps."""
    source_mm = volume.spacing[2]
    slice_mm = max(var.slice_mm, source_mm)  # thinner slices than the source's add nothing
    # The source's slices already average over source_mm: blur by what is missing.
    sigma_z = np.sqrt(slice_mm**2 - source_mm**2) / 2.355
    sigmas = [max(var.psf_mm, 1e-3), max(var.psf_mm, 1e-3), max(float(sigma_z), 1e-3)]
    ct = sitk.SmoothingRecursiveGaussian(_to_sitk(volume.array.astype(np.float32), volume), sigmas)
    centre = ct.TransformContinuousIndexToPhysicalPoint([(n - 1) / 2.0 for n in ct.GetSize()])
    turn = sitk.Euler3DTransform(centre, *np.deg2rad(var.angles_deg).tolist())
    fine = (var.inplane_mm, var.inplane_mm, source_mm)
    size, grid = _grid(volume, (var.inplane_mm, var.inplane_mm, slice_mm))
    air = float(AIR_HU)
    scanned = sitk.Resample(ct, size, turn, sitk.sitkLinear, *grid, air, sitk.sitkFloat32)
    noise = np.random.default_rng(var.seed).normal(0.0, var.noise_hu, size[::-1])
    scanned = _with_noise(scanned, noise.astype(np.float32))
    fine_size, fine_grid = _grid(volume, fine)
    if slice_mm > source_mm:
        scanned = sitk.Resample(
            scanned, fine_size, sitk.Transform(), sitk.sitkLinear, *fine_grid, air, sitk.sitkFloat32
        )
    lab = _to_sitk(labels.astype(np.uint8), volume)
    lab = sitk.Resample(
        lab, fine_size, turn, sitk.sitkNearestNeighbor, *fine_grid, 0, sitk.sitkUInt8
    )
    hu = np.clip(np.rint(sitk.GetArrayFromImage(scanned)), -32768, 32767).astype(np.int16)
    origin = fine_grid[0]
    return Volume(hu, fine, origin, volume.direction), sitk.GetArrayFromImage(lab)


def _with_noise(image: sitk.Image, noise: np.ndarray) -> sitk.Image:
    out = sitk.GetImageFromArray(sitk.GetArrayFromImage(image) + noise)
    out.CopyInformation(image)
    return out


def variant_sample(
    volume: Volume, labels: np.ndarray, var: Variation, base: Sample, class_names: list[str]
) -> Sample | None:
    """The variant's MIP with one mask per vertebra still visible on it (None: no MIP)."""
    ct, lab = vary_volume(volume, labels, var)
    try:
        result = preprocess(ct)
    except VertAppError as err:  # e.g. the canal lost on a steep turn: skip this variant
        log.info("variant of %s skipped: %s", base.file_name, err)
        return None
    mip_labels = project_labels(lab, ct, result)
    masks, classes = [], []
    for class_id in np.unique(mip_labels[mip_labels > 0]).tolist():
        level = ID_VERTEBRA[int(class_id)]
        mask = mip_labels == class_id
        if level in class_names and mask.sum() >= MIN_PIXELS:
            masks.append(mask)
            classes.append(class_names.index(level) + 1)
    if not masks:
        return None
    steps = np.linalg.norm(np.asarray(result.affine, float)[:, :2], axis=0)  # mm per row, col
    return _sample(
        result.mip_u8,
        np.asarray(masks, bool),
        np.asarray(classes, np.int64),
        (float(steps[0]), float(steps[1])),
        base,
        var,
    )


def _sample(
    image: np.ndarray,
    masks: np.ndarray,
    labels: np.ndarray,
    spacing: tuple[float, float],
    base: Sample,
    var: Variation,
) -> Sample:
    record = {"vertapp": {"variant_of": base.file_name, "variation": asdict(var)}}
    return Sample(
        image,
        masks,
        labels,
        base.patient,
        base.image_id,
        f"{base.file_name}#variant",
        spacing,
        record,
    )


def variant_sources(sample: Sample, root: Path) -> tuple[Path, Path] | None:
    """(CT, label volume) of an imported CT image inside `root`, or None for other images."""
    meta = sample.record.get("vertapp") or {}
    imported = meta.get("import") or {}
    ct, labels = meta.get("source_path"), imported.get("label_volume")
    if meta.get("source") != "imported" or not ct or not labels:
        return None
    try:
        paths = safe_join(root, str(ct)), safe_join(root, str(labels))
    except VertAppError:
        return None
    return paths if all(p.is_file() for p in paths) else None


def _cache_key(sources: tuple[Path, Path], var: Variation, class_names: list[str]) -> str:
    h = hashlib.blake2s(digest_size=8)
    for p in sources:
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    h.update(repr((VERSION, asdict(var), class_names)).encode())
    return h.hexdigest()


def _save(path: Path, s: Sample) -> None:
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        image=s.image,
        masks=np.packbits(s.masks, axis=-1),
        labels=s.labels,
        width=np.int64(s.image.shape[1]),
        spacing=np.asarray(s.spacing_mm, float),
    )
    atomic_write_bytes(path, buf.getvalue())


def _load(path: Path, base: Sample, var: Variation) -> Sample | None:
    try:
        with np.load(path) as z:
            image, labels, width = z["image"], z["labels"], int(z["width"])
            masks = np.unpackbits(z["masks"], axis=-1, count=width).astype(bool)
            row_mm, col_mm = (float(v) for v in z["spacing"])
    except (OSError, ValueError, KeyError):
        return None  # a damaged cache entry is made again
    return _sample(image, masks, labels, (row_mm, col_mm), base, var)


def case_variants(
    base: Sample, root: Path, count: int, class_names: list[str], seed: int = 0
) -> list[Sample]:
    """Up to `count` variants of one imported CT image (cached); [] for other images."""
    sources = variant_sources(base, root)
    if sources is None or count <= 0:
        return []
    rng = np.random.default_rng([seed, base.image_id, VERSION])
    cache = root / CACHE_DIR
    scan: tuple[Volume, np.ndarray] | None = None  # read at the first variant not cached
    out = []
    for _ in range(count):
        var = draw_variation(rng)
        path = cache / f"{Path(base.file_name).stem}_{_cache_key(sources, var, class_names)}.npz"
        sample = _load(path, base, var) if path.is_file() else None
        if sample is None:
            if scan is None:
                scan = read_volume(sources[0]), read_volume(sources[1], require_ct=False).array
            sample = variant_sample(*scan, var, base, class_names)
            if sample is not None:
                cache.mkdir(parents=True, exist_ok=True)
                _save(path, sample)
        if sample is not None:
            out.append(sample)
    return out


def with_ct_variants(
    samples: list[Sample], root: Path | None, count: int, class_names: list[str], seed: int = 0
) -> list[Sample]:
    """`samples` followed by `count` variants of each imported CT among them."""
    if root is None or count <= 0:
        return list(samples)
    extra = [v for s in samples for v in case_variants(s, root, count, class_names, seed)]
    return list(samples) + extra
