"""Reading a CT DICOM series: vertapp.io.read_volume against a plain SimpleITK reader.

Writes a 512x512xN CT series (default N = 400, uncompressed int16 with a
rescale intercept, shuffled file names) once into a cache folder under the
system temp dir, then times, best of R interleaved runs with a warm page cache:

- baseline: sitk.ImageSeriesReader: GetGDCMSeriesFileNames (GDCM parses and
  sorts every header) + Execute, i.e. the usual two-liner; reported with and
  without the final GetArrayFromImage copy, the ratio uses the faster one;
- ours: vertapp.io.read_volume (header scan, sort along the slice normal,
  spacing checks, pixels to int16 HU, LPS) returning a numpy-backed Volume.

Usage: .venv/bin/python benchmarks/bench_io.py [--quick] [--slices N] [--repeats R]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from vertapp.io import Volume, read_volume, write_dicom_series

TARGET_RATIO = 1.2


def make_series(slices: int) -> Path:
    folder = Path(tempfile.gettempdir()) / f"vertapp-bench-io-512x512x{slices}"
    done = folder / ".complete"
    if done.exists():
        return folder
    print(f"writing a 512x512x{slices} CT series to {folder} (once) ...", flush=True)
    write_dicom_series(_phantom(slices), folder, shuffle=True, seed=0, series_description="bench")
    done.write_text("ok")
    return folder


def _phantom(slices: int) -> Volume:
    """Air, an elliptical body, a bony column and noise: a CT-like value distribution."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[:512, :512]
    body = ((x - 256) / 200.0) ** 2 + ((y - 256) / 150.0) ** 2 < 1
    spine = (x - 256) ** 2 + (y - 330) ** 2 < 30**2
    base = np.where(body, 40, -1000).astype(np.int16)
    base[spine] = 700
    array = np.empty((slices, 512, 512), dtype=np.int16)
    for k in range(slices):
        array[k] = base + rng.integers(-25, 26, size=base.shape, dtype=np.int16)
    return Volume(array, spacing=(0.78, 0.78, 1.0), origin=(-200.0, -200.0, -400.0))


def sitk_series(folder: Path, to_numpy: bool) -> Callable[[], object]:
    def run() -> object:
        reader = sitk.ImageSeriesReader()
        reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
        image = reader.Execute()
        return sitk.GetArrayFromImage(image) if to_numpy else image

    return run


def best_of(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Interleaved repeats so drifting machine load hits every contender alike."""
    best = {name: float("inf") for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 slices, 3 repeats")
    parser.add_argument("--slices", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    slices = args.slices or (60 if args.quick else 400)
    repeats = args.repeats or (3 if args.quick else 5)
    folder = make_series(slices)
    ours = read_volume(folder)
    reference = sitk_series(folder, to_numpy=True)()
    if not np.array_equal(ours.array, np.asarray(reference)):
        raise SystemExit("the two readers disagree on the voxel values")
    runs = {
        "SimpleITK ImageSeriesReader": sitk_series(folder, to_numpy=False),
        "SimpleITK ImageSeriesReader + GetArrayFromImage": sitk_series(folder, to_numpy=True),
        "vertapp.io.read_volume": lambda: read_volume(folder),
    }
    best = best_of(runs, repeats)
    baseline = min(seconds for name, seconds in best.items() if name.startswith("SimpleITK"))
    print(f"\nDICOM series 512x512x{slices} int16, best of {repeats} (warm cache)\n")
    print("| reader | time (s) | ratio to SimpleITK |")
    print("|---|---:|---:|")
    for name, seconds in best.items():
        print(f"| {name} | {seconds:.3f} | {seconds / baseline:.2f}x |")
    ratio = best["vertapp.io.read_volume"] / baseline
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(f"\nours / SimpleITK = {ratio:.2f}x ({verdict} the <= {TARGET_RATIO}x target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
