"""`vertapp xray import`: a landmark dataset (4 corners per vertebra) -> a radiograph project.

    vertapp xray import DATASET_DIR --out PROJECT [--layout aasce] [--vocabulary parts|vertebrae]
        [--landmarks CSV] [--filenames CSV] [--images DIR]
        [--corner-order tl,tr,bl,br] [--coordinates normalised|pixels]
        [--axes x_then_y|interleaved] [--levels T1-L5]

The layout options override the named layout (docs/xray.md, `vertapp.xray.landmarks`).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from vertapp.errors import InputError

HELP = "import a landmark dataset (4 corners per vertebra, e.g. AASCE) as a radiograph project"
SHORT = {"tl": "top_left", "tr": "top_right", "bl": "bottom_left", "br": "bottom_right"}


def add_parser(sub: Any) -> None:
    p = sub.add_parser("import", help=HELP, description=HELP)
    p.add_argument(
        "dataset",
        help="folder with landmarks.csv, filenames.csv and images/ (PNG, JPEG, TIFF or "
        "DICOM films)",
    )
    p.add_argument("--out", required=True, help="new project folder (images are copied there)")
    p.add_argument("--layout", default="aasce", help="named corner layout (default aasce)")
    p.add_argument(
        "--vocabulary",
        choices=("parts", "vertebrae"),
        default="parts",
        help="parts: category 'body' + level; vertebrae: category T1..L5",
    )
    p.add_argument("--landmarks", help="landmark CSV (default DATASET/landmarks.csv)")
    p.add_argument("--filenames", help="image name CSV (default DATASET/filenames.csv)")
    p.add_argument("--images", help="image folder (default DATASET/images)")
    p.add_argument("--corner-order", help="order of a vertebra's corners, e.g. tl,tr,bl,br")
    p.add_argument("--coordinates", choices=("normalised", "pixels"))
    p.add_argument("--axes", choices=("x_then_y", "interleaved"))
    p.add_argument("--levels", help="first-last vertebra of each row, e.g. T1-L5")
    p.set_defaults(xray_run=run_import)


def layout_from_args(args: argparse.Namespace) -> Any:
    from vertapp.labels import vertebra_range
    from vertapp.xray.landmarks import LAYOUTS

    if args.layout not in LAYOUTS:
        raise InputError(f"unknown --layout {args.layout!r}; known: {', '.join(LAYOUTS)}")
    changes: dict[str, Any] = {}
    if args.corner_order:
        names = [
            SHORT.get(c.strip().lower(), c.strip().lower()) for c in args.corner_order.split(",")
        ]
        changes["corner_order"] = tuple(names)
    if args.coordinates:
        changes["coordinates"] = args.coordinates
    if args.axes:
        changes["axes"] = args.axes
    if args.levels:
        first, _, last = args.levels.partition("-")
        try:
            changes["levels"] = vertebra_range(first.strip().upper(), last.strip().upper())
        except (KeyError, ValueError):
            raise InputError(f"--levels {args.levels!r}: expected e.g. T1-L5") from None
    return replace(LAYOUTS[args.layout], **changes)


def check_project_folder(out: Path, sources: list[tuple[str, Path]]) -> None:
    """Refuse in words, before anything is written, a --out that is a file, a folder that
    holds anything, or the dataset's own folder (or one inside it): the project's copies
    would mix with the dataset's originals."""
    from vertapp.io.out_paths import check_out_folder

    check_out_folder(out)
    target = out.resolve()
    for what, folder in sources:
        where = folder.resolve()
        if target == where or where in target.parents:
            inside = "is" if target == where else "is inside"
            raise InputError(
                f"--out {out}: {inside} the {what} {folder}; the project's images would mix "
                "with the dataset's originals: choose a new folder outside it"
            )
    if out.is_dir() and any(out.iterdir()):
        held = "a project" if (out / "project.json").exists() else "files"
        raise InputError(f"--out {out}: already holds {held}; choose a new or empty folder")


def run_import(args: argparse.Namespace) -> int:
    from vertapp.commands.notices import say_warnings
    from vertapp.jobs import run_job
    from vertapp.xray.landmarks import import_landmarks_job

    dataset = Path(args.dataset)
    sources = [("dataset folder", dataset)]
    if args.images:
        sources.append(("image folder", Path(args.images)))
    check_project_folder(Path(args.out), sources)
    result = run_job(
        import_landmarks_job(
            args.dataset,
            args.out,
            layout=layout_from_args(args),
            vocabulary=args.vocabulary,
            landmarks_csv=args.landmarks,
            filenames_csv=args.filenames,
            images_dir=args.images,
        )
    )
    for note in result.skipped:  # a warning: stderr, stdout holds the result line
        print(f"skipped: {note}", file=sys.stderr)
    # the films' own doubts (frames dropped, colour, TIFF pages), by row: a file name may
    # carry the patient's
    say_warnings(result.warnings)
    print(
        f"{result.n_images} radiographs, {result.n_vertebrae} vertebral bodies -> "
        f"{result.project_dir / 'project.json'}"
    )
    return 0
