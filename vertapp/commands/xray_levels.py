"""`vertapp xray levels`: teach a radiograph body model's numbering what lies around each body.

    vertapp xray levels PROJECT --model M.pt [--epochs 40]

Trains the level-context net (`vertapp.xray.level_context`) on the project's labelled
films and stores it in M.pt. `vertapp train` does this by itself after training a body
model with levels T1..L5; this command gives it to a model trained before, or retrains
it on other films.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

HELP = "train the level-context net of a radiograph body model on a project's labelled films"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("levels", help=HELP, description=HELP)
    p.add_argument("project", help="radiograph project (or COCO file) with levels T1..L5")
    p.add_argument("--model", required=True, help="body model checkpoint; the net is stored in it")
    p.add_argument("--epochs", type=int, default=40, help="passes over the films (default 40)")
    p.set_defaults(xray_run=run_levels)


def run_levels(args: argparse.Namespace) -> int:
    from vertapp.commands.notices import say_warnings
    from vertapp.commands.train import level_line_due
    from vertapp.errors import InputError
    from vertapp.jobs import run_job
    from vertapp.ml.checkpoint import load_checkpoint
    from vertapp.xray.level_context import add_level_context_job
    from vertapp.xray.training import radiograph_samples_noted

    if args.epochs < 1:
        raise InputError(f"--epochs {args.epochs}: at least 1")
    model = load_checkpoint(args.model)
    # Both checked before the films are read and long before the checkpoint is rewritten:
    # a CT model given the net would afterwards be taken for a radiograph model.
    check_body_model(model)
    check_films(args.project)
    samples, read = radiograph_samples_noted(args.project, model.class_names, model.config.max_size)
    say_warnings(read)  # once per film, by image id ("image 3: file holds 3 frames; ...")

    def show(event: Any) -> None:  # as `vertapp train` shows the same net's epochs
        if level_line_due(event, getattr(args, "verbose", False)):
            print(event.message, file=sys.stderr, flush=True)

    out = run_job(add_level_context_job(args.model, samples, args.epochs), show)
    print(f"level context of {len(samples)} films stored in {out}")
    return 0


def check_body_model(loaded: Any) -> None:
    """InputError for a CT model (its T1..L5 classes look like a body model's); other
    foreign checkpoints are refused by `check_radiograph_model` in its words."""
    from vertapp.errors import InputError
    from vertapp.xray.detect import check_radiograph_model
    from vertapp.xray.model_kind import CT, loaded_model_kind

    if loaded_model_kind(loaded) == CT:
        name = Path(loaded.path or "the model").name
        raise InputError(
            f"{name} is a CT model (T1..L5 on CT MIPs): the level-context net is for a "
            f"radiograph body model; {name} is left unchanged"
        )
    check_radiograph_model(loaded)


def check_films(project: str) -> None:
    """InputError naming the first image of `project` that is not a radiograph (a CT MIP
    project teaches nothing about films), as `vertapp train` tells the two apart."""
    from vertapp.errors import FormatError, InputError
    from vertapp.ml.dataset import read_coco, resolve_dataset_path
    from vertapp.xray.model_kind import RADIOGRAPH, record_kind

    coco_path, _ = resolve_dataset_path(project)
    for rec in read_coco(coco_path)["images"]:
        if not isinstance(rec, dict):
            raise FormatError(f"{coco_path}: an image record is not an object: {rec!r:.60}")
        if record_kind(rec) != RADIOGRAPH:
            raise InputError(
                f"{project}: image {rec.get('id')} ({rec.get('file_name')}) is a CT MIP, "
                'not a radiograph (its record lacks vertapp.kind "radiograph"): the '
                "level-context net learns from labelled films; make a radiograph project "
                "with `vertapp xray import`"
            )
