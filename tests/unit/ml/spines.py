"""Synthetic spine-like images for the ml tests: stacked rounded blocks, labels in order."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from vertapp.labels import VERTEBRAE
from vertapp.ml.dataset import Sample
from vertapp.ml.masks import mask_to_coco_polygons


def spine_image(
    seed: int = 0, size: int = 128, first: int = 1, count: int = 8
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(uint8 image, (N, H, W) bool masks, labels 1-based) with `count` vertebrae from `first`."""
    rng = np.random.default_rng(seed)
    img = rng.normal(20, 5, (size, size)).clip(0, 255)
    pitch = (size - 8) / count
    masks, labels = [], []
    x0 = int(size * 0.35 + rng.integers(-4, 5))
    for i in range(count):
        top = int(4 + i * pitch)
        height = max(4, int(pitch * 0.75))
        width = int(size * 0.3) + int(rng.integers(-3, 4))
        m = np.zeros((size, size), np.uint8)
        cv2.rectangle(m, (x0, top), (x0 + width, top + height), 1, -1)
        m = cv2.erode(cv2.dilate(m, np.ones((3, 3))), np.ones((3, 3))) > 0
        label = first + i
        # intensity varies with the label so a tiny model can tell neighbours apart
        img[m] = 90 + 9 * label + rng.normal(0, 4, int(m.sum()))
        masks.append(m)
        labels.append(label)
    return img.clip(0, 255).astype(np.uint8), np.array(masks), np.array(labels, np.int64)


def spine_samples(n: int, size: int = 128, seed: int = 0) -> list[Sample]:
    out = []
    for i in range(n):
        img, masks, labels = spine_image(seed + i, size, first=1 + i % 3, count=8)
        out.append(
            Sample(img, masks, labels, patient=f"p{i}", image_id=i + 1, file_name=f"img{i}.png")
        )
    return out


def write_coco_dataset(folder: Path, samples: list[Sample]) -> Path:
    """A project folder (project.json + PNGs) holding `samples`."""
    folder.mkdir(parents=True, exist_ok=True)
    images, anns = [], []
    for s in samples:
        cv2.imwrite(str(folder / s.file_name), s.image)
        h, w = s.image.shape
        images.append(
            {
                "id": s.image_id,
                "file_name": s.file_name,
                "width": w,
                "height": h,
                "vertapp": {"patient": s.patient},
            }
        )
        for m, lab in zip(s.masks, s.labels, strict=True):
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": s.image_id,
                    "category_id": int(lab),
                    "segmentation": mask_to_coco_polygons(m, tolerance=0),
                    "iscrowd": 0,
                    "area": float(m.sum()),
                }
            )
    cats = [{"id": i + 1, "name": n, "supercategory": "vertebra"} for i, n in enumerate(VERTEBRAE)]
    path = folder / "project.json"
    path.write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    return path
