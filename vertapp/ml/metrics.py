"""Scoring (definitions in DESIGN.md, the same for CLI, GUI, benchmarks and README).

- Dice of a vertebra: 2|G n P| / (|G| + |P|), G the ground-truth mask of that label,
  P the union of predicted masks with that label; no prediction -> 0. Mean Dice
  averages over ground-truth vertebrae. Predicted labels absent from the ground
  truth count as false positives.
- Identification (VerSe): the predicted vertebra of the same label has its centroid
  within 20 mm of the true centroid and is the prediction closest to it.
- Mask and box AP: pycocotools COCOeval, unchanged.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.errors import FormatError, InputError
from vertapp.labels import VERTEBRAE
from vertapp.ml.dataset import image_spacing, images_to_review, is_label_annotation
from vertapp.ml.masks import mask_to_rle, segmentation_to_mask

ID_DISTANCE_MM = 20.0


@dataclass
class VertebraScore:
    image_id: int
    label: str
    dice: float
    identified: bool
    distance_mm: float | None  # centroid distance to the same-label prediction


@dataclass
class EvalResult:
    vertebrae: list[VertebraScore]
    false_positives: list[tuple[int, str]]  # (image id, predicted label absent from GT)
    n_images: int
    coco: dict[str, dict[str, float]] = field(default_factory=dict)
    left_out: int = 0  # ground-truth images still holding predictions to review

    @property
    def mean_dice(self) -> float:
        return float(np.mean([v.dice for v in self.vertebrae])) if self.vertebrae else 0.0

    @property
    def identification_rate(self) -> float:
        if not self.vertebrae:
            return 0.0
        return float(np.mean([v.identified for v in self.vertebrae]))

    def per_label(self) -> dict[str, dict[str, float]]:
        """Label -> n, mean/min Dice, identification rate (the paper's Fig. 7, as numbers)."""
        out: dict[str, dict[str, float]] = {}
        names = [n for n in VERTEBRAE if any(v.label == n for v in self.vertebrae)]
        names += sorted({v.label for v in self.vertebrae} - set(names))
        for name in names:
            rows = [v for v in self.vertebrae if v.label == name]
            out[name] = {
                "n": len(rows),
                "mean_dice": float(np.mean([v.dice for v in rows])),
                "min_dice": float(np.min([v.dice for v in rows])),
                "identification_rate": float(np.mean([v.identified for v in rows])),
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_images": self.n_images,
            "images_left_out_in_review": self.left_out,
            "n_vertebrae": len(self.vertebrae),
            "mean_dice": self.mean_dice,
            "identification_rate": self.identification_rate,
            "false_positives": len(self.false_positives),
            "false_positive_labels": [list(fp) for fp in self.false_positives],
            "per_label": self.per_label(),
            "coco": self.coco,
            "vertebrae": [asdict(v) for v in self.vertebrae],
        }


def _centroid(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    return np.array([rows.mean(), cols.mean()])


def score_image(
    gt: dict[str, np.ndarray],
    pred: dict[str, np.ndarray],
    spacing_mm: tuple[float, float] = (1.0, 1.0),
    image_id: int = 0,
) -> tuple[list[VertebraScore], list[tuple[int, str]]]:
    """Score one image. `gt`/`pred`: label name -> bool mask (union of that label's masks)."""
    scale = np.asarray(spacing_mm, float)
    pred = {k: m for k, m in pred.items() if m.any()}
    pred_centroids = {k: _centroid(m) for k, m in pred.items()}
    scores = []
    for label, g in gt.items():
        if not g.any():
            continue
        p = pred.get(label)
        inter = float(np.logical_and(g, p).sum()) if p is not None else 0.0
        denom = float(g.sum()) + (float(p.sum()) if p is not None else 0.0)
        dice = 2.0 * inter / denom
        c = _centroid(g)
        dists = {k: float(np.linalg.norm((pc - c) * scale)) for k, pc in pred_centroids.items()}
        d = dists.get(label)
        identified = d is not None and d <= ID_DISTANCE_MM and d <= min(dists.values())
        scores.append(VertebraScore(image_id, label, dice, bool(identified), d))
    fps = [(image_id, k) for k in sorted(pred) if k not in gt or not gt[k].any()]
    return scores, fps


def union_by_label(
    masks: Sequence[np.ndarray], labels: Sequence[str], shape: tuple[int, int]
) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for m, name in zip(masks, labels, strict=True):
        out[name] = out.get(name, np.zeros(shape, bool)) | m.astype(bool)
    return out


def _load_json(obj: str | Path | dict[str, Any] | list[Any], what: str) -> Any:
    if isinstance(obj, dict | list):
        return obj
    path = Path(obj)
    if path.is_dir():
        path = path / "project.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise InputError(f"{path}: {what} file not found") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FormatError(f"{path}: {what} is not readable JSON ({err})") from err


def labels_only(gt: dict[str, Any]) -> tuple[dict[str, Any], set[int]]:
    """The ground truth less its undecided predictions (a project in review holds the
    model's unreviewed output: scored as truth it flattered the run it came from), and
    the ids of the images that held any: not fully labelled, so left out of the score."""
    in_review = images_to_review(gt)
    kept = [a for a in gt.get("annotations", []) if is_label_annotation(a)]
    return {**gt, "annotations": kept}, in_review


def _image_map(gt: dict[str, Any], pred: Any) -> tuple[dict[int, int], list[int]]:
    """pred image id -> GT image id, and the GT image ids that were predicted."""
    gt_ids = [int(r["id"]) for r in gt["images"]]
    if not isinstance(pred, dict) or not pred.get("images"):
        return {i: i for i in gt_ids}, gt_ids
    by_name = {str(r.get("file_name")): int(r["id"]) for r in gt["images"]}
    by_base = {Path(k).name: v for k, v in by_name.items()}
    mapping: dict[int, int] = {}
    for rec in pred["images"]:
        name = str(rec.get("file_name", ""))
        gid = by_name.get(name, by_base.get(Path(name).name))
        if gid is None and int(rec["id"]) in gt_ids and not name:
            gid = int(rec["id"])
        if gid is None:
            raise FormatError(f"predicted image {name or rec['id']!r} is not in the ground truth")
        mapping[int(rec["id"])] = gid
    return mapping, sorted(set(mapping.values()))


def evaluate(
    gt: str | Path | dict[str, Any],
    pred: str | Path | dict[str, Any] | list[dict[str, Any]],
    *,
    spacing_mm: float | None = None,
    score_thresh: float = 0.0,
    coco_ap: bool = True,
) -> EvalResult:
    """Score a prediction COCO (dataset or results list) against a ground-truth COCO."""
    gt_data = _load_json(gt, "ground truth")
    pred_data = _load_json(pred, "prediction")
    if not isinstance(gt_data, dict) or "images" not in gt_data:
        raise FormatError("ground truth is not a COCO dataset (no 'images')")
    pred_anns = pred_data["annotations"] if isinstance(pred_data, dict) else pred_data
    gt_data, in_review = labels_only(gt_data)
    id_map, image_ids = _image_map(gt_data, pred_data)
    image_ids = [i for i in image_ids if i not in in_review]
    gt_names = {int(c["id"]): str(c["name"]) for c in gt_data.get("categories", [])}
    pred_cats = pred_data.get("categories", []) if isinstance(pred_data, dict) else []
    pred_names = {int(c["id"]): str(c["name"]) for c in pred_cats} or gt_names
    records = {int(r["id"]): r for r in gt_data["images"]}
    results = []
    vertebrae: list[VertebraScore] = []
    fps: list[tuple[int, str]] = []
    for image_id in image_ids:
        rec = records[image_id]
        h, w = int(rec["height"]), int(rec["width"])
        g_masks, g_names = [], []
        for a in gt_data.get("annotations", []):
            if int(a["image_id"]) == image_id and int(a["category_id"]) in gt_names:
                g_masks.append(segmentation_to_mask(a.get("segmentation"), h, w))
                g_names.append(gt_names[int(a["category_id"])])
        p_masks, p_names = [], []
        for a in pred_anns:
            if id_map.get(int(a["image_id"])) != image_id:
                continue
            if float(a.get("score", 1.0)) < score_thresh:
                continue
            seg = (a.get("vertapp") or {}).get("rle") or a.get("segmentation")
            mask = segmentation_to_mask(seg, h, w)
            p_masks.append(mask)
            p_names.append(pred_names.get(int(a["category_id"]), str(a["category_id"])))
            results.append((image_id, p_names[-1], mask, float(a.get("score", 1.0))))
        spacing = (spacing_mm, spacing_mm) if spacing_mm else image_spacing(rec)
        s, f = score_image(
            union_by_label(g_masks, g_names, (h, w)),
            union_by_label(p_masks, p_names, (h, w)),
            spacing,
            image_id,
        )
        vertebrae += s
        fps += f
    out = EvalResult(vertebrae, fps, len(image_ids))
    out.left_out = len(in_review)
    if coco_ap:
        out.coco = coco_eval(gt_data, image_ids, results)
    return out


AP_NAMES = ("AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large")


def coco_eval(
    gt_data: dict[str, Any],
    image_ids: list[int],
    results: list[tuple[int, str, np.ndarray, float]],
) -> dict[str, dict[str, float]]:
    """pycocotools mask and box AP over the evaluated images (quietly)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt_coco = COCO()
    gt_coco.dataset = _normalised_gt(gt_data)
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints; --json must not
        gt_coco.createIndex()
    name_to_id = {c["name"]: c["id"] for c in gt_data.get("categories", [])}
    res = []
    for image_id, name, mask, score in results:
        if name not in name_to_id or not mask.any():
            continue
        rows, cols = np.nonzero(mask)
        box = [
            float(cols.min()),
            float(rows.min()),
            float(np.ptp(cols) + 1),
            float(np.ptp(rows) + 1),
        ]
        res.append(
            {
                "image_id": image_id,
                "category_id": name_to_id[name],
                "segmentation": mask_to_rle(mask),
                "bbox": box,
                "score": score,
            }
        )
    out: dict[str, dict[str, float]] = {}
    for kind in ("segm", "bbox"):
        if not res:
            out[kind] = dict.fromkeys(AP_NAMES, 0.0)
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            dt = gt_coco.loadRes([dict(r) for r in res])
            ev = COCOeval(gt_coco, dt, kind)
            ev.params.imgIds = image_ids
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        out[kind] = {n: float(v) for n, v in zip(AP_NAMES, ev.stats[:6], strict=True)}
    return out


def _normalised_gt(gt_data: dict[str, Any]) -> dict[str, Any]:
    """COCOeval needs id, iscrowd and area on every annotation; fill what a project omits."""
    sizes = {int(r["id"]): (int(r["height"]), int(r["width"])) for r in gt_data["images"]}
    anns = []
    for i, a in enumerate(gt_data.get("annotations", [])):
        a = dict(a)
        a.setdefault("id", i + 1)
        a.setdefault("iscrowd", 0)
        if "area" not in a or "bbox" not in a:
            m = segmentation_to_mask(a.get("segmentation"), *sizes[int(a["image_id"])])
            rows, cols = np.nonzero(m)
            a.setdefault("area", float(m.sum()))
            if rows.size:
                a.setdefault(
                    "bbox",
                    [
                        float(cols.min()),
                        float(rows.min()),
                        float(np.ptp(cols) + 1),
                        float(np.ptp(rows) + 1),
                    ],
                )
        anns.append(a)
    return {**gt_data, "annotations": anns}


def format_table(result: EvalResult) -> str:
    """Per-vertebra Dice table like the paper's Fig. 7, then the summary lines."""
    lines = [f"{'vertebra':<9}{'n':>5}{'mean Dice':>11}{'min Dice':>10}{'id rate':>9}"]
    for name, row in result.per_label().items():
        lines.append(
            f"{name:<9}{int(row['n']):>5}{row['mean_dice']:>11.3f}{row['min_dice']:>10.3f}"
            f"{row['identification_rate'] * 100:>8.1f}%"
        )
    lines.append("")
    lines.append(f"images: {result.n_images}   ground-truth vertebrae: {len(result.vertebrae)}")
    if result.left_out:
        lines.append(
            f"left out: {result.left_out} ground-truth image(s) still holding predictions "
            "to review (not truth until decided)"
        )
    lines.append(f"mean Dice: {result.mean_dice:.4f}")
    lines.append(f"identification rate: {result.identification_rate * 100:.1f}%")
    lines.append(f"false positives (labels absent from GT): {len(result.false_positives)}")
    for kind, label in (("segm", "mask"), ("bbox", "box")):
        if kind in result.coco:
            s = result.coco[kind]
            lines.append(
                f"COCO {label} AP: {s['AP']:.3f}  AP50: {s['AP50']:.3f}  AP75: {s['AP75']:.3f}"
            )
    return "\n".join(lines)
