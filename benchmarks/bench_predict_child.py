"""What "Predict current image" costs in the window: a fresh child process per run (the
baseline, how every prediction ran before) against the child kept warm between runs
(`vertapp.gui.model.warm_process`), and against a warm child started ahead of the first
run as the window does when a project opens (`prestart_predictions`), in the same run.

    .venv/bin/python benchmarks/bench_predict_child.py [--runs 3] [--settle 15]

On the real example CT (tests/data/totalseg-example, imported as `vertapp import` does),
the shipped starter model, one image per run; wall seconds from the request to the
result, as the window's worker thread sees them. The pre-started child gets `--settle`
seconds first (the user looks at the image before pressing Predict).
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
from vertapp.gui.model.jobs import predict_in_process, warm_up_job
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
    ap.add_argument("--settle", type=float, default=15.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = imported_project(Path(tmp) / "example")
        fresh = timed_runs(folder, run_in_process, args.runs)
        kept = warm_runs(folder, args.runs, None)
        prestarted = warm_runs(folder, args.runs, args.settle)
    print(
        "| predict current image (s) | "
        + " | ".join(f"run {i + 1}" for i in range(args.runs))
        + " |"
    )
    print("| --- |" + " --- |" * args.runs)
    print("| fresh child per run (baseline) | " + " | ".join(f"{t:.2f}" for t in fresh) + " |")
    print("| child kept warm | " + " | ".join(f"{t:.2f}" for t in kept) + " |")
    print(
        f"| child kept warm, pre-started {args.settle:g} s before run 1 | "
        + " | ".join(f"{t:.2f}" for t in prestarted)
        + " |"
    )


def warm_runs(folder: Path, runs: int, settle: float | None) -> list[float]:
    """Runs in a new warm child; `settle`: pre-started that many seconds before run 1."""
    warm = WarmProcess()
    try:
        if settle is not None:
            warm.prestart(warm_up_job)
            time.sleep(settle)
        return timed_runs(folder, warm.run, runs)
    finally:
        warm.stop()


if __name__ == "__main__":
    main()
