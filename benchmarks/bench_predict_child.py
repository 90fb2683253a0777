"""What "Predict current image" costs in the window: a fresh child process per run (the
baseline, how every prediction ran before) against the child kept warm between runs
(`vertapp.gui.model.warm_process`), in the same run.

    .venv/bin/python benchmarks/bench_predict_child.py [--runs 3]

On the real example CT (tests/data/totalseg-example, imported as `vertapp import` does),
the shipped starter model, one image per run; wall seconds from the request to the
result, as the window's worker thread sees them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vertapp.annotations.store import load_project
from vertapp.gui.model.child_process import run_in_process
from vertapp.gui.model.jobs import predict_in_process
from vertapp.gui.model.warm_process import WarmProcess
from vertapp.jobs import run_job
from vertapp.ml.starter import starter_path
from vertapp.review.snapshot import snapshot

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "totalseg-example"


def imported_project(folder: Path) -> Path:
    labels = DATA / "seg_vertebrae_T11-L5_verse_ids.nii.gz"
    subprocess.run(
        [sys.executable, "-m", "vertapp", "import", str(DATA / "ct.nii.gz"), "--labels",
         str(labels), "--out", str(folder), "--name", "example", "--quiet"],
        check=True,
    )  # fmt: skip
    return folder


def timed_runs(folder: Path, runner, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    project = load_project(folder)
    ids = list(project.images)[:1]
    times = []
    for _ in range(runs):
        snaps = snapshot(project, ids)
        t0 = time.perf_counter()
        run_job(predict_in_process(starter_path(), snaps, 0.3, runner=runner))
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = imported_project(Path(tmp) / "example")
        fresh = timed_runs(folder, run_in_process, args.runs)
        warm = WarmProcess()
        try:
            kept = timed_runs(folder, warm.run, args.runs)
        finally:
            warm.stop()
    print(
        "| predict current image (s) | "
        + " | ".join(f"run {i + 1}" for i in range(args.runs))
        + " |"
    )
    print("| --- |" + " --- |" * args.runs)
    print("| fresh child per run (baseline) | " + " | ".join(f"{t:.2f}" for t in fresh) + " |")
    print("| child kept warm | " + " | ".join(f"{t:.2f}" for t in kept) + " |")


if __name__ == "__main__":
    main()
