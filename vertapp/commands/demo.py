"""`vertapp demo [--out DIR] [--no-gui]`: write the demo project and open it.

A fresh demo project also gets the shipped starter model's predictions on its unlabelled
spine (once, when it is built: a few seconds on a CPU), so the window opens with
something to review.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_OUT = Path.home() / "vertapp-demo"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"project folder to write (default: {DEFAULT_OUT}); reused if it holds the demo",
    )
    parser.add_argument("--no-gui", action="store_true", help="only write the project")
    parser.add_argument("--force", action="store_true", help="rebuild even if it exists")
    parser.add_argument("--screenshot", metavar="PNG", help="render the window, save, exit")


def run(args: argparse.Namespace) -> int:
    from vertapp.demo import build_demo_project
    from vertapp.jobs import run_job

    out: Path = args.out
    project_file = out / "project.json"
    if args.force and project_file.exists():
        project_file.unlink()
    if project_file.exists():
        print(f"demo project already at {out} (use --force to rebuild)")
    else:
        run_job(build_demo_project(out), lambda p: print(p.message, flush=True))
        predict_with_starter(out)
    if args.no_gui:
        return 0
    from vertapp.gui.app import run_gui

    return run_gui(str(out), screenshot=args.screenshot)


def predict_with_starter(out: Path) -> None:
    """The starter model's predictions on the demo's unlabelled images (a note if none)."""
    from vertapp.errors import VertAppError
    from vertapp.jobs import run_job
    from vertapp.ml.starter import starter_path
    from vertapp.review.predict_project import predict_into_project

    try:
        model = starter_path()
        added = run_job(predict_into_project(out, model))
    except VertAppError as err:
        print(f"no predictions in the demo: {err}")
        return
    print(f"{added} vertebrae predicted by the starter model ({model.name}): review them")
