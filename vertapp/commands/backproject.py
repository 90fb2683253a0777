"""`vertapp backproject CT MIP_COCO --out LABELS.nii.gz`: MIP masks -> 3D vertebra labels.

MIP_COCO holds the masks of that CT's MIP (from `predict`, a project or an export). Writes
the labels as NIfTI with VerSe ids on the CT's original grid, and optionally a DICOM SEG
referencing the source series (--seg, CT read from DICOM only) and VerSe centroids
(--centroids). Without --preprocess the default preprocessing is re-run on the CT.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vertapp.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ct", type=Path, help="CT volume file or DICOM folder")
    parser.add_argument("coco", type=Path, help="COCO file with the masks of the CT's MIP")
    parser.add_argument("--out", required=True, type=Path, help="label map, .nii or .nii.gz")
    parser.add_argument(
        "--preprocess", type=Path, help="preprocess.json (or its folder) made from this CT"
    )
    parser.add_argument("--seg", type=Path, help="also write a DICOM SEG (CT from DICOM only)")
    parser.add_argument("--centroids", type=Path, help="also write VerSe centroid JSON")
    parser.add_argument(
        "--keep-identifiers",
        action="store_true",
        help="keep patient name/ID/birth date in the DICOM SEG (blanked by default)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    from vertapp.backproject import backproject_job, footprint_from_coco
    from vertapp.backproject.export import export_job
    from vertapp.commands.notices import say_notes, say_warnings
    from vertapp.commands.preprocess import _reporter
    from vertapp.io.file_kinds import Kind, kind_of
    from vertapp.io.readers import load_volume_job
    from vertapp.io.volume import Volume
    from vertapp.jobs import run_job

    if not args.out.name.lower().endswith((".nii", ".nii.gz")):
        raise InputError(f"{args.out}: --out must be a NIfTI file (.nii or .nii.gz)")
    check_outputs(args)  # before the CT is read: the outputs replaced the inputs, rc 0
    is_dicom = kind_of(args.ct) in (Kind.FOLDER, Kind.DICOM)
    if args.seg is not None and not is_dicom:
        raise InputError(f"{args.ct}: --seg needs a CT read from a DICOM series")
    report = run_job(load_volume_job(args.ct))
    volume = report.image
    if not isinstance(volume, Volume):  # load_volume_job refuses 2-D images already
        raise InputError(f"{args.ct}: not a 3-D volume")
    say_warnings(volume.warnings)  # as `vertapp preprocess` says them
    say_notes(volume.notes)
    result = _preprocessing(volume, args.preprocess, args.quiet)
    footprint = footprint_from_coco(args.coco, tuple(result.mip.shape))
    bp = run_job(backproject_job(volume, result, footprint), _reporter(args.quiet))
    if not args.quiet:
        print(file=sys.stderr)
    written = run_job(
        export_job(
            bp,
            volume,
            args.out,
            stored_orientation=report.stored_orientation,
            centroids=args.centroids,
            seg=args.seg,
            dicom_source=args.ct if is_dicom else None,
            keep_identifiers=args.keep_identifiers,
            warn=lambda w: say_warnings([w]),  # a SEG no PACS can file: said, not logged
        )
    )
    _print_summary(bp, written)
    return 0


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, in words, outputs that are folders, lie through a file, are one of the
    inputs (the CT, the COCO file, the preprocessing files) or the same file twice."""
    from vertapp.commands.outputs import check_distinct, check_file_out, check_not_input

    outputs = [("--out", args.out), ("--seg", args.seg), ("--centroids", args.centroids)]
    inputs = _input_files(args)
    for option, path in outputs:
        if path is not None:
            check_file_out(path, option)
            check_not_input(path, inputs, option)
    check_distinct(outputs)


def _input_files(args: argparse.Namespace) -> list[tuple[str, Path | None]]:
    """(what, path) of every file the command reads: a folder's files one by one (the
    DICOM series, the preprocessing's preprocess.json and arrays)."""
    inputs: list[tuple[str, Path | None]] = [
        ("the CT", args.ct),
        ("the COCO input", args.coco),
        ("the --preprocess file", args.preprocess),
    ]
    for what, folder in (
        ("a file of the CT's folder", args.ct),
        ("a preprocessing file", _pp(args)),
    ):
        if folder is not None and folder.is_dir():
            inputs += [(what, f) for f in folder.iterdir() if f.is_file()]
    return inputs


def _pp(args: argparse.Namespace) -> Path | None:
    """The folder of the preprocessing that --preprocess names (a file or its folder)."""
    path: Path | None = args.preprocess
    return path.parent if path is not None and path.is_file() else path


def _preprocessing(volume, path: Path | None, quiet: bool):  # type: ignore[no-untyped-def]
    from vertapp.commands.preprocess import _reporter
    from vertapp.jobs import run_job
    from vertapp.preprocess import MipResult, preprocess_job

    if path is None:
        result = run_job(preprocess_job(volume), _reporter(quiet))
        if not quiet:
            print(file=sys.stderr)
        return result
    return MipResult.load(path.parent if path.is_file() else path)


def _print_summary(bp, written: list[Path]) -> None:  # type: ignore[no-untyped-def]
    for path in written:
        print(f"wrote {path}")
    for name, n in bp.counts.items():
        print(f"{name}: {n} voxels, {bp.volume_ml(name):.1f} ml")
    ml = bp.unclaimed_voxels * bp.voxel_mm3 / 1000
    print(f"unclaimed bone on the masks' rays: {bp.unclaimed_voxels} voxels ({ml:.1f} ml)")
    for w in bp.warnings:
        print(f"warning: {w}", file=sys.stderr)
