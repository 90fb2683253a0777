"""Project load + save vs plain json.load + json.dump of the same COCO file.

Default size (issue 4): 2000 images x 17 polygons x 100 vertices. `--quick`: 200 images.
Ours = store.load_project (parse, validate every record, build the model) +
store.save_project (area/bbox from pycocotools masks, JSON, temp file, fsync,
backup, atomic rename). Baseline = json.load + json.dump of the same file.
"save" is the first save after loading (every area/bbox computed, as after
opening a project); "save again" the next one (area/bbox cached by geometry).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from vertapp.annotations import coco, store
from vertapp.labels import VERTEBRAE


def make_coco(n_images: int, n_polys: int, n_vertices: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, n_vertices, endpoint=False)
    images: list[dict] = []
    anns: list[dict] = []
    for i in range(n_images):
        images.append(
            {"id": i + 1, "file_name": f"images/{i + 1:05d}.png", "width": 256, "height": 640}
        )
        for v in range(n_polys):
            r = 12 + rng.uniform(-1, 1, n_vertices)
            xs = 100 + 1.3 * r * np.cos(t)
            ys = 20 + 35 * v + r * np.sin(t)
            poly = np.round(np.stack([xs, ys], 1), 2).ravel().tolist()
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": i + 1,
                    "category_id": v % 17 + 1,
                    "segmentation": [poly],
                    "area": 0.0,
                    "bbox": [0, 0, 0, 0],
                    "iscrowd": 0,
                }
            )
    cats = [{"id": i + 1, "name": n, "supercategory": "x"} for i, n in enumerate(VERTEBRAE)]
    return {"images": images, "annotations": anns, "categories": cats}


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200 images instead of 2000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n_images = 200 if args.quick else 2000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "proj"
        folder.mkdir()
        with open(folder / "project.json", "w") as f:
            json.dump(make_coco(n_images, 17, 100), f)
        # Normalise once so both sides read the file our save writes.
        store.save_project(store.load_project(folder), force=True)
        path = folder / "project.json"
        size_mb = path.stat().st_size / 1e6
        out = Path(tmp) / "plain.json"

        def plain_load() -> None:
            with open(path) as f:
                plain_load.data = json.load(f)  # type: ignore[attr-defined]

        def plain_dump() -> None:
            with open(out, "w") as f:
                json.dump(plain_load.data, f)  # type: ignore[attr-defined]

        holder: dict = {}

        def our_load() -> None:
            holder["p"] = store.load_project(folder)

        def our_save() -> None:
            coco._area_cache.clear()  # as after opening: nothing cached
            store.save_project(holder["p"])

        def our_save_again() -> None:
            store.save_project(holder["p"])

        def fast_roundtrip() -> None:
            out.write_text(json.dumps(json.loads(path.read_bytes())))

        fast = best_of(fast_roundtrip, args.repeat)
        rows = [
            ("load", best_of(plain_load, args.repeat), best_of(our_load, args.repeat)),
            ("save", best_of(plain_dump, args.repeat), best_of(our_save, args.repeat)),
        ]
        again = ("save again", rows[1][1], best_of(our_save_again, args.repeat))
    n_ann = n_images * 17
    print(
        f"COCO file: {n_images} images x 17 polygons x 100 vertices = {n_ann} annotations, {size_mb:.0f} MB"
    )
    print(f"{'step':<12}{'json (s)':>10}{'vertapp (s)':>13}{'ratio':>8}")
    for name, base, ours in rows:
        print(f"{name:<12}{base:>10.2f}{ours:>13.2f}{ours / base:>8.2f}")
    print(f"{again[0]:<12}{again[1]:>10.2f}{again[2]:>13.2f}{again[2] / again[1]:>8.2f}")
    base_t, ours_t = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(
        f"{'load + save':<12}{base_t:>10.2f}{ours_t:>13.2f}{ours_t / base_t:>8.2f}   (target <= 3x)"
    )
    print(
        f"reference: json.loads + json.dumps (whole-document C encoder) {fast:.2f} s;"
        f" vertapp / that = {ours_t / fast:.2f}"
    )


if __name__ == "__main__":
    main()
