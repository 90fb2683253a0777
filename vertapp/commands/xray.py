"""`vertapp xray`: the radiograph workflow of the X-ray paper (DESIGN.md command contract).

    vertapp xray zoi IMAGE (--model M.pt | --zois COCO) --out DIR
    vertapp xray align LOW HIGH (--model M.pt | --zois-low COCO --zois-high COCO) --out DIR
    vertapp xray import DATASET_DIR --out PROJECT        (xray_import.py)
    vertapp xray levels PROJECT --model M.pt             (xray_levels.py)

`zoi` writes one cut-out PNG per vertebra and `zois.json`; `align` writes
`alignment.json`, `fused.png` and `check.png` (see docs/xray.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.commands.notices import say_notes, say_warnings, say_warnings_of
from vertapp.commands.xray_import import add_parser as add_import_parser
from vertapp.commands.xray_levels import HELP as LEVELS_HELP
from vertapp.commands.xray_levels import add_parser as add_levels_parser
from vertapp.errors import InputError

SUBCOMMANDS = {
    "zoi": "cut one zone of interest (ZOI) per vertebra out of a radiograph",
    "align": "align the high-dose ZOIs of a patient onto the low-dose radiograph",
    "import": "import a landmark dataset (4 corners per vertebra) as a radiograph project",
    "levels": LEVELS_HELP,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="xray_command", metavar="STEP", required=True)
    zoi = sub.add_parser("zoi", help=SUBCOMMANDS["zoi"], description=SUBCOMMANDS["zoi"])
    zoi.add_argument("image", help="radiograph (PNG/JPEG/TIFF 8 or 16 bit, or DICOM)")
    src = zoi.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="checkpoint of a radiograph model (vertebra parts or bodies)")
    src.add_argument("--zois", help="COCO file of the image's vertebrae or parts")
    zoi.add_argument("--out", required=True, help="folder for the ZOI images and zois.json")
    zoi.add_argument(
        "--keep-names",
        action="store_true",
        help="write the film's own file name into zois.json; default: a DICOM's (or a "
        "generic name's in a patient folder) is written as xray-<digest>.png, the name "
        "the window gives the film, as it may name the patient",
    )
    zoi.set_defaults(xray_run=run_zoi)
    align = sub.add_parser("align", help=SUBCOMMANDS["align"], description=SUBCOMMANDS["align"])
    align.add_argument("low", help="low-dose radiograph")
    align.add_argument("high", help="high-dose radiograph of the same patient")
    align.add_argument("--model", help="checkpoint that finds the ZOIs on both images")
    align.add_argument("--zois-low", help="COCO file of the low-dose image's vertebrae or parts")
    align.add_argument("--zois-high", help="COCO file of the high-dose image's vertebrae or parts")
    align.add_argument(
        "--out", required=True, help="folder for alignment.json, fused.png, check.png"
    )
    align.add_argument(
        "--fuse-warned",
        action="store_true",
        help="also fuse the vertebrae warned for torsion or an inconsistent placement "
        "(default: they keep their low-dose pixels, as failed ones do)",
    )
    align.set_defaults(xray_run=run_align)
    add_import_parser(sub)  # `vertapp xray import` (landmark datasets), its own module
    add_levels_parser(sub)  # `vertapp xray levels` (level-context net of a body model)


def run(args: argparse.Namespace) -> int:
    return int(args.xray_run(args))


def _zois(image: np.ndarray, image_path: Path, model: str | None, coco_path: str | None) -> Any:
    from vertapp.xray.zoi_coco import read_coco_file, zois_from_coco

    if model is not None:
        try:
            from vertapp.xray.detect import predict_zoi_coco
        except ImportError as err:
            raise InputError(f"--model: radiograph prediction is not available ({err})") from None
        coco, where = (
            predict_zoi_coco(Path(model), image_path, image=image),
            f"{Path(model).name} on {image_path.name}",
        )
    else:
        assert coco_path is not None
        coco, where = read_coco_file(Path(coco_path)), str(coco_path)
    return zois_from_coco(coco, image.shape[:2], image_path.name, where)


def run_zoi(args: argparse.Namespace) -> int:
    from vertapp.io.out_paths import check_out_folder
    from vertapp.xray.film_names import film_name
    from vertapp.xray.images import read_film
    from vertapp.xray.zoi_files import write_zois

    path, out = Path(args.image), Path(args.out)
    check_out_folder(out)  # before the film is read or anything written
    film = read_film(path)
    say_warnings(film.warnings, path.name)  # before a model's minutes
    zois, warnings = _zois(film.pixels, path, args.model, args.zois)
    # the film's stored values (DICOM: before rescale), with how to rescale them
    source = film_name(path, args.keep_names)  # DOE_JOHN.dcm is no name for an output
    written = write_zois(film.stored, zois, source, out, film.values)
    say_warnings(warnings)
    _say_removed(written.removed, out)
    print(f"{len(zois)} ZOIs ({', '.join(zois)}) -> {written.index}")
    return 0


def _say_removed(names: list[str], out: Path) -> None:
    """The cut-outs of an earlier run into `out` that this one does not make: gone, said
    on the terminal (a user who kept them for a vertebra not found now would not know)."""
    if names:
        images = "image" if len(names) == 1 else "images"
        print(
            f"removed {len(names)} ZOI {images} of an earlier run from {out}: {', '.join(names)}",
            file=sys.stderr,
        )


def run_align(args: argparse.Namespace) -> int:
    from vertapp.io.out_paths import check_out_folder, make_out_folder
    from vertapp.jobs import run_job
    from vertapp.xray.align import align_job
    from vertapp.xray.alignment_file import alignment_record, summary
    from vertapp.xray.fuse import fuse, same_scale
    from vertapp.xray.images import read_noted
    from vertapp.xray.pair import check_image
    from vertapp.xray.zoi_files import write_json, write_png

    if args.model is None and (args.zois_low is None or args.zois_high is None):
        raise InputError("give --model, or both --zois-low and --zois-high")
    if args.model is not None and (args.zois_low or args.zois_high):
        raise InputError("give either --model or --zois-low/--zois-high, not both")
    low_path, high_path, out = Path(args.low), Path(args.high), Path(args.out)
    check_out_folder(out)  # before the (long) alignment, nothing written
    (low, low_read), (high, high_read) = read_noted(low_path), read_noted(high_path)
    # the films' own doubts (frames dropped, colour): said, not put in alignment.json;
    # one both films have (mm at the detector) said once
    say_warnings_of([(low_path.name, low_read), (high_path.name, high_read)], "both films")
    say_roles(low_path, high_path)
    if low.shape != high.shape:
        raise InputError(
            f"{low_path.name} is {low.shape[1]}x{low.shape[0]} pixels and {high_path.name} "
            f"{high.shape[1]}x{high.shape[0]}: alignment needs both at the same size"
        )
    low_zois, low_notes = _zois(low, low_path, args.model, args.zois_low)
    high_zois, high_notes = _zois(high, high_path, args.model, args.zois_high)
    result = run_job(align_job(low, high, low_zois, high_zois))
    result.warnings[:0] = [f"low-dose: {w}" for w in low_notes] + [
        f"high-dose: {w}" for w in high_notes
    ]
    make_out_folder(out)
    warned = bool(args.fuse_warned)
    record = alignment_record(result, warned)
    write_json(out / "alignment.json", record)
    fused = fuse(low, high, result, high_zois, warned)
    write_png(out / "fused.png", same_scale(fused, low))
    write_png(out / "check.png", check_image(low, fused, result, high_zois, warned))
    say_warnings(record["warnings"])
    print(f"{summary(result, warned)} -> {out / 'alignment.json'}")
    return 0


def say_roles(low: Path, high: Path) -> None:
    """Which film is the low dose, checked as the window checks it (`xray.pair_roles`):
    a warning when the files say LOW and HIGH were given the wrong way round (aligned so,
    the fused image takes the wrong film's grey values), a note of what decided when they
    agree; nothing when nothing tells. alignment.json stays as the order given."""
    from vertapp.xray.pair_roles import clue_of, verdict

    said = verdict(clue_of(low), clue_of(high))
    if said.agrees is None:
        return
    text = (said.text[0].lower() + said.text[1:]).rstrip(".")  # a line as the others
    if said.agrees:
        say_notes([text])
    else:  # the window's words, but the command line swaps them by hand
        say_warnings([text.replace("swap them", "swap LOW and HIGH on the command line")])
