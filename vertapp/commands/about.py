"""`vertapp about [--json] [--licence NAME]`: the CLI twin of Help > About.

Version, git revision, torch/CUDA/Qt/SimpleITK versions, the device found, the settings
and log folders, and the licence of every bundled third-party component, read from
the installed distributions' metadata (`vertapp.licences`).
"""

from __future__ import annotations

import argparse
import json

from vertapp.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--licence", metavar="NAME", help="print the licence text a component ships (e.g. torch)"
    )


def run(args: argparse.Namespace) -> int:
    if args.licence:
        return _print_licence(args.licence)
    from vertapp import appinfo

    info = appinfo.collect()
    print(json.dumps(info.to_dict(), indent=2) if args.json else appinfo.format_text(info))
    return 0


def _print_licence(name: str) -> int:
    from importlib import metadata

    from vertapp import licences

    try:
        text = licences.licence_text(name)
    except metadata.PackageNotFoundError:
        raise InputError(f"no installed component is called {name!r}") from None
    print(
        text
        or f"{name} ships no licence file; it declares: {licences.licence_of(metadata.distribution(name))}"
    )
    return 0
