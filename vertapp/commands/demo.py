"""`vertapp demo [--out DIR] [--no-gui]`: write the demo project and open it.

A fresh demo project also gets the shipped starter model's predictions on its unlabelled
spine (once, when it is built: a few seconds on a CPU), so the window opens with
something to review.
"""

from __future__ import annotations

import argparse
import json
import os
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
    from vertapp.annotations.store import PROJECT_FILE

    out: Path = args.out
    if args.screenshot and not args.no_gui:  # found at the grab: after minutes of building
        from vertapp.gui.app import check_screenshot_path

        check_screenshot_path(args.screenshot)
    if (out / PROJECT_FILE).exists() and not args.force:
        # opened as it is, whatever it holds now (`make run` reuses the folder, and the
        # user may have added their own scans to it); nothing is written
        print(f"demo project already at {out} (use --force to rebuild)")
    else:
        from vertapp.annotations.project_lock import locked_for_command

        check_demo_out(out)  # before minutes of building, and before anything is moved
        with locked_for_command(out):  # never rebuilt under a window that has it open
            rebuild(out)
            predict_with_starter(out)
    if args.no_gui:
        return 0
    from vertapp.gui.app import run_gui

    return run_gui(str(out), screenshot=args.screenshot)


def check_demo_out(out: Path) -> None:
    """A folder the demo can be written into: not a file or a path through one, its
    project.json, images/, volumes/ and preprocess/ of the kinds the demo writes, and
    no project but the demo's. `--force` deleted any project.json there, whatever
    project it was; a user's project is never rebuilt over (nor opened as "the demo")."""
    from vertapp.annotations.store import (
        BACKUP_FILE,
        IMAGES_DIR,
        PREPROCESS_DIR,
        PROJECT_FILE,
        SOURCES_DIR,
    )
    from vertapp.commands.outputs import check_folder_out
    from vertapp.errors import InputError

    folders = (IMAGES_DIR, SOURCES_DIR, PREPROCESS_DIR)
    check_folder_out(out, files=(PROJECT_FILE, BACKUP_FILE), folders=folders)
    # the backup too: a folder left with only project.json.bak is a project to restore
    for name in (PROJECT_FILE, BACKUP_FILE):
        if (out / name).exists() and not holds_demo(out / name):
            raise InputError(
                f"--out {out}: its {name} is a project that is not the demo (its images "
                "are not the demo's spines); the demo is never written over another "
                f"project: choose another --out folder (`vertapp gui {out}` opens it)"
            )


def holds_demo(project_file: Path) -> bool:
    """Whether a project.json is the demo's: every image one of the demo's spines, named
    as `vertapp.demo` writes them (images/<case>_mip.png from volumes/<case>.nii.gz).
    Reviews, predictions and removed images leave it the demo; an unreadable file or an
    image of anyone else's makes it not the demo."""
    from vertapp.annotations.store import IMAGES_DIR, SOURCES_DIR
    from vertapp.demo import DEFAULT_CASES

    demo = {
        (f"{IMAGES_DIR}/{c.name}_mip.png", f"{SOURCES_DIR}/{c.name}.nii.gz") for c in DEFAULT_CASES
    }
    try:
        images = json.loads(project_file.read_bytes())["images"]
        found = {(i["file_name"], i["vertapp"]["source_path"]) for i in images}
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return bool(found) and found <= demo


def rebuild(out: Path) -> None:
    """Build the demo into `out`; an earlier demo's project.json is moved aside to
    project.json.bak (the store's backup, which the window offers to restore) and put
    back when the build fails, so the folder is never left without its project."""
    from vertapp.annotations.store import BACKUP_FILE, PROJECT_FILE
    from vertapp.demo import build_demo_project
    from vertapp.errors import VertAppError
    from vertapp.jobs import run_job

    current, aside = out / PROJECT_FILE, out / BACKUP_FILE
    moved = _move(current, aside) if current.exists() else False
    try:
        run_job(build_demo_project(out), lambda p: print(p.message, flush=True))
    except BaseException as err:
        kept = _put_back(aside, current) if moved else ""
        if isinstance(err, OSError):  # a folder the build cannot write: in words
            where = f" ({err.filename})" if err.filename else ""
            raise VertAppError(
                f"--out {out}: the demo could not be written: {err.strerror or err}{where}{kept}"
            ) from None
        raise


def _move(src: Path, dest: Path) -> bool:
    from vertapp.errors import VertAppError

    try:
        os.replace(src, dest)
    except OSError as err:
        raise VertAppError(
            f"{src}: cannot move it aside to rebuild the demo ({err.strerror})"
        ) from None
    return True


def _put_back(aside: Path, current: Path) -> str:
    """The moved project.json back in place, if the failed build wrote none; what to say."""
    if current.exists():
        return f"; the previous demo project is in {aside.name}"
    try:
        os.replace(aside, current)
    except OSError:
        return f"; the previous demo project is in {aside.name}"
    return "; the previous demo project is kept"


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
