"""`vertapp import`: labelled CTs into a project (one CT, or a whole dataset folder).

    vertapp import CT --labels LABELS --out PROJECT [--vocabulary verse|totalseg|table
                   --table FILE] [--name NAME] [--patient KEY]
    vertapp import DATASET_DIR --out PROJECT [--vocabulary ...]

PROJECT is created, or added to when it already holds a project. Each CT becomes a MIP
image with one polygon per vertebra (docs/import.md). Exit status 1 when a case failed
(the others are imported and saved all the same).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vertapp.jobs import Progress

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
    from vertapp.annotations.project_lock import locked_for_command
    from vertapp.ctimport import CaseSpec, find_cases, import_to_folder_job
    from vertapp.errors import InputError
    from vertapp.jobs import run_job

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
    # a project open in a window is not written under it (its journal and saves)
    with locked_for_command(args.out):
        report = run_job(import_to_folder_job(args.out, cases), _reporter(args.quiet))
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
    print(f"{args.out}: {len(report.imported)} imported, {len(report.failed)} failed")
    return 1 if report.failed else 0


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
