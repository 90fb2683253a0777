"""Benchmark of the low-/high-dose ZOI alignment (issue 12): accuracy and time against a
baseline measured in the same run.

Accuracy: the corner error of each ZOI, i.e. the distance between its bounding-box corners
mapped by the estimated and by the true similarity (px), over the detected ZOIs (paired by
level) and over the fallback ZOIs (dropped from the low-dose annotation: T3, T7, T11, L3).
Baseline: plain OpenCV ECC (MOTION_EUCLIDEAN) on a Gaussian-blurred crop around each ZOI,
started from the shift between the two ZOI centroids. Time: wall seconds per pair (the
ratio to the baseline uses these) and CPU seconds per pair, which the load of a shared
machine does not stretch.

Synthetic (default): `vertapp.synth.make_radiograph_pair` T1-L5 at `--pixel-mm` (0.4 mm:
~1300 x 630 px), seeds 0..N-1, low-dose outlines rough (grown or shrunk 1-3 px with their
own vertices). The speed target (one 17-vertebra pair of ~1000 x 2500 px in <= 1 s) is
timed on the same pairs upsampled x2 (~2600 x 1260 px), with the motions mapped
accordingly, and with `--native-mm 0.2 --native-pairs N` on pairs rendered at that size
(2597 x 1261 px at 0.2 mm: ~2 minutes and ~11 GB of memory per pair to render). The
upsampled pairs hold no more detail than the 0.4 mm ones, so their pixel error doubles;
the native ones hold the detail a real film of that size has.

Real (`--real DIR`, e.g. ../shared/data/aasce-train): pairs built from real AP radiographs:
each vertebral body (its AASCE corner polygon, grown 4 px) is moved by a known random
similarity (shift <= 8 px, turn <= 4 deg, scale <= 3 %) and pasted back, then the copy is
degraded (grey scale flattened to 60 %, blur sigma 1 px, Gaussian grain 4 % of the range).
The images are read in place, never copied.

    .venv/bin/python benchmarks/bench_xray.py [--pairs 3] [--pixel-mm 0.4] [--real DIR --count 10]
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from vertapp.jobs import run_job
from vertapp.labels import VERTEBRAE
from vertapp.xray.align import align_job
from vertapp.xray.similarity import corner_errors
from vertapp.xray.zoi import Zoi, zois_from_masks

DROPPED = ("T3", "T7", "T11", "L3")


@dataclass
class Case:
    """One pair: images, ZOIs (low-dose ones rough), true matrices."""

    name: str
    low: np.ndarray
    high: np.ndarray
    low_zois: dict[str, Zoi]
    high_zois: dict[str, Zoi]
    truth: dict[str, np.ndarray]


@dataclass
class Tally:
    detected: list[float] = field(default_factory=list)
    fallback: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # CPU seconds: what the load does not stretch
    statuses: dict[str, int] = field(default_factory=dict)
    worst: list[tuple[float, str, str, str]] = field(default_factory=list)


# ------------------------------------------------------------------------- methods


def ours(case: Case, low_zois: dict[str, Zoi]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    result = run_job(align_job(case.low, case.high, low_zois, case.high_zois))
    flagged = {v.level for v in result.vertebrae if any("doubtful" in w for w in v.warnings)}
    return {v.level: v.matrix for v in result.vertebrae}, {
        v.level: v.status + ("+doubtful" if v.level in flagged else "") for v in result.vertebrae
    }


def ecc_baseline(
    case: Case, low_zois: dict[str, Zoi]
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    out, status = {}, {}
    hi, lo = case.high.astype(np.float32), case.low.astype(np.float32)
    for level, hz in case.high_zois.items():
        if level not in low_zois:
            continue
        x, y, w, h = hz.bbox
        pad = int(0.5 * max(w, h))
        x0, y0 = max(x - pad, 0), max(y - pad, 0)
        x1, y1 = min(x + w + pad, hi.shape[1]), min(y + h + pad, hi.shape[0])
        tpl = cv2.GaussianBlur(hi[y0:y1, x0:x1], (0, 0), 2.0)
        img = cv2.GaussianBlur(lo[y0:y1, x0:x1], (0, 0), 2.0)
        hc, lc = hz.centroid, low_zois[level].centroid
        warp = np.array([[1, 0, lc[0] - hc[0]], [0, 1, lc[1] - hc[1]]], np.float32)
        crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-5)
        try:
            _, warp = cv2.findTransformECC(tpl, img, warp, cv2.MOTION_EUCLIDEAN, crit, None, 5)
            status[level] = "aligned"
        except cv2.error:
            status[level] = "failed"
        shift = np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1.0]])
        full = shift @ np.vstack([warp.astype(np.float64), [0, 0, 1]]) @ np.linalg.inv(shift)
        out[level] = full[:2]
    return out, status


def measure(
    method: Callable[[Case, dict[str, Zoi]], tuple[dict[str, np.ndarray], dict[str, str]]],
    cases: list[Case],
    tally: Tally,
    with_fallback: bool,
) -> None:
    for case in cases:
        t, c = time.perf_counter(), time.process_time()
        got, status = method(case, case.low_zois)
        tally.seconds.append(time.perf_counter() - t)
        tally.cpu.append(time.process_time() - c)
        for level, m in got.items():
            e = corner_errors(m, case.truth[level], case.high_zois[level].bbox)
            tally.detected += list(e)
            tally.worst.append((float(e.max()), case.name, level, status[level]))
            tally.statuses[status[level]] = tally.statuses.get(status[level], 0) + 1
        if not with_fallback:
            continue
        dropped = {k: v for k, v in case.low_zois.items() if k not in DROPPED}
        got, status = method(case, dropped)
        for level in DROPPED:
            if level in got:
                e = corner_errors(got[level], case.truth[level], case.high_zois[level].bbox)
                tally.fallback += list(e)
                tally.worst.append((float(e.max()), case.name, level, f"dropped, {status[level]}"))
                key = f"fallback:{status[level]}"
                tally.statuses[key] = tally.statuses.get(key, 0) + 1


# -------------------------------------------------------------------------- inputs


def rough(mask: np.ndarray, offset: float) -> np.ndarray:
    """A predicted-looking outline: the mask's contour simplified and offset."""
    from shapely.geometry import Polygon

    from vertapp.annotations.geometry import polygons_to_mask

    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    ring = max(contours, key=cv2.contourArea)[:, 0, :].astype(float)
    poly = Polygon(ring).buffer(offset, join_style=2).simplify(1.0)
    if poly.geom_type != "Polygon" or poly.is_empty:
        return mask
    return polygons_to_mask([np.asarray(poly.exterior.coords)[:-1]], *mask.shape)


