"""`vertapp evaluate GT.json PRED.json [--json]`: Dice, identification rate, COCO AP."""

from __future__ import annotations

import argparse
import json
import math

from vertapp.commands.arg_types import score_value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("gt", help="ground-truth COCO file or project folder")
    parser.add_argument(
        "pred", help="predictions: COCO file from `vertapp predict` or a COCO results list"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--spacing",
        type=spacing_value,
        help="mm per pixel (default: each image's record, else 1 mm)",
    )
    parser.add_argument(
        "--score",
        type=score_value,  # a confidence in 0..1, as predict's
        default=0.0,
        help="ignore predictions scoring below this",
    )
    parser.add_argument("--no-ap", action="store_true", help="skip COCO AP")
    parser.add_argument(
        "--all",
        action="store_true",
        dest="score_all",
        help="score hand-drawn outlines of PRED as predictions too (default: model output "
        "only, where PRED says which is which: a whole exported project)",
    )


def spacing_value(text: str) -> float:
    """A pixel size in mm (`--spacing nan` identified nothing, unsaid)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{value:g} is not a pixel size in mm (above 0)")
    return value


def run(args: argparse.Namespace) -> int:
    from vertapp.commands.notices import say_warnings
    from vertapp.ml.metrics import evaluate, format_table, hand_drawn_words

    result = evaluate(
        args.gt,
        args.pred,
        spacing_mm=args.spacing,
        score_thresh=args.score,
        coco_ap=not args.no_ap,
        score_all=args.score_all,
    )
    say_warnings(hand_drawn_words(result))  # stderr: --json keeps stdout one object
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
    else:
        print(format_table(result))
    return 0
