"""Real vs phantom sagittal MIPs side by side, with the numbers that tell them apart.

    .venv/bin/python tools/compare_mips.py --out docs/img/real_vs_phantom_mip.png [--legacy]

Every CT (the real labelled ones in /work/shared/data and phantoms from vertapp.synth)
goes through the app's own preprocessing (vertapp.preprocess: 1 mm resample, bone window,
canal, crop, MIP); the labels are projected onto the MIP the same way. Per vertebra on
the float HU MIP (window 100..1500 HU, so values are HU of the brightest voxel):
- `centre/rim`: median HU of the core of the vertebra's mask (distance to its outline
  >= 60 % of the largest, i.e. the middle of the body) over the median HU of its outline
  band (distance <= 2 px). A solid bright body gives ~1; a real one with a bright
  cortical rim around darker marrow gives well below 1.
- `core HU`: median HU of that core (marrow seen through the lateral cortex).
- `texture`: standard deviation of the core after removing a 5 px median (marrow
  texture + noise), HU.
Printed per image and as the mean per group; the PNG shows every MIP at 1 px = 1 mm with
the same grey scale (100..1000 HU).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage

DATA = Path("/work/shared/data")
VERSE = ("sub-verse005", "sub-verse006", "sub-verse007", "sub-verse008")


@dataclass
class MipCase:
    name: str
    mip: np.ndarray  # float HU, 0 outside the bone window
    labels: np.ndarray  # uint8 vertebra ids on the MIP


def mip_case(name: str, volume, labels: np.ndarray) -> MipCase:
    from vertapp.preprocess import preprocess, project_labels

    result = preprocess(volume)
    return MipCase(name, result.mip.astype(np.float32), project_labels(labels, volume, result))


def real_cases(data: Path = DATA) -> list[MipCase]:
    """The four VerSe cases and the TotalSegmentator example (labels: VerSe ids)."""
    from vertapp.io import read_volume
    from vertapp.labels import verse_to_vertebra_id

    pairs = [
        (
            n,
            data / "verse-train" / f"{n}_ct.nii.gz",
            data / "verse-train" / f"{n}_seg-vert_msk.nii.gz",
        )
        for n in VERSE
    ]
    ts = data / "totalseg-example"
    pairs.append(("totalseg", ts / "ct.nii.gz", ts / "seg_vertebrae_T11-L5_verse_ids.nii.gz"))
    out = []
    for name, ct_path, seg_path in pairs:
        ct = read_volume(ct_path)
        seg = np.asarray(read_volume(seg_path, require_ct=False).array)
        ours = np.zeros(seg.shape, np.uint8)
        for v in np.unique(seg):
            vid = verse_to_vertebra_id(int(v)) if v > 0 else None
            if vid:
                ours[seg == v] = vid
        out.append(mip_case(name, ct, ours))
    return out


def phantom_cases(seeds: list[int], realistic: bool) -> list[MipCase]:
    """Phantoms T9..L5: legacy defaults, or each seed's `realistic_options` protocol."""
    from vertapp.synth import make_ct_phantom, realistic_options

    out = []
    for s in seeds:
        options = realistic_options(s) if realistic else {}
        options.update(first="T9", last="L5")
        ph = make_ct_phantom(seed=s, **options)
        out.append(mip_case(f"phantom{s}", ph.volume, ph.vertebra_labels))
    return out


def vertebra_stats(case: MipCase) -> np.ndarray:
    """(n, 3) centre/rim, core HU, texture HU per vertebra with a usable core."""
    rows = []
    detail = case.mip - ndimage.median_filter(case.mip, size=5)
    for vid in np.unique(case.labels):
        m = case.labels == vid
        if vid == 0 or m.sum() < 150:
            continue
        d = ndimage.distance_transform_edt(m)
        core = d >= 0.6 * d.max()
        rim = m & (d <= 2)
        if core.sum() < 10:
            continue
        c, r = float(np.median(case.mip[core])), float(np.median(case.mip[rim]))
        rows.append((c / max(r, 1.0), c, float(detail[core].std())))
    return np.array(rows).reshape(-1, 3)


def summary(cases: list[MipCase]) -> dict[str, float]:
    allv = np.concatenate([vertebra_stats(c) for c in cases])
    return {
        "centre_rim": float(allv[:, 0].mean()),
        "core_hu": float(allv[:, 1].mean()),
        "texture_hu": float(allv[:, 2].mean()),
    }


def print_table(title: str, cases: list[MipCase]) -> None:
    print(f"\n{title}\n{'image':16s} {'n':>3s} {'centre/rim':>10s} {'core HU':>8s} {'texture':>8s}")
    for c in cases:
        s = vertebra_stats(c)
        print(
            f"{c.name:16s} {len(s):3d} {s[:, 0].mean():10.2f} {s[:, 1].mean():8.0f} {s[:, 2].mean():8.1f}"
        )
    m = summary(cases)
    print(
        f"{'mean':16s} {'':3s} {m['centre_rim']:10.2f} {m['core_hu']:8.0f} {m['texture_hu']:8.1f}"
    )


def render(groups: list[tuple[str, list[MipCase]]], path: Path) -> None:
    """One row per group, MIPs at 1 px = 1 mm, grey 100..1000 HU, outlines of the labels."""
    rows = []
    for title, cases in groups:
        tiles = []
        for c in cases:
            g = np.clip((c.mip - 100.0) / 900.0 * 255.0, 0, 255).astype(np.uint8)
            rgb = cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)
            edge = ndimage.grey_dilation(c.labels, 3) != ndimage.grey_erosion(c.labels, 3)
            rgb[edge & (c.labels > 0)] = (0, 160, 255)
            cv2.putText(rgb, c.name, (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 255, 0), 1)
            tiles.append(rgb)
        h = max(t.shape[0] for t in tiles)
        tiles = [np.pad(t, ((0, h - t.shape[0]), (0, 4), (0, 0))) for t in tiles]
        row = np.concatenate(tiles, axis=1)
        label = np.zeros((16, row.shape[1], 3), np.uint8)
        cv2.putText(label, title, (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1)
        rows.append(np.concatenate([label, row], axis=0))
    w = max(r.shape[1] for r in rows)
    img = np.concatenate([np.pad(r, ((0, 4), (0, w - r.shape[1]), (0, 0))) for r in rows], axis=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/img/real_vs_phantom_mip.png")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--legacy", action="store_true", help="also the phantom without realism")
    args = ap.parse_args()
    groups = [("real CT (VerSe x4, TotalSegmentator example)", real_cases())]
    if args.legacy:
        groups.append(("phantom, legacy defaults", phantom_cases(args.seeds, False)))
    groups.append(("phantom, realistic_options(seed)", phantom_cases(args.seeds, True)))
    for title, cases in groups:
        print_table(title, cases)
    render(groups, Path(args.out))
    print(f"\nwritten {args.out}")


if __name__ == "__main__":
    main()
