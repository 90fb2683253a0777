"""Turn a training checkpoint into the shipped starter model.

    .venv/bin/python tools/make_starter_model.py SRC.pt vertapp/resources/models/starter-ct.pt \
        [--score-thresh 0.3]

SRC: a checkpoint written by `vertapp train` or benchmarks/accuracy_real.py (`--out
DIR/model.pt`: the starter model's recipe). DST gets its weights in fp16, its training
config and class names, and no optimizer state (vertapp.ml.starter.make_starter); it
loads with weights_only=True like every checkpoint. Refused above 20 MB (no file left).
Update vertapp/resources/models/MODEL_CARD.md with the run's numbers after replacing it.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from vertapp.errors import VertAppError
from vertapp.ml.starter import MAX_BYTES, make_starter


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path, help="training checkpoint (.pt)")
    ap.add_argument("dst", type=Path, help="starter model to write (.pt)")
    ap.add_argument("--max-mb", type=float, default=MAX_BYTES / 1e6, help="size limit, MB")
    ap.add_argument("--score-thresh", type=float, help="threshold it predicts at (default: SRC's)")
    args = ap.parse_args(argv)
    try:
        limit = int(args.max_mb * 1e6)
        info = make_starter(args.src, args.dst, max_bytes=limit, score_thresh=args.score_thresh)
    except VertAppError as err:
        print(f"make_starter_model: error: {err}", file=sys.stderr)
        return 1
    digest = hashlib.sha256(args.dst.read_bytes()).hexdigest()[:16]
    print(
        f"{args.dst}: {info['bytes'] / 1e6:.1f} MB, {info['parameters'] / 1e6:.2f} M parameters "
        f"({info['backbone']}), classes {info['class_names'][0]}..{info['class_names'][-1]}, "
        f"score threshold {info['score_thresh']}, epoch {info['epoch']}"
        + (f" of {info['epochs_trained']}" if info["epochs_trained"] else "")
        + f", sha256 {digest}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
