"""Damage campaign through the real command line: corrupted inputs to `info` and `convert`.

Small valid files (NIfTI, .nii.gz, MHA, NRRD, a DICOM series, PNG, TIFF, COCO,
VIA and labelme JSON) are damaged at random (bytes flipped, cut short, garbage
appended, header bytes zeroed) and each is given to `vertapp info` or `vertapp
convert` in its own process with a time limit. Every run must end with exit 0, or
exit 1 and one line on stderr: a traceback, a second line, a signal (segfault) or
the time limit is counted and the first examples are printed.

    .venv/bin/python tools/damage_campaign.py [--cases 300] [--seed 0] [--timeout 60]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import SimpleITK as sitk


def _sources(folder: Path) -> list[Path]:
    rng = np.random.default_rng(0)
    array = rng.integers(-1000, 1500, size=(10, 24, 20)).astype(np.int16)
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((0.8, 0.8, 2.5))
    out = []
    for name in ("ct.nii", "ct.nii.gz", "ct.mha", "ct.nrrd"):
        sitk.WriteImage(image, str(folder / name), useCompression=name.endswith(".gz"))
        out.append(folder / name)
    from vertapp.io import write_dicom_series
    from vertapp.io.volume import Volume

    dicom = write_dicom_series(Volume(array, (0.8, 0.8, 2.5)), folder / "dicom", shuffle=False)
    out.append(dicom[0])
    picture = rng.integers(0, 255, size=(40, 30)).astype(np.uint8)
    for name in ("xray.png", "xray.tif"):
        cv2.imwrite(str(folder / name), picture)
        out.append(folder / name)
    cv2.imwrite(str(folder / "a.png"), picture)
    square = [[2, 2], [20, 2], [20, 20], [2, 20]]
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 30, "height": 40}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": [sum(square, [])]}
        ],
        "categories": [{"id": 1, "name": "T1"}],
    }
    region = {
        "shape_attributes": {"name": "circle", "cx": 10, "cy": 10, "r": 5},
        "region_attributes": {"label": "L1"},
    }
    via = {"_via_img_metadata": {"a.png1": {"filename": "a.png", "size": 1, "regions": [region]}}}
    labelme = {
        "shapes": [{"label": "T2", "points": square, "shape_type": "polygon"}],
        "imagePath": "a.png",
        "imageHeight": 40,
        "imageWidth": 30,
    }
    for name, doc in (("coco.json", coco), ("via.json", via), ("labelme.json", labelme)):
        (folder / name).write_text(json.dumps(doc))
        out.append(folder / name)
    return out


def _damage(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    how = rng.choice(["flip", "cut", "append", "zero", "flip_head"])
    if how == "cut":
        return bytes(data[: rng.randrange(max(len(data), 1))])
    if how == "append":
        return bytes(data) + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    head = min(len(data), 600) if how in ("zero", "flip_head") else len(data)
    for _ in range(rng.randint(1, 8)):
        pos = rng.randrange(head)
        data[pos] = 0 if how == "zero" else data[pos] ^ (1 << rng.randrange(8))
    return bytes(data)


def _json_damage(text: str, rng: random.Random) -> str:
    doc = json.loads(text)
    hostile = [0, -1, 1e308, -1e308, "", "../../etc/passwd", None, [], {}, "x" * 50, 2**70]
    slots = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                slots.append((node, key))
                walk(value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                slots.append((node, i))
                walk(value)

    walk(doc)
    for _ in range(rng.randint(1, 3)):
        container, key = rng.choice(slots)
        container[key] = rng.choice(hostile)
    return json.dumps(doc)


def _run(command: list[str], timeout: float) -> str:
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "hang"
    if proc.returncode < 0:
        return f"signal {-proc.returncode}"
    if "Traceback" in proc.stderr:
        return "traceback"
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("warning")]
    if proc.returncode == 0:
        return "ok"
    if proc.returncode == 1 and len(lines) == 1:
        return "one-line error"
    return f"exit {proc.returncode}, {len(lines)} stderr lines"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    outcomes: Counter[str] = Counter()
    bad: list[str] = []
    with tempfile.TemporaryDirectory(prefix="vertapp-damage-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        sources = _sources(src)
        for n in range(args.cases):
            source = rng.choice(sources)
            case = Path(tmp) / f"case{n}"
            shutil.copytree(src, case)
            victim = case / source.relative_to(src)
            if victim.suffix == ".json" and rng.random() < 0.5:
                victim.write_text(_json_damage(victim.read_text(), rng))
            else:
                victim.write_bytes(_damage(victim.read_bytes(), rng))
            if victim.suffix == ".json":
                command = ["convert", str(victim), "--out", str(case / "out.json")]
            else:
                command = ["info", str(victim.parent if rng.random() < 0.3 else victim)]
            result = _run([sys.executable, "-m", "vertapp", *command], args.timeout)
            outcomes[result] += 1
            if result not in ("ok", "one-line error"):
                bad.append(f"{result}: vertapp {command[0]} {victim.name} (case {n})")
            shutil.rmtree(case)
    for result, count in outcomes.most_common():
        print(f"{count:5d}  {result}")
    print(f"{args.cases} runs, {len(bad)} bad")
    for line in bad[:10]:
        print("  " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
