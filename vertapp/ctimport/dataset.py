"""A whole folder of labelled CTs in one job; one bad case never stops the others.

Layouts found (`find_cases`):
- VerSe's BIDS layout: `rawdata/sub-*/…_ct.nii.gz` with the mask of the same name
  `derivatives/sub-*/…_seg-vert_msk.nii.gz`;
- TotalSegmentator's dataset layout: `<case>/ct.nii.gz` with `<case>/segmentations/`
  holding `vertebrae_<level>.nii.gz` (the case folder names the image when it is the
  dataset's pseudonym, `s0001`; any other folder gets a digest: it may be a patient's name);
- CT/label pairs matched by name anywhere below the folder: `X_ct.nii.gz` (or `X.nii.gz`)
  beside `X_seg-vert_msk.nii.gz`, `X_seg.nii.gz`, `X_label(s).nii.gz`, `X_mask.nii.gz` or
  `X_msk.nii.gz` (e.g. VerSe's files copied flat into one folder); the label file beside
  the CT wins, then one in a folder of the same name.

`import_dataset_job` imports each case with `case.import_case_job`, yields progress,
and returns a report naming every case that failed and why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vertapp.annotations.model import Project
from vertapp.annotations.store import PROJECT_FILE, load_project, new_project, save_project
from vertapp.ctimport.case import (
    CASE_ERRORS,
    CaseReport,
    CaseSpec,
    case_name,
    import_case_job,
    pseudonym_folder,
)
from vertapp.errors import InputError, VertAppError
from vertapp.jobs import Job, Progress, sub_job
from vertapp.preprocess import PreprocessParams

log = logging.getLogger(__name__)

EXTENSIONS = (".nii.gz", ".nii", ".mha", ".nrrd")
TOTALSEG_FOLDER = "segmentations"  # TotalSegmentator's dataset: <case>/ct.nii.gz + this folder
LABEL_SUFFIXES = ("_seg-vert_msk", "_seg-vert", "_seg", "_labels", "_label", "_mask", "_msk")


@dataclass
class DatasetScan:
    """The cases of a dataset folder, and CTs named `*_ct` that have no label map."""

    cases: list[CaseSpec]
    unmatched: list[Path] = field(default_factory=list)


@dataclass
class DatasetReport:
    """Cases imported and cases that failed (name -> the error in words)."""

    imported: list[CaseReport] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def _split(path: Path) -> tuple[str, str] | None:
    """(stem, extension) for a volume file name, None for other files."""
    lower = path.name.lower()
    for ext in EXTENSIONS:
        if lower.endswith(ext):
            return path.name[: -len(ext)], path.name[-len(ext) :]
    return None


def find_cases(
    folder: Path | str, vocabulary: str = "verse", table: Path | None = None
) -> DatasetScan:
    """Every CT with a label map below `folder`: BIDS, TotalSegmentator or name pairs."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise InputError(f"{folder}: is a file; a single CT needs its labels (--labels LABELS)")
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and _split(p) is not None and p.parent.name != TOTALSEG_FOLDER
    )
    labels: dict[str, list[Path]] = {}
    for p in files:
        key = _label_key(p)
        if key is not None:
            labels.setdefault(key, []).append(p)
    scan = DatasetScan([])
    for path in files:
        if _label_key(path) is None:
            _add_case(scan, path, labels, vocabulary, table)
    if not scan.cases:
        raise InputError(
            f"{folder}: no CT with a label map found (expected X_ct.nii.gz beside or under "
            "derivatives/ as X_seg-vert_msk.nii.gz, X.nii.gz with X_seg.nii.gz, or "
            "TotalSegmentator's case/ct.nii.gz with case/segmentations/)"
        )
    return scan


def _add_case(
    scan: DatasetScan,
    path: Path,
    labels: dict[str, list[Path]],
    vocabulary: str,
    table: Path | None,
) -> None:
    stem, _ = _split(path)  # type: ignore[misc]
    segmentations = path.parent / TOTALSEG_FOLDER
    if stem.lower() == "ct" and any(segmentations.glob("vertebrae_*.nii*")):
        name = pseudonym_folder(path.parent) or case_name(path)
        scan.cases.append(CaseSpec(path, segmentations, vocabulary, table, name=name))
        return
    base = stem[: -len("_ct")] if stem.lower().endswith("_ct") else stem
    label = _closest(path, labels.get(base.lower(), []))
    if label is not None:
        scan.cases.append(CaseSpec(path, label, vocabulary, table))
    elif base != stem:
        scan.unmatched.append(path)


def _closest(ct: Path, candidates: list[Path]) -> Path | None:
    """The label file of a CT: beside it, else in a folder of the same name (BIDS
    rawdata/sub-x <-> derivatives/sub-x), else the only one; None when ambiguous."""
    for rule in (lambda p: p.parent == ct.parent, lambda p: p.parent.name == ct.parent.name):
        near = [p for p in candidates if rule(p)]
        if len(near) == 1:
            return near[0]
    return candidates[0] if len(candidates) == 1 else None


def _label_key(path: Path) -> str | None:
    """The CT stem a label file belongs to ('sub-x_seg-vert_msk.nii.gz' -> 'sub-x')."""
    split = _split(path)
    if split is None:
        return None
    stem = split[0]
    for suffix in LABEL_SUFFIXES:
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            return stem[: -len(suffix)].lower()
    return None


def import_dataset_job(
    project: Project,
    cases: list[CaseSpec],
    params: PreprocessParams | None = None,
    after_case: Callable[[CaseReport], None] | None = None,
) -> Job[DatasetReport]:
    """Import every case; a failing case is reported (and logged) and the next one runs.

    `after_case` runs after each imported case (the CLI saves the project there, so an
    interrupted import of many cases keeps the ones done)."""
    report = DatasetReport()
    n = len(cases)
    for k, spec in enumerate(cases):
        label = spec.name or spec.ct.name
        yield Progress("import", k / n, f"case {k + 1}/{n}: {label}", {"case": k + 1, "cases": n})
        try:
            done = yield from sub_job(import_case_job(project, spec, params), k / n, (k + 1) / n)
        except VertAppError as err:
            report.failed[label] = str(err)
        except CASE_ERRORS as err:
            # A damaged file can fail deep inside a library; the other cases still run.
            log.debug("import of %s failed", label, exc_info=True)
            report.failed[label] = f"{type(err).__name__}: {err}"
        else:
            report.imported.append(done)
            if after_case is not None:
                after_case(done)
            continue
        yield Progress("import", (k + 1) / n, f"{label}: FAILED: {report.failed[label]}")
    yield Progress("import", 1.0, f"{len(report.imported)} imported, {len(report.failed)} failed")
    return report


def import_to_folder_job(
    out: Path | str, cases: list[CaseSpec], params: PreprocessParams | None = None
) -> Job[DatasetReport]:
    """Import into the project folder `out` (opened, or created when it holds none),
    saving project.json after every imported case."""
    folder = Path(out)
    if (folder / PROJECT_FILE).exists():
        project = load_project(folder)
        if project.label_set != "vertebrae":
            raise InputError(f"{folder}: holds a {project.label_set} project, not a CT one")
    else:
        project = new_project(folder, label_set="vertebrae")

    def save(_: CaseReport) -> None:
        save_project(project, folder)

    report = yield from import_dataset_job(project, cases, params, after_case=save)
    return report