def _rough_all(masks: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {k: rough(m, float(rng.choice([-1, 1]) * rng.uniform(1, 3))) for k, m in masks.items()}


def synthetic_cases(n: int, pixel_mm: float) -> list[Case]:
    from vertapp.synth import make_radiograph_pair

    cases = []
    for seed in range(n):
        p = make_radiograph_pair(seed, "T1", "L5", pixel_mm=pixel_mm)
        rng = np.random.default_rng(seed)
        cases.append(
            Case(
                f"synthetic seed {seed}",
                p.low.array,
                p.high.array,
                zois_from_masks(_rough_all(p.low_vertebrae, rng)),
                zois_from_masks(p.high_vertebrae),
                {k: m.matrix for k, m in p.motions.items()},
            )
        )
    return cases


def upsampled(case: Case, k: int) -> Case:
    """The pair at k x the pixel count per side; matrices conjugated by the pixel mapping."""

    def up(a: np.ndarray, interp: int) -> np.ndarray:
        return cv2.resize(a, (a.shape[1] * k, a.shape[0] * k), interpolation=interp)

    d = np.array([[k, 0, (k - 1) / 2], [0, k, (k - 1) / 2], [0, 0, 1.0]])

    def zois(z: dict[str, Zoi]) -> dict[str, Zoi]:
        return zois_from_masks(
            {lv: up(v.mask.astype(np.uint8), cv2.INTER_NEAREST) > 0 for lv, v in z.items()}
        )

    truth = {
        lv: (d @ np.vstack([m, [0, 0, 1]]) @ np.linalg.inv(d))[:2] for lv, m in case.truth.items()
    }
    return Case(
        case.name + f" x{k}",
        up(case.low.astype(np.float32), cv2.INTER_CUBIC),
        up(case.high.astype(np.float32), cv2.INTER_CUBIC),
        zois(case.low_zois),
        zois(case.high_zois),
        truth,
    )


def real_cases(root: Path, count: int) -> list[Case]:
    with open(root / "filenames.csv", encoding="utf-8") as f:
        names = [r[0] for r in csv.reader(f) if r]
    with open(root / "landmarks.csv", encoding="utf-8") as f:
        rows = [[float(v) for v in r] for r in csv.reader(f) if r]
    picks = np.linspace(0, len(names) - 1, count).round().astype(int)
    return [_real_case(root / "images" / names[i], np.array(rows[i]), int(i)) for i in picks]


def _real_case(path: Path, landmarks: np.ndarray, index: int) -> Case:
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise SystemExit(f"{path}: cannot read")
    high = img.astype(np.float32) / 255.0
    h, w = high.shape
    xs, ys = landmarks[:68] * w, landmarks[68:] * h
    rng = np.random.default_rng([index, 12])
    low = high.copy()
    high_masks, low_masks, truth = {}, {}, {}
    for v, level in enumerate(VERTEBRAE):
        corners = np.stack([xs[4 * v : 4 * v + 4], ys[4 * v : 4 * v + 4]], axis=1)[[0, 1, 3, 2]]
        mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(mask, [np.round(corners).astype(np.int32)], 1)
        if mask.sum() < 50:
            continue
        centre = tuple(float(c) for c in corners.mean(axis=0))
        m = cv2.getRotationMatrix2D(centre, rng.uniform(-4, 4), 1 + rng.uniform(-0.03, 0.03))
        m[:, 2] += rng.uniform(-8, 8, 2)
        grown = cv2.dilate(mask, np.ones((9, 9), np.uint8))
        moved = cv2.warpAffine(high, m, (w, h), flags=cv2.INTER_LINEAR)
        moved_mask = cv2.warpAffine(grown.astype(np.float32), m, (w, h)) > 0.5
        low = np.where(moved_mask, moved, low)
        high_masks[level] = mask > 0
        low_masks[level] = cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_NEAREST) > 0
        truth[level] = m
    low = cv2.GaussianBlur(0.2 + 0.6 * low, (0, 0), 1.0)
    low = (low + np.random.default_rng(index).normal(0, 0.04 * 0.6, low.shape)).astype(np.float32)
    return Case(
        f"AASCE image {index}",
        low,
        high,
        zois_from_masks(_rough_all(low_masks, rng)),
        zois_from_masks(high_masks),
        truth,
    )


