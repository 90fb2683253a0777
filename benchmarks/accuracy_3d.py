"""3D accuracy of the back-projection on real labelled CTs: the ceiling of the MIP approach.

    .venv/bin/python benchmarks/accuracy_3d.py [--data ../shared/data] [--json OUT.json]

For each real CT with manual vertebra labels (VerSe'19 x4 and the TotalSegmentator
example): preprocess with the defaults, project the manual 3D labels onto the MIP
(vertapp.preprocess.label_projection, what a perfect 2D segmentation would give), back-
project them (vertapp.backproject) and score 3D Dice per vertebra against the manual
labels on the CT's own grid. Vertebrae outside T1..L5 (L6, T13, cervical) are left out of
both sides.

Baseline in the same run, the plain reference of issue #15: for each vertebra, the voxels on
its footprint's rays with HU >= 150 within +-45 mm (left-right) of the canal track, the
largest 3D component, holes filled per axial slice.

Anchors (not measured here): the VerSe'19 challenge's best 3D Dice ~0.91; TotalSegmentator
reports ~0.95 with a dedicated 3D model.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import SimpleITK as sitk
from scipy import ndimage as ndi

from vertapp.backproject import BackProjector
from vertapp.backproject.rays import compute_rays
from vertapp.io import read_volume
from vertapp.labels import ID_VERTEBRA, verse_to_vertebra_id
from vertapp.preprocess import preprocess
from vertapp.preprocess.label_projection import project_labels

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BASELINE_HU, BASELINE_HALF_WIDTH_MM = 150.0, 45.0


def cases(data: Path) -> list[tuple[str, Path, Path]]:
    out = [
        (ct.name.split("_")[0], ct, ct.with_name(ct.name.replace("_ct.", "_seg-vert_msk.")))
        for ct in sorted((data / "verse-train").glob("*_ct.nii.gz"))
    ]
    ts = data / "totalseg-example"
    out.append(("totalseg", ts / "ct.nii.gz", ts / "seg_vertebrae_T11-L5_verse_ids.nii.gz"))
    return [c for c in out if c[1].exists() and c[2].exists()]


def read_labels(path: Path) -> np.ndarray:
    """VerSe labels reoriented to LPS like the CT, as our ids 1..17 (others -> 0)."""
    arr = sitk.GetArrayFromImage(sitk.DICOMOrient(sitk.ReadImage(str(path)), "LPS"))
    lut = np.zeros(max(int(arr.max()) + 1, 1), np.uint8)
    for vid in range(len(lut)):
        lut[vid] = verse_to_vertebra_id(vid) or 0
    return lut[np.clip(arr, 0, None).astype(np.int64)]


def baseline(volume: Any, result: Any, footprint: np.ndarray) -> np.ndarray:
    """The issue's plain reference (module doc), on the CT's grid."""
    rays = compute_rays(volume, result, BASELINE_HALF_WIDTH_MM)
    hu = volume.array[rays.box]
    seed = rays.lookup(footprint)
    bone = hu >= BASELINE_HU
    out = np.zeros(hu.shape, np.uint8)
    for v in np.unique(footprint):
        if int(v) not in ID_VERTEBRA:
            continue
        comp, n = ndi.label(bone & (seed == v))
        if n == 0:
            continue
        keep = comp == np.argmax(np.bincount(comp.ravel())[1:]) + 1
        for z in range(keep.shape[0]):
            keep[z] = ndi.binary_fill_holes(keep[z])
        out[keep & (out == 0)] = v
    full = np.zeros(volume.shape, np.uint8)
    full[rays.box] = out
    return full


def dice(gt: np.ndarray, pred: np.ndarray, v: int) -> float:
    g, p = gt == v, pred == v
    denom = int(g.sum() + p.sum())
    return 2.0 * int((g & p).sum()) / denom if denom else float("nan")


def run_case(name: str, ct: Path, seg: Path) -> dict[str, Any]:
    volume = read_volume(ct)
    gt = read_labels(seg)
    result = preprocess(volume)
    footprint = project_labels(gt, volume, result)
    t0 = time.perf_counter()
    projector = BackProjector(volume, result)
    t1 = time.perf_counter()
    bp = projector.run(footprint)
    t2 = time.perf_counter()
    base = baseline(volume, result, footprint)
    t3 = time.perf_counter()
    rows = []
    for v in sorted(int(x) for x in np.unique(gt) if x):
        rows.append(
            {
                "vertebra": ID_VERTEBRA[v],
                "dice": dice(gt, bp.labels, v),
                "baseline": dice(gt, base, v),
                "on_mip": bool((footprint == v).any()),
            }
        )
    return {
        "case": name,
        "ct": volume.describe(),
        "rows": rows,
        "unclaimed_voxels": bp.unclaimed_voxels,
        "time_prepare_s": t1 - t0,
        "time_labels_s": t2 - t1,
        "time_baseline_s": t3 - t2,
        "warnings": bp.warnings,
    }


def _colour(v: int) -> tuple[int, int, int]:
    """A distinct BGR colour per vertebra id (neighbours far apart on the hue circle)."""
    hsv = np.uint8([[[(v * 47) % 180, 200, 255]]])
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])


def _overlay(ct: np.ndarray, lab: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    """CT slice (HU) and the same slice with translucent labels, contours and names."""
    grey = np.clip((ct.astype(np.float32) + 250) / 1250 * 255, 0, 255).astype(np.uint8)
    size = (int(round(ct.shape[1] * scale[1])), int(round(ct.shape[0] * scale[0])))
    grey = cv2.resize(grey, size, interpolation=cv2.INTER_LINEAR)
    lab = cv2.resize(lab, size, interpolation=cv2.INTER_NEAREST)
    plain = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    out = plain.copy()
    for v in (int(x) for x in np.unique(lab) if x):
        m = lab == v
        out[m] = (0.55 * out[m] + 0.45 * np.array(_colour(v))).astype(np.uint8)
        contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(out, contours, -1, _colour(v), 1)
        ys, xs = np.nonzero(m)
        name = ID_VERTEBRA.get(v - 7, str(v))
        org = (int(xs.mean()) - 10, int(ys.mean()) + 5)
        cv2.putText(out, name, org, cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(out, name, org, cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return np.hstack([plain, np.full((size[1], 4, 3), 255, np.uint8), out])


def write_figure(data: Path, case: str, png: Path) -> None:
    """Back-project one case, write its NIfTI, read that file back with SimpleITK and draw
    axial slices (and a sagittal one) of the CT beside the labels."""
    import tempfile

    from vertapp.backproject.export import export_job
    from vertapp.io.readers import load_volume_job
    from vertapp.jobs import run_job

    name, ct, seg = next(c for c in cases(data) if c[0] == case)
    report = run_job(load_volume_job(ct))
    volume = report.image
    result = preprocess(volume)
    bp = BackProjector(volume, result).run(project_labels(read_labels(seg), volume, result))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "labels.nii.gz"
        run_job(export_job(bp, volume, out, stored_orientation=report.stored_orientation))
        lab = sitk.GetArrayFromImage(sitk.DICOMOrient(sitk.ReadImage(str(out)), "LPS"))
    sx, sy, sz = volume.spacing
    zs = [int(np.median(np.nonzero((lab == v).any(axis=(1, 2)))[0])) for v in np.unique(lab) if v]
    rows = [_overlay(volume.array[z], lab[z], (2 * sy, 2 * sx)) for z in (zs[1], zs[-2])]
    x = int(np.median(np.nonzero(lab)[2]))
    sag = _overlay(volume.array[::-1, :, x], lab[::-1, :, x], (1.4 * sz, 1.4 * sy))
    width = max(r.shape[1] for r in rows + [sag])
    pad = [
        np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)), constant_values=255)
        for r in rows + [sag]
    ]
    png.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(png), np.vstack(pad)):
        raise SystemExit(f"{png}: cannot write")
    print(f"wrote {png} ({name}: axial slices at z = {zs[1]}, {zs[-2]}, sagittal at x = {x})")


def _mean(values: list[float]) -> float:
    vals = [v for v in values if np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def print_report(results: list[dict[str, Any]]) -> None:
    print("| case | vertebra | 3D Dice back-projection | 3D Dice baseline |")
    print("|---|---|---:|---:|")
    for r in results:
        for row in r["rows"]:
            print(
                f"| {r['case']} | {row['vertebra']} | {row['dice']:.3f} | {row['baseline']:.3f} |"
            )
    print()
    print("| case | CT | vertebrae | mean Dice | baseline | ahead | unclaimed voxels | time (s) |")
    print("|---|---|---:|---:|---:|---|---:|---:|")
    for r in results:
        d = _mean([x["dice"] for x in r["rows"]])
        b = _mean([x["baseline"] for x in r["rows"]])
        t = r["time_prepare_s"] + r["time_labels_s"]
        print(
            f"| {r['case']} | {r['ct']} | {len(r['rows'])} | {d:.3f} | {b:.3f} | "
            f"{'yes' if d > b else 'NO'} | {r['unclaimed_voxels']} | {t:.2f} |"
        )
    means = [_mean([x["dice"] for x in r["rows"]]) for r in results]
    bases = [_mean([x["baseline"] for x in r["rows"]]) for r in results]
    print()
    print("| summary | value | target / anchor |")
    print("|---|---:|---|")
    every = [x["dice"] for r in results for x in r["rows"]]
    every_base = [x["baseline"] for r in results for x in r["rows"]]
    print(f"| mean 3D Dice over cases | {np.mean(means):.3f} | >= 0.85 |")
    print(f"| mean 3D Dice over {len(every)} vertebrae | {_mean(every):.3f} | |")
    print(f"| baseline, over vertebrae | {_mean(every_base):.3f} | |")
    print(f"| baseline mean 3D Dice | {np.mean(bases):.3f} | ~0.77-0.82 (issue #15) |")
    ahead = sum(m > b for m, b in zip(means, bases, strict=True))
    print(f"| cases ahead of the baseline | {ahead}/{len(means)} | all |")
    print("| VerSe'19 best 3D Dice (anchor) | ~0.91 | |")
    print("| TotalSegmentator 3D model (anchor) | ~0.95 | |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the real data")
    ap.add_argument("--json", type=Path, help="also write the numbers as JSON")
    ap.add_argument("--figure", type=Path, help="also draw CT | labels slices of one case (PNG)")
    ap.add_argument("--figure-case", default="sub-verse005", help="case for --figure")
    args = ap.parse_args()
    found = cases(args.data)
    if not found:
        raise SystemExit(f"no labelled CTs under {args.data}")
    results = []
    for name, ct, seg in found:
        results.append(run_case(name, ct, seg))
        print(f"{name}: done", flush=True)
    print()
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if args.figure:
        write_figure(args.data, args.figure_case, args.figure)


if __name__ == "__main__":
    main()
