"""`vertapp review PROJECT [--json]`: where the review of a project's predictions stands.

Counts images and vertebrae per review status (not started, in progress, completed,
flagged for an expert), predictions still waiting for a decision, and lists the images
flagged for an expert. Reads the project only; nothing is written.
"""

from __future__ import annotations

import argparse
import json

from vertapp.annotations.store import load_project
from vertapp.review.summary import format_summary, summarize


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="project folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    summary = summarize(load_project(args.project))
    print(json.dumps(summary.to_dict(), indent=2) if args.json else format_summary(summary))
    return 0
