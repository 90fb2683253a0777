"""Benchmark of CT preprocessing (issue 3).

Input: a 512 x 512 x 500 int16 CT at 0.7 x 0.7 x 1.0 mm (default; `--quick`: 256 x 256 x 250
at 1.4 x 1.4 x 2.0 mm): a synthetic phantom (full spine with pelvis) rendered coarsely and
linearly upsampled onto that grid, then cropped/padded to the exact size.

Measured in the same run:
- baseline: SimpleITK linear resample of the whole volume to 1 mm (the `sitk.Resample` call
  alone, and with the numpy <-> SimpleITK copies);
- each stage of the pipeline, timed by re-running its functions in sequence;
- the whole pipeline (`vertapp.preprocess.preprocess`), and its ratio to the baseline;
- peak extra memory of the whole pipeline (VmHWM after resetting it, minus VmRSS before),
  against the input volume's bytes.

    .venv/bin/python benchmarks/bench_preprocess.py [--quick] [--repeat N]
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from vertapp.io.volume import Volume
from vertapp.preprocess import PreprocessParams, preprocess
from vertapp.preprocess import canal as canal_mod
from vertapp.preprocess.crop import compute_crop, sagittal_mip
from vertapp.preprocess.hips import remove_hip_bones
from vertapp.preprocess.pipeline import _circle_table
from vertapp.preprocess.resample import (
    apply_hu_window,
    isotropic_grid,
    resample_slabs,
    to_sitk,
)
from vertapp.preprocess.track import fit_track


def make_input(shape: tuple[int, int, int], spacing: tuple[float, float, float]) -> Volume:
    from vertapp.synth import make_ct_phantom

    coarse = make_ct_phantom(seed=0, spacing=(2 * spacing[0], 2 * spacing[1], 2 * spacing[2]))
    src = to_sitk(coarse.volume.array, coarse.volume)
    nz, ny, nx = shape
    ext = np.array([nx, ny, nz]) * np.array(spacing)
    lo = np.array(coarse.volume.origin)
    hi = lo + (np.array(coarse.volume.shape[::-1]) - 1) * np.array(coarse.volume.spacing)
    centre = (lo + hi) / 2
    origin = centre - ext / 2
    origin[2] = lo[2]  # keep the pelvis: a field of view from the pelvis up
    img = sitk.Resample(
        src,
        [nx, ny, nz],
        sitk.Transform(),
        sitk.sitkLinear,
        tuple(origin),
        spacing,
        (1, 0, 0, 0, 1, 0, 0, 0, 1),
        -1024.0,
        sitk.sitkInt16,
    )
    return Volume(sitk.GetArrayFromImage(img), spacing, tuple(float(o) for o in origin))


def rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        return True
    except OSError:
        return False


def time_baseline(vol: Volume, p: PreprocessParams) -> tuple[float, float]:
    grid = isotropic_grid(vol, p.spacing_mm)
    t0 = time.perf_counter()
    img = to_sitk(vol.array, vol)
    t1 = time.perf_counter()
    out = sitk.Resample(
        img,
        list(grid.shape[::-1]),
        sitk.Transform(),
        sitk.sitkLinear,
        grid.origin,
        (grid.spacing,) * 3,
        (1, 0, 0, 0, 1, 0, 0, 0, 1),
        -1024.0,
        sitk.sitkInt16,
    )
    t2 = time.perf_counter()
    arr = sitk.GetArrayFromImage(out)
    t3 = time.perf_counter()
    del img, out, arr
    return t2 - t1, t3 - t0


def time_stages(vol: Volume, p: PreprocessParams) -> dict[str, float]:
    """The pipeline's stages run one after the other with a timer around each."""
    st = dict.fromkeys(
        [
            "to SimpleITK",
            "resample (slabs)",
            "canal detection",
            "HU window + previews",
            "k-means + track",
            "crop + hip cut + MIP",
        ],
        0.0,
    )
    t = time.perf_counter()
    grid = isotropic_grid(vol, p.spacing_mm)
    image = to_sitk(vol.array, vol)
    st["to SimpleITK"] = time.perf_counter() - t
    windowed = np.empty(grid.shape, np.int16)
    body = np.full(grid.shape[0], np.nan)
    per_slice: list[np.ndarray] = []
    slabs = resample_slabs(image, grid, p.slab_slices)
    while True:
        t = time.perf_counter()
        try:
            k0, slab = next(slabs)
        except StopIteration:
            break
        st["resample (slabs)"] += time.perf_counter() - t
        t = time.perf_counter()
        per_slice += canal_mod.detect_slab(
            slab,
            grid.spacing,
            p.hu_min,
            p.rmin_mm,
            p.rmax_mm,
            p.close_mm,
            p.max_circles_per_slice,
            smooth_mm=p.smooth_mm,
        )
        body[k0 : k0 + len(slab)] = grid.origin[0] + canal_mod.body_midline_x(slab)
        st["canal detection"] += time.perf_counter() - t
        t = time.perf_counter()
        windowed[k0 : k0 + len(slab)] = apply_hu_window(slab, p.hu_min, p.hu_max)
        windowed[k0 : k0 + len(slab)].max(axis=1)
        st["HU window + previews"] += time.perf_counter() - t
    t = time.perf_counter()
    circles = _circle_table(per_slice, grid)
    tr = fit_track(circles, body, grid.shape[0], p)
    st["k-means + track"] = time.perf_counter() - t
    t = time.perf_counter()
    crop = compute_crop(tr.track_xy, tr.detected, grid, p)
    remove_hip_bones(
        windowed,
        grid,
        crop,
        circles[:, 1:5],
        circles[:, 0].astype(int),
        circles[:, 5] > 0,
        tr.on_track,
        tr.track_xy[:, 0],
    )
    sagittal_mip(windowed, crop)
    st["crop + hip cut + MIP"] = time.perf_counter() - t
    return st


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="256x256x250 at 1.4x1.4x2.0 mm")
    ap.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    args = ap.parse_args()
    shape, spacing = (
        ((250, 256, 256), (1.4, 1.4, 2.0)) if args.quick else ((500, 512, 512), (0.7, 0.7, 1.0))
    )
    p = PreprocessParams()
    t = time.perf_counter()
    vol = make_input(shape, spacing)
    print(
        f"input: {vol.describe()}, {vol.array.nbytes / 2**20:.0f} MiB int16 (made in {time.perf_counter() - t:.1f} s); "
        f"{os.cpu_count()} CPUs, SimpleITK threads {sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()}"
    )

    base = [time_baseline(vol, p) for _ in range(args.repeat)]
    resample_only = min(b[0] for b in base)
    resample_copies = min(b[1] for b in base)
    stages = min((time_stages(vol, p) for _ in range(args.repeat)), key=lambda s: sum(s.values()))
    whole = []
    peak_ratio = float("nan")
    summary = ""
    for i in range(args.repeat):
        gc.collect()
        before = rss_kib("VmRSS")
        have_peak = reset_peak()
        t = time.perf_counter()
        res = preprocess(vol, p)
        whole.append(time.perf_counter() - t)
        if i == 0 and have_peak:
            peak_ratio = (rss_kib("VmHWM") - before) * 1024 / vol.array.nbytes
        if i == 0:
            summary = (
                f"result: spine cluster {res.spine_cluster}, canal on "
                f"{int(res.track_detected.sum())}/{len(res.track)} slices, MIP {res.mip.shape}"
            )
        del res
    best = min(whole)
    rows = [
        ("baseline: sitk.Resample alone (linear, to 1 mm)", resample_only),
        ("baseline + numpy<->SimpleITK copies", resample_copies),
    ]
    rows += [(f"stage: {k}", v) for k, v in stages.items()]
    rows += [("stages summed", sum(stages.values())), ("whole pipeline (preprocess())", best)]
    print(summary)
    print()
    print("| step | time (s) |")
    print("|---|---:|")
    for name, v in rows:
        print(f"| {name} | {v:.3f} |")
    print()
    print("| ratio | value | target |")
    print("|---|---:|---:|")
    print(f"| whole pipeline / sitk.Resample alone | {best / resample_only:.2f}x | <= 2x |")
    print(f"| whole pipeline / resample with copies | {best / resample_copies:.2f}x | |")
    print(f"| peak extra memory / input bytes | {peak_ratio:.2f}x | <= 4x |")


if __name__ == "__main__":
    main()
