"""`vertapp preprocess INPUT --out DIR`: canal detection, spine crop and sagittal MIP.

Writes DIR/mip.png (8-bit display), DIR/mip.npy (float32 HU), DIR/mip_depth.npy (x index
of the voxel behind each MIP pixel), DIR/preprocess.json (circles, clusters, crop box,
MIP -> LPS affine) and, with --overview, DIR/overview.png.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vertapp.errors import InputError
from vertapp.jobs import Progress, run_job


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="CT volume file (NIfTI, MHA, NRRD, DICOM) or DICOM folder")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--rmin", type=float, default=3.5, help="smallest canal radius, mm (3.5)")
    parser.add_argument("--rmax", type=float, default=15.0, help="largest canal radius, mm (15)")
    parser.add_argument("--hu-min", type=float, default=100.0, help="bone window low, HU (100)")
    parser.add_argument("--hu-max", type=float, default=1500.0, help="bone window high, HU (1500)")
    parser.add_argument("--spacing", type=float, default=1.0, help="isotropic spacing, mm (1)")
    parser.add_argument("--overview", action="store_true", help="also write overview.png")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _reporter(quiet: bool):  # type: ignore[no-untyped-def]
    last: list[str] = [""]

    def report(event: Progress) -> None:
        if quiet or event.stage == last[0] and event.stage != "canal":
            return
        last[0] = event.stage
        pct = "" if event.fraction is None else f"{100 * event.fraction:5.1f}% "
        print(f"\r{pct}{event.stage}: {event.message}".ljust(60), end="", file=sys.stderr)

    return report


def _check_out_folder(out: Path) -> None:
    """A folder (or none yet), not through a file, without a folder where a file goes."""
    from vertapp.commands.outputs import check_folder_out
    from vertapp.preprocess.result import DEPTH_NAME, JSON_NAME, NPY_NAME, PNG_NAME

    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: --out names an existing file; it must be a folder")
    names = (JSON_NAME, PNG_NAME, NPY_NAME, DEPTH_NAME, "overview.png")
    check_folder_out(out, files=names)


def _canal(result: Any) -> str:
    """Where the spinal canal was found, in words: the k-means id of the circles taken
    for the spine ("spine cluster 1") meant nothing to the reader; it stays in
    preprocess.json. Slices of the working grid (--spacing), which the MIP is made on."""
    if result.spine_cluster < 0:
        return "no spinal canal found"
    found, slices = int(result.track_detected.sum()), len(result.track)
    return f"spinal canal found on {found} of {slices} slices ({result.params.spacing_mm:g} mm)"


def run(args: argparse.Namespace) -> int:
    from vertapp.commands.notices import say_notes, say_warnings
    from vertapp.io import read_volume
    from vertapp.preprocess import PreprocessParams, preprocess_job
    from vertapp.preprocess.overview import write_overview

    params = PreprocessParams(
        spacing_mm=args.spacing,
        hu_min=args.hu_min,
        hu_max=args.hu_max,
        rmin_mm=args.rmin,
        rmax_mm=args.rmax,
    )
    _check_out_folder(args.out)  # before minutes of work, not after
    volume = read_volume(args.input)
    result = run_job(preprocess_job(volume, params), _reporter(args.quiet))
    if not args.quiet:
        print(file=sys.stderr)
    json_path = result.save(args.out)
    if args.overview:
        write_overview(result, args.out / "overview.png")
    print(f"{json_path}: MIP {result.mip.shape[0]}x{result.mip.shape[1]} px, {_canal(result)}")
    say_warnings(result.warnings + volume.warnings)
    say_notes(volume.notes)
    return 0
