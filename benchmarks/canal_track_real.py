"""The canal track and the MIP slab on real labelled CTs, measured against the labels.

    .venv/bin/python benchmarks/canal_track_real.py [--data ../shared/data] [--save DIR]

For each real CT with vertebra labels (VerSe'19 x4, manual; the TotalSegmentator example,
a model's labels): preprocess with the defaults, then compare, slice by slice of the
resampled 1 mm grid, the canal track with the canal the labels enclose
(vertapp.preprocess.label_reference: the most posterior hole of the labels, >= 30 mm2),
and give the share of each labelled vertebra's voxels inside the slab the MIP projects.
`--save DIR` writes per case the track and the projected labels on the full (z, y) plane
(npz), so two versions of the preprocessing can be compared (Dice of the MIP labels).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.io import read_volume
from vertapp.labels import ID_VERTEBRA
from vertapp.preprocess import preprocess
from vertapp.preprocess.label_projection import project_labels
from vertapp.preprocess.label_reference import labelled_canal, labels_on_grid, slab_share

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLOSE_MM = 5.0  # a track within 5 mm of the labelled canal centre is inside the canal


def cases(data: Path) -> list[tuple[str, Path, Path]]:
    out = [
        (ct.name.split("_")[0], ct, ct.with_name(ct.name.replace("_ct.", "_seg-vert_msk.")))
        for ct in sorted((data / "verse-train").glob("*_ct.nii.gz"))
    ]
    ts = data / "totalseg-example"
    out.append(("totalseg", ts / "ct.nii.gz", ts / "seg_vertebrae_T11-L5_verse_ids.nii.gz"))
    return [c for c in out if c[1].exists() and c[2].exists()]


def our_ids(labels: np.ndarray) -> np.ndarray:
    """VerSe ids -> ours (1..17 = T1..L5); others (C, L6, T13, sacrum) -> 0."""
    from vertapp.labels import verse_to_vertebra_id

    lut = np.zeros(max(int(labels.max()) + 1, 1), np.uint8)
    for vid in range(len(lut)):
        lut[vid] = verse_to_vertebra_id(vid) or 0
    return lut[np.clip(labels, 0, None).astype(np.int64)]


def run_case(name: str, ct: Path, seg: Path, save: Path | None) -> dict[str, Any]:
    import SimpleITK as sitk

    volume = read_volume(ct)
    gt = our_ids(sitk.GetArrayFromImage(sitk.DICOMOrient(sitk.ReadImage(str(seg)), "LPS")))
    t0 = time.perf_counter()
    res = preprocess(volume)
    seconds = time.perf_counter() - t0
    lab = labels_on_grid(gt, volume, res.grid)
    ref = labelled_canal(lab, res.grid)
    has = np.isfinite(ref[:, 0])
    err = np.hypot(*(res.track[has, 1:3] - ref[has]).T)
    shares = slab_share(lab, res.crop, res.grid)
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        mip_labels = project_labels(gt, volume, res)
        nz, ny = res.grid.shape[:2]
        plane = np.zeros((nz, ny), np.uint8)  # row = grid slice k, column = grid y index j
        c = res.crop
        plane[c.k[0] : c.k[1], c.j[0] : c.j[1]] = mip_labels[::-1]
        np.savez_compressed(save / f"{name}.npz", track=res.track, plane=plane)
    return {
        "case": name,
        "ct": volume.describe(),
        "slices": int(has.sum()),
        "median_mm": float(np.median(err)),
        "p90_mm": float(np.percentile(err, 90)),
        "max_mm": float(err.max()),
        "within": float((err <= CLOSE_MM).mean()),
        "shares": {ID_VERTEBRA[v]: s for v, s in shares.items()},
        "spine_clusters": res.spine_clusters,
        "seconds": seconds,
    }


def print_report(rows: list[dict[str, Any]]) -> None:
    print(
        f"| case | CT | slices with a labelled canal | track error median / p90 / max (mm) "
        f"| within {CLOSE_MM:g} mm | slab share per vertebra (min, mean) | lowest |"
    )
    print("|---|---|---:|---|---:|---|---|")
    for r in rows:
        sh = r["shares"]
        low = min(sh, key=sh.get)
        print(
            f"| {r['case']} | {r['ct']} | {r['slices']} | {r['median_mm']:.1f} / "
            f"{r['p90_mm']:.1f} / {r['max_mm']:.1f} | {100 * r['within']:.0f} % | "
            f"{min(sh.values()):.3f}, {np.mean(list(sh.values())):.3f} | {low} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the real data")
    ap.add_argument("--save", type=Path, help="write the track and MIP labels per case (npz)")
    args = ap.parse_args()
    found = cases(args.data)
    if not found:
        raise SystemExit(f"no labelled CTs under {args.data}")
    rows = []
    for name, ct, seg in found:
        rows.append(run_case(name, ct, seg, args.save))
        print(f"{name}: done", flush=True)
    print()
    print_report(rows)
    print()
    print("| case | slab share per vertebra |")
    print("|---|---|")
    for r in rows:
        print(
            f"| {r['case']} | " + ", ".join(f"{k} {v:.2f}" for k, v in r["shares"].items()) + " |"
        )


if __name__ == "__main__":
    main()
