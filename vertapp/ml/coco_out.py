"""Predictions -> COCO: a dataset file (polygons for editing) and a results list (RLE)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vertapp.labels import supercategory
from vertapp.ml.masks import mask_to_coco_polygons, mask_to_rle
from vertapp.ml.predict import Prediction


def categories(class_names: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {"id": i + 1, "name": n, "supercategory": supercategory(n)}
        for i, n in enumerate(class_names)
    ]


def predictions_to_coco(
    predictions: Sequence[Prediction],
    images: Sequence[dict[str, Any]],
    class_names: Sequence[str],
    *,
    model_name: str = "",
) -> dict[str, Any]:
    """A COCO dataset: `images` records (id, file_name, width, height...) + predicted annotations.

    Each annotation carries `score`, a polygon `segmentation` (RLE when the mask is too
    small for a polygon) and under "vertapp" the RLE, the source and whether the
    ordering step changed its label (`order_changed`, with the model's `original_label`).
    """
    anns: list[dict[str, Any]] = []
    for pred, rec in zip(predictions, images, strict=True):
        for i in range(len(pred)):
            mask = pred.masks[i]
            rle = mask_to_rle(mask)
            polys = mask_to_coco_polygons(mask)
            x0, y0, x1, y1 = (float(v) for v in pred.boxes[i])
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": rec["id"],
                    "category_id": int(pred.labels[i]),
                    "segmentation": polys if polys else rle,
                    "area": float(mask.sum()),
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "iscrowd": 0,
                    "score": round(float(pred.scores[i]), 5),
                    "vertapp": {
                        "source": "predicted",
                        "rle": rle,
                        "order_changed": bool(pred.order_changed[i]),
                        "original_label": class_names[int(pred.original_labels[i]) - 1],
                        "model": model_name,
                    },
                }
            )
    return {
        "info": {"description": "VertApp predictions"},
        "images": [dict(r) for r in images],
        "categories": categories(class_names),
        "annotations": anns,
    }


def coco_results(dataset: dict[str, Any]) -> list[dict[str, Any]]:
    """The COCO results list (image_id, category_id, RLE segmentation, bbox, score)."""
    out = []
    for ann in dataset.get("annotations", []):
        seg = (ann.get("vertapp") or {}).get("rle") or ann["segmentation"]
        out.append(
            {
                "image_id": ann["image_id"],
                "category_id": ann["category_id"],
                "segmentation": seg,
                "bbox": ann.get("bbox"),
                "score": float(ann.get("score", 1.0)),
            }
        )
    return out