# -------------------------------------------------------------------------- report


def _row(label: str, t: Tally, base_s: float | None) -> str:
    d = np.array(t.detected) if t.detected else np.array([np.nan])
    f = np.array(t.fallback) if t.fallback else np.array([np.nan])
    sec = float(np.median(t.seconds))
    ratio = f"{sec / base_s:5.2f}" if base_s else "   - "
    return (
        f"| {label:<38} | {len(t.detected) // 4:4d} | {np.median(d):6.2f} | {np.percentile(d, 95):6.2f} "
        f"| {d.max():6.2f} | {np.median(f):6.2f} | {f.max():6.2f} | {sec:6.2f} "
        f"| {float(np.median(t.cpu)):6.2f} | {ratio} | {t.statuses} |"
    )


def report(title: str, cases: list[Case], with_fallback: bool = True) -> None:
    base, mine = Tally(), Tally()
    measure(ecc_baseline, cases, base, with_fallback=False)
    measure(ours, cases, mine, with_fallback=with_fallback)
    print(
        f"\n{title}: {len(cases)} pairs of {cases[0].high.shape[1]} x {cases[0].high.shape[0]} px"
    )
    print(
        "| method | ZOIs | median px | p95 px | max px | fallback median | fallback max | s / pair "
        "| CPU s / pair | x baseline | statuses |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    b = float(np.median(base.seconds))
    print(_row("baseline: OpenCV ECC Euclidean, blurred crop", base, None))
    print(_row("vertapp.xray.align", mine, b))
    worst = sorted(mine.worst, reverse=True)[:6]
    print(
        "worst ZOIs (vertapp):", "; ".join(f"{c} {lv} {e:.1f} px ({st})" for e, c, lv, st in worst)
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--pixel-mm", type=float, default=0.4)
    ap.add_argument(
        "--real", type=Path, help="AASCE folder (images/, filenames.csv, landmarks.csv)"
    )
    ap.add_argument("--count", type=int, default=10, help="real images to use")
    ap.add_argument("--native-mm", type=float, help="also pairs rendered at this pixel size")
    ap.add_argument("--native-pairs", type=int, default=2)
    args = ap.parse_args()
    # wall times stretch with the machine's load; CPU seconds (all of the process's threads)
    # do not, so both are printed, and the ratio to the baseline uses the wall times
    print(f"CPU: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    if args.real:
        report(
            "Real AASCE radiographs, bodies moved by known similarities",
            real_cases(args.real, args.count),
        )
        return
    cases = synthetic_cases(args.pairs, args.pixel_mm)
    report(f"Synthetic T1-L5 at {args.pixel_mm} mm, rough low-dose outlines", cases)
    report(
        "Same pairs upsampled x2 (speed target size)",
        [upsampled(c, 2) for c in cases],
        with_fallback=False,
    )
    if args.native_mm:
        native = synthetic_cases(args.native_pairs, args.native_mm)
        report(f"Synthetic T1-L5 rendered at {args.native_mm} mm (speed target size)", native)


if __name__ == "__main__":
    main()
