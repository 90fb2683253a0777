"""`vertapp gui [PATH] [--screenshot PNG]`: open the workstation window."""

from __future__ import annotations

import argparse

from vertapp.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", help="CT volume, DICOM folder, radiograph or project folder"
    )
    parser.add_argument(
        "--screenshot", metavar="PNG", help="render once PATH is loaded, save the PNG and exit"
    )
    parser.add_argument(
        "--size", metavar="WxH", help="window size, e.g. 1280x800 (screenshots: 1920x1080)"
    )


def _size(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--size must look like 1280x800, got {text!r}") from None
    if not (200 <= w <= 10000 and 200 <= h <= 10000):
        raise InputError(f"--size {text} is outside 200..10000 pixels")
    return w, h


def run(args: argparse.Namespace) -> int:
    from vertapp.gui.app import run_gui  # Qt only when the GUI is asked for

    return run_gui(args.path, args.screenshot, size=_size(args.size))
