"""The `vertapp` command line (each command documented in README.md and docs/).

Each sub-command lives in `vertapp/commands/<name>.py` with two functions:
`add_arguments(parser)` and `run(args) -> int`. Modules are imported only when
their command runs, so `vertapp info` never pays for torch or Qt.
"""

from __future__ import annotations

import argparse
import importlib
import keyword
import logging
import os
import sys
import time
import traceback

from vertapp import __version__
from vertapp.errors import VertAppError

COMMANDS: dict[str, str] = {
    "gui": "open the workstation window",
    "demo": "write the demo project of synthetic phantoms and open it",
    "info": "describe what a volume or radiograph file holds",
    "convert": "convert annotations between COCO, VIA and labelme JSON",
    "preprocess": "CT -> canal detection, spine crop and sagittal MIP",
    "train": "train a Mask R-CNN (or U-Net baseline) on a dataset",
    "predict": "run a trained model on images or volumes",
    "evaluate": "score predictions against ground truth",
    "backproject": "MIP masks + the CT -> 3D vertebra labels (NIfTI, DICOM SEG, centroids)",
    "import": "labelled CTs (CT + 3-D vertebra labels, or a dataset folder) into a project",
    "about": "versions, device, folders and third-party licences (Help > About)",
    "review": "summarize the review of a project: images and vertebrae per status, flags",
    "xray": "radiographs: vertebra ZOIs and low-/high-dose alignment (X-ray paper)",
}


GLOBAL_OPTIONS = ("-h", "--help", "--version", "-v", "--verbose")


def _command_module(name: str):  # type: ignore[no-untyped-def]
    # `import` is a Python keyword, so its module is import_.py
    module = f"{name}_" if keyword.iskeyword(name) else name
    return importlib.import_module(f"vertapp.commands.{module}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vertapp", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"vertapp {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or only == name:
            _command_module(name).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `vertapp [PATH] [--screenshot PNG]` and `vertapp` alone mean `vertapp gui ...`.
    if not argv or (argv[0] not in COMMANDS and argv[0] not in GLOBAL_OPTIONS):
        argv.insert(0, "gui")
    command = argv[0] if argv[0] in COMMANDS else None
    args = build_parser(only=command).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        build_parser().print_help()
        return 2
    try:
        return int(_command_module(args.command).run(args) or 0)
    except VertAppError as err:
        print(f"vertapp {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"vertapp {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `vertapp about | head`: the reader left; exit quietly like other Unix tools.
        _silence_stdout()
        return 0
    except Exception as err:  # a bug, not the user's input: one line, details in the log
        return _unexpected(args.command, err, args.verbose)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _unexpected(command: str, err: Exception, verbose: bool) -> int:
    detail = "".join(traceback.format_exception(err))
    where = _log_traceback(command, detail)
    from vertapp.logs import redact

    first = redact(str(err).strip().splitlines()[0][:160]) if str(err).strip() else ""
    what = f"{type(err).__name__}: {first}" if first else type(err).__name__
    print(
        f"vertapp {command}: unexpected error ({what}); this is a bug, details are in {where}",
        file=sys.stderr,
    )
    if verbose:
        print(detail, file=sys.stderr, end="")
    return 1


def _log_traceback(command: str, detail: str) -> str:
    """Append the traceback (identifiers redacted) to the app's log file; where it went."""
    try:
        from vertapp.logs import log_path, redact

        path = log_path()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{stamp} ERROR vertapp.cli: {command} failed\n{redact(detail)}")
        return str(path)
    except Exception:  # no log folder (read-only home): the message must still go out
        return "no log file (it could not be written)"


if __name__ == "__main__":
    sys.exit(main())
