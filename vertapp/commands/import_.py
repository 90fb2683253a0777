"""`vertapp import`: labelled CTs into a project (one CT, or a whole dataset folder).

    vertapp import CT --labels LABELS --out PROJECT [--vocabulary verse|totalseg|table
                   --table FILE] [--name NAME] [--patient KEY]
    vertapp import DATASET_DIR --out PROJECT [--vocabulary ...]

PROJECT is created, or added to when it already holds a project. Each CT becomes a MIP
image with one polygon per vertebra (docs/import.md). Exit status 1 when a case failed
(the others are imported and saved all the same). A failed case leaves no file behind;
when no case was imported, PROJECT is left as it was, and a PROJECT this run would have
created is not there at all (no empty project that looks valid).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vertapp.commands.new_paths import Before
from vertapp.jobs import Progress

if TYPE_CHECKING:
    from vertapp.ctimport.case import CaseSpec
    from vertapp.ctimport.dataset import DatasetReport

# What the import writes in PROJECT (annotations.store's names, spelled here so that
# `vertapp --help` does not load it): project.json, the folders of the cases' files
# (ctimport.casefiles), the project's state folder (its lock).
PROJECT_FILE = "project.json"
CASE_FOLDERS = ("images", "volumes", "preprocess")
PROJECT_PARTS = (PROJECT_FILE, *CASE_FOLDERS, ".vertapp")

VOCABULARY_HELP = (
    "what the label ids mean: verse (VerSe: 8-19 T1-T12, 20-24 L1-L5; default), "
    "totalseg (TotalSegmentator v2 'total'), totalseg_v1, or table (--table). "
    "TotalSegmentator folders and DICOM SEG are read by segment / file names"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="CT (file or DICOM folder), or a dataset folder")
    parser.add_argument(
        "--labels",
        type=Path,
        help="label map of the CT: a volume file, TotalSegmentator's folder or a DICOM SEG "
        "(without it INPUT is a dataset folder)",
    )
    parser.add_argument("--out", type=Path, required=True, help="project folder")
    parser.add_argument(
        "--vocabulary",
        default="verse",
        choices=("verse", "totalseg", "totalseg_v1", "table"),
        help=VOCABULARY_HELP,
    )
    parser.add_argument("--table", type=Path, help="label table: JSON {id: name} or CSV id,name")
    parser.add_argument("--name", help="image name in the project (default: from the CT name)")
    parser.add_argument("--patient", help="patient key for train/val splits (default: name)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    from vertapp.ctimport import CaseSpec, find_cases
    from vertapp.errors import InputError

    check_project_out(args.out)  # before any CT is read
    vocabulary = "table" if args.table is not None else args.vocabulary
    if args.labels is not None:
        cases = [CaseSpec(args.input, args.labels, vocabulary, args.table, args.name, args.patient)]
        unmatched: list[Path] = []
    else:
        if args.name or args.patient:
            raise InputError("--name and --patient need --labels (one CT, not a dataset)")
        scan = find_cases(args.input, vocabulary, args.table)
        cases, unmatched = scan.cases, scan.unmatched
    before = Before.of(args.out, PROJECT_PARTS)
    report = _import(args.out, cases, before, args.quiet)
    _say_report(report, unmatched)
    print(f"{args.out}: {len(report.imported)} imported, {len(report.failed)} failed")
    if report.failed and not report.imported:
        print(nothing_imported(len(report.failed), before), file=sys.stderr)
    return 1 if report.failed else 0


def _import(out: Path, cases: list[CaseSpec], before: Before, quiet: bool) -> DatasetReport:
    """Import the cases into `out` under its lock; what failed leaves nothing behind."""
    from vertapp.annotations.project_lock import locked_for_command
    from vertapp.ctimport import import_to_folder_job
    from vertapp.jobs import run_job

    saved = _stamp(out / PROJECT_FILE)
    report: DatasetReport | None = None
    try:
        # a project open in a window is not written under it (its journal and saves)
        with locked_for_command(out):
            report = run_job(import_to_folder_job(out, cases), _reporter(quiet))
        return report
    finally:
        _remove_failed(before, saved, report)  # after the lock: its file is new too


def _say_report(report: DatasetReport, unmatched: list[Path]) -> None:
    for case in report.imported:
        left = "; ".join(f"{r}: {', '.join(v)}" for r, v in case.left_out.items())
        print(f"{case.name}: {', '.join(case.levels)}" + (f" (left out: {left})" if left else ""))
        for warning in case.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        for note in case.notes:
            print(f"note: {note}", file=sys.stderr)
    for path in unmatched:
        print(f"skipped {path}: no label map of the same name", file=sys.stderr)
    for name, reason in report.failed.items():
        print(f"FAILED {name}: {reason}", file=sys.stderr)


def nothing_imported(n_failed: int, before: Before) -> str:
    """Why there is no project to open after a run whose cases all failed."""
    cases = "the only case" if n_failed == 1 else f"all {n_failed} cases"
    if before.top is not None:
        left = f"no project was created ({before.folder} is not there)"
    elif PROJECT_FILE in before.paths:
        left = f"the project {before.folder} was left as it was"
    else:
        left = f"{before.folder} was left as it was"
    return f"nothing imported: {cases} failed (each said above); {left}"


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """A file's identity and version (inode, mtime, size), or None when it is not there:
    project.json is saved (atomically: a new inode) after each case imported."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _remove_failed(
    before: Before, saved: tuple[int, int, int] | None, report: DatasetReport | None
) -> None:
    """Remove what this run wrote for cases that were not imported: everything new when
    no case was saved (an existing project is left as it was, a new one is not there),
    else the files of the failed cases. An interrupted run that saved some cases leaves
    all its files: without the report, which files are a saved case's is not known."""
    from vertapp.ctimport.casefiles import file_names

    if _stamp(before.folder / PROJECT_FILE) == saved:
        before.remove_new()
    elif report is not None:
        kept = [f for case in report.imported for f in file_names(case.name).values()]
        before.remove_new(keep=lambda rel: _kept(rel, kept))


def _kept(rel: str, case_files: list[str]) -> bool:
    """Whether a new path stays: the project's own files, an imported case's files."""
    if rel.split("/")[0] not in CASE_FOLDERS:
        return True
    return any(rel == f or rel.startswith(f"{f}/") for f in case_files)


def check_project_out(out: Path) -> None:
    """A project folder (new or existing), not a file or a path through one, whose
    project.json, images/, volumes/ and preprocess/ can be what the import writes."""
    from vertapp.annotations.store import IMAGES_DIR, PREPROCESS_DIR, PROJECT_FILE, SOURCES_DIR
    from vertapp.commands.outputs import check_folder_out

    folders = (IMAGES_DIR, SOURCES_DIR, PREPROCESS_DIR)
    check_folder_out(out, files=(PROJECT_FILE,), folders=folders)


def _reporter(quiet: bool):  # type: ignore[no-untyped-def]
    def report(event: Progress) -> None:
        if quiet or event.stage != "import":
            return
        pct = "" if event.fraction is None else f"{100 * event.fraction:5.1f}% "
        print(f"{pct}{event.message}", file=sys.stderr, flush=True)

    return report
