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
from typing import Any

HELP = "train the level-context net of a radiograph body model on a project's labelled films"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("levels", help=HELP, description=HELP)
    p.add_argument("project", help="radiograph project (or COCO file) with levels T1..L5")
    p.add_argument("--model", required=True, help="body model checkpoint; the net is stored in it")
    p.add_argument("--epochs", type=int, default=40, help="passes over the films (default 40)")
    p.set_defaults(xray_run=run_levels)


def run_levels(args: argparse.Namespace) -> int:
    from vertapp.errors import InputError
    from vertapp.jobs import run_job
    from vertapp.ml.checkpoint import load_checkpoint
    from vertapp.xray.level_context import add_level_context_job
    from vertapp.xray.training import radiograph_samples

    if args.epochs < 1:
        raise InputError(f"--epochs {args.epochs}: at least 1")
    model = load_checkpoint(args.model)
    samples = radiograph_samples(args.project, model.class_names, model.config.max_size)

    def show(event: Any) -> None:
        print(event.message, file=sys.stderr, flush=True)

    out = run_job(add_level_context_job(args.model, samples, args.epochs), show)
    print(f"level context of {len(samples)} films stored in {out}")
    return 0
