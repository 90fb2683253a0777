"""`vertapp convert INPUT --out OUTPUT`: annotations between COCO, VIA 2 and labelme JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

from vertapp.annotations.convert import (
    FORMATS,
    export_notes,
    output_format,
    read_annotations,
    write_annotations,
)
from vertapp.annotations.labelmap import parse_map_args
from vertapp.commands.notices import say_warnings
from vertapp.commands.outputs import (
    check_file_out,
    check_folder_out,
    check_not_input,
    check_not_project_file,
    input_entry,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="COCO/VIA/labelme JSON, project or labelme folder")
    parser.add_argument("--out", type=Path, required=True, help="output file (folder for labelme)")
    parser.add_argument(
        "--to", choices=FORMATS, help="output format (default: from the output name; COCO)"
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="rename a label on import (repeatable); names are also normalised, t12 -> T12",
    )
    parser.add_argument(
        "--images-dir", type=Path, help="folder of the images (VIA needs them for image sizes)"
    )


def check_out(out: Path, fmt: str, source: Path) -> None:
    """Refuse, before the input is read, an --out that cannot be written as `fmt`
    (labelme: a folder; COCO, VIA: a file), the input itself, or another project's
    project.json (its annotations and review would be replaced)."""
    if fmt == "labelme":
        check_folder_out(out)
    else:
        check_file_out(out)
        check_not_project_file(out)
    check_not_input(out, [input_entry("the input", source)])


def run(args: argparse.Namespace) -> int:
    mapping = parse_map_args(args.map)
    # the format follows from --to or the output's name alone, so it is known up front
    fmt = output_format(args.out, args.to, "")
    check_out(args.out, fmt, args.input)
    notes: list[str] = []  # a VIA / labelme input without VertApp fields
    project, in_fmt = read_annotations(
        args.input, images_dir=args.images_dir, label_map=mapping, notes=notes
    )
    say_warnings(notes)
    written = write_annotations(project, args.out, fmt)
    say_warnings(export_notes(project, fmt))  # holes written filled, pending predictions
    n_inst = sum(len(img.instances) for img in project.images.values())
    where = written[0] if len(written) == 1 else args.out
    print(f"{in_fmt} -> {fmt}: {len(project.images)} images, {n_inst} instances -> {where}")
    return 0
