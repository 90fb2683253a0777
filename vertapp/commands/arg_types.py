"""Argument types (`type=` of argparse) that more than one command takes."""

from __future__ import annotations

import argparse


def score_value(text: str) -> float:
    """A confidence in 0..1 (`--score 1.5` was taken and predicted nothing, unsaid;
    `vertapp evaluate --score 2` scored every vertebra 0)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value:g} is not a confidence in 0..1")
    return value
