"""One labelled CT into a project: the MIP with one polygon per vertebra.

`import_case_job(project, spec)` reads the CT and its labels, puts the labels on the CT's
grid (alignment.py), maps their ids to the app's classes T1..L5 (levels.py), runs the
same preprocessing as any scan, projects the labels onto the MIP and traces one polygon
per vertebra. It has two halves so a window can run the slow one on a worker thread:
`prepare_case_job` (reading, preprocessing, tracing, writing the case's files into the
project folder: casefiles.py; no Project touched) and `add_case` (the image record with
its instances, added to the Project on the thread that owns it). Saving project.json is
the caller's step, so the window imports into the project it has open and saves as usual.

Image record fields (under "vertapp"): `source` = "imported", `patient_key` (splits),
`source_path` (the CT, copied into volumes/), and `import` = {labels description,
vocabulary, label volume path, levels kept, levels left out with the reason, how the
original CT was stored (orientation code, DICOM or not)}. The original's path is not
kept: it may name the patient, and the record goes into every COCO export.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from vertapp.annotations.geometry import clean_polygons, mask_to_rings
from vertapp.annotations.hu_verdict import verdict_meta
from vertapp.annotations.landmarks import KEY as LANDMARKS
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.annotations.store import IMAGES_DIR
from vertapp.ctimport.alignment import labels_on_ct_grid, soft_tissue_warning
from vertapp.ctimport.casefiles import removed_if_failed, write_case_files
from vertapp.ctimport.labelfiles import LabelMap, read_label_map
from vertapp.ctimport.levels import class_of, drop_reason
from vertapp.errors import CancelledError, InputError, VertAppError
from vertapp.io.file_kinds import Kind, kind_of
from vertapp.io.neutral_names import neutral_key, neutral_stem
from vertapp.io.readers import load_volume_job
from vertapp.io.volume import Volume
from vertapp.jobs import Job, Progress, sub_job
from vertapp.labels import ID_VERTEBRA, VERTEBRA_ID
from vertapp.preprocess import PreprocessParams, preprocess_job, project_labels
from vertapp.preprocess.landmarks import landmarks

VOLUME_SUFFIXES = (".nii.gz", ".nii", ".mha", ".mhd", ".nrrd", ".nhdr", ".dcm")
CT_SUFFIXES = ("_ct", "-ct", "_image", "_img")
GENERIC_STEMS = ("ct", "image", "img", "volume", "scan")
# Folder names that are a public dataset's pseudonyms, never a patient's: VerSe's BIDS
# subjects ('sub-verse005') and TotalSegmentator's cases ('s0001'). Only these may name an
# image whose CT file has a generic name; a hospital export's folder is often the
# patient's name or record number ('DOE_JOHN/ct.nii.gz'), which must not reach the
# project's file names, its image list or a COCO export.
PSEUDONYM_FOLDER = re.compile(r"sub-[A-Za-z0-9]+|s\d{4,5}")
BIDS_SUBJECT = re.compile(r"(sub-[A-Za-z0-9]+)")  # 'sub-gl003' of 'sub-gl003_dir-ax'
# What a case may fail with besides VertAppError: a damaged file can fail deep inside a
# library; it is that case's failure, not a bug of the app (the next case still runs)
CASE_ERRORS = (OSError, RuntimeError, ValueError, MemoryError)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseSpec:
    """What to import: a CT (file or DICOM folder) and its labels (file, folder or SEG)."""

    ct: Path
    labels: Path
    vocabulary: str = "verse"  # verse | totalseg | totalseg_v1 | table (SEG / folders: by name)
    table: Path | None = None
    name: str | None = None  # image name in the project (default: from the CT file name)
    patient: str | None = None  # patient key for splits (default: BIDS subject or name)
    # The window's View > Hide names and paths: no word of the CT's or the labels' names
    # in the project (file names, patient key) or the words said (`hidden_image_name`)
    hide_names: bool = False


@dataclass
class CaseReport:
    """What one import did: the image it added and what was left out, in words."""

    name: str
    image_id: int
    patient: str
    levels: list[str]  # classes traced on the MIP, head to foot
    left_out: dict[str, list[str]] = field(default_factory=dict)  # reason -> levels
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # information only (the readers' notes)


@dataclass
class PreparedCase:
    """A case read, mapped, preprocessed, projected, traced and written into the project
    folder, not yet in the project: `add_case` puts it there (on the project's thread)."""

    name: str
    patient: str
    shape: tuple[int, int]  # MIP (rows, cols)
    affine: list[list[float]]  # MIP (row, col, 1) -> LPS mm
    files: dict[str, str]  # casefiles.file_names
    rings: dict[str, tuple[list[np.ndarray], list[np.ndarray]]]  # level -> (outers, holes)
    import_record: dict[str, Any]
    left_out: dict[str, list[str]]
    warnings: list[str]
    landmarks: dict[str, Any] = field(default_factory=dict)  # preprocess.landmarks
    notes: list[str] = field(default_factory=list)  # information only (the readers' notes)
    verdict: dict[str, str] = field(default_factory=dict)  # hu_verdict.verdict_meta


def import_case_job(
    project: Project, spec: CaseSpec, params: PreprocessParams | None = None
) -> Job[CaseReport]:
    """Add one labelled CT to `project` (in memory; files written into its folder)."""
    if project.root is None:
        raise VertAppError("the project needs a folder before a CT can be imported")
    name = unique_name(project, image_name(spec))
    prepared = yield from prepare_case_job(spec, project.root, name, params)
    return add_case(project, prepared)


def prepare_case_job(
    spec: CaseSpec, root: Path, name: str, params: PreprocessParams | None = None
) -> Job[PreparedCase]:
    """Everything slow of an import, touching no Project (run it on a worker thread).

    `name`: a free image name (`unique_name(project, image_name(spec))`)."""
    yield Progress("import", 0.0, f"{name}: reading the CT")
    report = yield from sub_job(load_volume_job(spec.ct), 0.0, 0.25)
    volume = report.image
    assert isinstance(volume, Volume)  # load_volume_job refuses 2-D images
    yield Progress("import", 0.25, f"{name}: reading the labels")
    label_map, classes, left_out, warnings = _classes_on_ct(spec, volume)
    warnings = [_shown_words(w, spec) for w in warnings]
    yield Progress("import", 0.35, f"{name}: preprocessing")
    result = yield from sub_job(preprocess_job(volume, params), 0.35, 0.85)
    yield Progress("import", 0.85, f"{name}: projecting the labels onto the MIP")
    rings = trace_levels(project_labels(classes, volume, result))
    warnings += result.warnings + _missing_on_mip(classes, list(rings), name)
    yield Progress("import", 0.9, f"{name}: writing the CT and its MIP")
    with removed_if_failed(root, name):  # a case that failed leaves no file behind
        files = write_case_files(root, name, volume, classes, result)
        record = _import_record(label_map, spec, files["labels"], list(rings), left_out)
        record.update(original_ct(spec.ct, report.stored_orientation))
        return PreparedCase(
            name=name,
            patient=case_patient(spec, name),
            shape=(int(result.mip_u8.shape[0]), int(result.mip_u8.shape[1])),
            affine=np.asarray(result.affine, dtype=float).tolist(),
            files=files,
            rings=rings,
            import_record=record,
            left_out=left_out,
            warnings=warnings,
            landmarks=landmarks(result),
            notes=[_shown_words(note, spec) for note in volume.notes],
            verdict=verdict_meta(volume.warnings),  # Predict asks before predicting it
        )


@dataclass(frozen=True)
class FailedCase:
    """A case not imported, and why in words; none of its files is left behind."""

    name: str
    reason: str


def try_prepare_case_job(
    spec: CaseSpec, root: Path, name: str, params: PreprocessParams | None = None
) -> Job[PreparedCase | FailedCase]:
    """`prepare_case_job` whose failure is its result, in the words the dataset import
    uses, the CT's and the labels' names replaced while names are hidden (a CT's path
    may name its patient); a cancel still raises."""
    try:
        return (yield from prepare_case_job(spec, root, name, params))
    except CancelledError:
        raise
    except VertAppError as err:
        reason = str(err)
    except CASE_ERRORS as err:
        log.debug("import of %s failed", name, exc_info=True)
        reason = f"{type(err).__name__}: {err}"
    return FailedCase(name, _shown_words(reason, spec))


def _classes_on_ct(
    spec: CaseSpec, volume: Volume
) -> tuple[LabelMap, np.ndarray, dict[str, list[str]], list[str]]:
    """The label map read, checked and mapped to class ids on the CT's grid, with the
    levels left out and the warnings so far (the CT's, the labels')."""
    label_map = read_label_map(spec.labels, spec.vocabulary, spec.table, ct=spec.ct)
    where = "the label map" if spec.hide_names else spec.labels.name
    on_grid = labels_on_ct_grid(label_map.image, volume, where)
    classes, left_out = to_classes(on_grid, label_map.levels, where)
    warnings = volume.warnings + label_map.warnings + _transitional_warnings(left_out)
    warnings += [w for w in (soft_tissue_warning(on_grid, volume, where),) if w]
    warnings += order_warnings(classes, volume, where)
    return label_map, classes, left_out, warnings


def trace_levels(mip_labels: np.ndarray) -> dict[str, tuple[list[np.ndarray], list[np.ndarray]]]:
    """level -> (outer rings, holes) of each class on the MIP label image, head to foot."""
    h, w = mip_labels.shape
    out = {}
    for class_id in np.unique(mip_labels[mip_labels > 0]).tolist():
        outers, holes = mask_to_rings(mip_labels == class_id)
        outers = clean_polygons(outers, h, w) if outers else []
        if outers:
            out[ID_VERTEBRA[int(class_id)]] = (outers, holes)
    return out


def add_case(project: Project, prepared: PreparedCase) -> CaseReport:
    """Put a prepared case into `project`: one image with one instance per vertebra.

    Fast (no pixels); call it on the thread that owns the project. The instances arrive
    with the image (project set-up, not an undoable edit), like a loaded file's."""
    rows, cols = prepared.shape
    instances = [
        Instance(project.new_instance_id(), level, outers, holes, source="manual")
        for level, (outers, holes) in prepared.rings.items()
    ]
    record = ImageRecord(
        id=project.new_image_id(),
        file_name=prepared.files["image"],
        width=cols,
        height=rows,
        kind="mip",
        source_path=prepared.files["ct"],
        mip_affine=prepared.affine,
        patient_key=prepared.patient,
        status="completed" if instances else "not_started",
        instances=instances,
        extra={
            "vertapp": {
                "source": "imported",
                "import": prepared.import_record,
                LANDMARKS: prepared.landmarks,
                **prepared.verdict,
            }
        },
    )
    project.add_image(record)
    levels = [inst.label for inst in instances]
    return CaseReport(
        prepared.name,
        record.id,
        prepared.patient,
        levels,
        prepared.left_out,
        prepared.warnings,
        prepared.notes,
    )


def to_classes(
    on_grid: np.ndarray, levels: dict[int, str], name: str
) -> tuple[np.ndarray, dict[str, list[str]]]:
    """uint8 class ids (1..17 = T1..L5) from raw ids, and the levels left out by reason."""
    present = np.unique(on_grid[on_grid > 0])
    lut = np.zeros(int(present.max(initial=0)) + 1, np.uint8)
    left_out: dict[str, list[str]] = {}
    for raw in present.tolist():
        level = levels.get(int(raw))
        if level is None:
            continue  # not a vertebra in this vocabulary (an organ, a rib, ...)
        cls = class_of(level)
        if cls is None:
            left_out.setdefault(drop_reason(level), []).append(level)
        else:
            lut[raw] = VERTEBRA_ID[cls]
    if not lut.any():
        found = ", ".join(str(v) for v in present[:12].tolist()) or "none"
        raise InputError(
            f"{name}: no T1..L5 vertebra among the labels (ids found: {found}); "
            "is the vocabulary right (--vocabulary verse|totalseg|table)?"
        )
    return lut[on_grid], left_out


def order_warnings(classes: np.ndarray, volume: Volume, name: str) -> list[str]:
    """Refuse labels running foot to head (a wrong vocabulary); warn on single swaps."""
    ids = [int(i) for i in np.unique(classes[classes > 0])]
    if len(ids) < 2:
        return []
    centres = ndi.center_of_mass(classes > 0, classes, ids)  # one pass over the volume
    z = [float(volume.index_to_lps(np.asarray(c))[2]) for c in centres]
    swapped = [
        (ID_VERTEBRA[a], ID_VERTEBRA[b])
        for a, b, za, zb in zip(ids, ids[1:], z, z[1:], strict=False)
        if zb > za
    ]
    if len(swapped) == len(ids) - 1:
        raise InputError(
            f"{name}: the vertebra labels run from foot to head ({ID_VERTEBRA[ids[0]]} lies "
            f"below {ID_VERTEBRA[ids[-1]]}): wrong vocabulary or a flipped label map"
        )
    return [f"{name}: {a} lies below {b}: check these labels" for a, b in swapped]


def _transitional_warnings(left_out: dict[str, list[str]]) -> list[str]:
    return [
        f"{level} is a transitional vertebra, not one of the classes T1..L5: left unlabelled"
        for level in left_out.get("transitional", [])
    ]


def _missing_on_mip(classes: np.ndarray, traced: list[str], name: str) -> list[str]:
    in_3d = [ID_VERTEBRA[int(i)] for i in np.unique(classes[classes > 0])]
    missing = [lvl for lvl in in_3d if lvl not in traced]
    if not missing:
        return []
    return [f"{name}: {', '.join(missing)} labelled in 3-D but not visible on the MIP"]


def _import_record(
    label_map: LabelMap,
    spec: CaseSpec,
    label_file: str,
    traced: list[str],
    left_out: dict[str, list[str]],
) -> dict[str, Any]:
    return {
        "labels": label_map.description,
        "vocabulary": spec.vocabulary if spec.table is None else "table",
        "label_volume": label_file,
        "levels": traced,
        "left_out": left_out,
        "transitional": left_out.get("transitional", []),
    }


def original_ct(ct: Path, stored_orientation: str) -> dict[str, Any]:
    """How the original CT was stored, for exports on its own grid (File > Export 3D
    labels… reads the project's LPS copy: these undo its reorientation without the
    original, as `vertapp backproject` does with it). No path: it may name the patient."""
    return {
        "ct_stored_orientation": stored_orientation,
        "ct_dicom": kind_of(ct) in (Kind.FOLDER, Kind.DICOM),
    }


# ------------------------------------------------------------------ names


def case_name(ct: Path) -> str:
    """A file-safe image name from the CT's file name ('sub-verse006_ct.nii.gz' ->
    'sub-verse006'). A DICOM input gets a digest instead: DICOM folder and file names
    often carry patient names. So does a generic file name ('ct.nii.gz') in a folder
    that is not a dataset's pseudonym ('DOE_JOHN/ct.nii.gz'): the folder would name it."""
    if needs_digest(ct):
        return _digest_name(ct)
    return _file_stem_name(ct)


def needs_digest(ct: Path) -> bool:
    """Whether the input's own name may not be shown: a DICOM folder or file, or a generic
    file name ('ct.nii.gz') in a folder that is not a dataset's pseudonym."""
    if ct.is_dir() or ct.name.lower().endswith(".dcm") or not _has_volume_suffix(ct):
        return True
    return _generic_stem(ct) is not None and pseudonym_folder(ct.resolve().parent) is None


def source_name(ct: Path) -> str:
    """What an output may record as the input (a COCO record's source volume): the file's
    own name where it may be shown, else its digest name."""
    return _digest_name(ct) if needs_digest(ct) else ct.name


def _generic_stem(ct: Path) -> str | None:
    """The stem of a generic CT file name ('ct' of 'ct.nii.gz'), else None."""
    stem = _strip_suffixes(ct.name)
    return stem if stem.lower() in GENERIC_STEMS else None


def _strip_suffixes(name: str) -> str:
    stem = name
    for ext in VOLUME_SUFFIXES:
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
            break
    for suffix in CT_SUFFIXES:
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    return stem


def _file_stem_name(ct: Path) -> str:
    stem = _strip_suffixes(ct.name)
    if stem.lower() in GENERIC_STEMS:  # TotalSegmentator's <case>/ct.nii.gz: the case names it
        stem = f"{pseudonym_folder(ct.resolve().parent)}_{stem}"
    return file_safe(stem)


def image_name(spec: CaseSpec) -> str:
    """The name the user chose (`--name`, the dialog's Name), made file-safe, else
    `hidden_image_name` while names are hidden, else `case_name` of the CT."""
    if _typed_name(spec):
        return file_safe(str(spec.name))
    return hidden_image_name(spec.ct) if spec.hide_names else case_name(spec.ct)


def hidden_image_name(ct: Path) -> str:
    """'ct-1a2b3c4d5e6f': the window's name for a CT while names are hidden, the one
    File > Open gives the same file (a digest of its real path, whatever its name)."""
    return neutral_stem(ct, "ct")


def case_patient(spec: CaseSpec, name: str) -> str:
    """The patient key (train/validation splits): `--patient`, else `patient_of` the
    name. While names are hidden and the name is not the user's, a digest: of the CT's
    BIDS subject where its file name starts with one (one subject's scans still split
    together), else of the CT's path (the key File > Open gives the same file)."""
    if spec.patient:
        return spec.patient
    if not spec.hide_names or _typed_name(spec):
        return patient_of(spec.ct, name)
    subject = BIDS_SUBJECT.match(spec.ct.name)
    return neutral_key(subject.group(1)) if subject else hidden_image_name(spec.ct)


def _typed_name(spec: CaseSpec) -> bool:
    return bool(spec.name and spec.name.strip())


def _shown_words(text: str, spec: CaseSpec) -> str:
    """A warning or note with the CT's and the labels' file names replaced while names are
    hidden: they reach the status bar and the log (a SEG's check names both)."""
    if not spec.hide_names:
        return text
    for path, instead in ((spec.labels, "the labels"), (spec.ct, "the CT")):
        text = text.replace(str(path), instead).replace(path.name, instead)
    return text


def pseudonym_folder(folder: Path) -> str | None:
    """The folder's name when it is a dataset's pseudonym (a BIDS subject, a
    TotalSegmentator case), else None: any other folder name may be a patient's."""
    return folder.name if PSEUDONYM_FOLDER.fullmatch(folder.name) else None


def file_safe(name: str) -> str:
    """`name` as one file-name component: no separators, no leading dot ('ct' if empty)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "ct"


def _digest_name(ct: Path) -> str:
    """'ct-1a2b3c4d': names the input without any of its path's words (the same input
    gets the same name again)."""
    digest = hashlib.blake2s(str(ct.resolve()).encode(), digest_size=4).hexdigest()
    return f"ct-{digest}"


def _has_volume_suffix(path: Path) -> bool:
    return path.name.lower().endswith(VOLUME_SUFFIXES)


def patient_of(ct: Path, name: str) -> str:
    """BIDS subject ('sub-gl003_dir-ax' -> 'sub-gl003'), so a patient's scans split together."""
    m = BIDS_SUBJECT.match(name)
    return m.group(1) if m else name


def unique_name(project: Project, name: str) -> str:
    """`name`, or `name-2`, `name-3`, ... when the project already has an image of that name."""
    taken = {Path(img.file_name).name for img in project.images.values()}
    root = project.root
    candidate, k = name, 1
    while f"{candidate}_mip.png" in taken or (
        root is not None and (root / IMAGES_DIR / f"{candidate}_mip.png").exists()
    ):
        k += 1
        candidate = f"{name}-{k}"
    return candidate
