"""Scoring (definitions in DESIGN.md, the same for CLI, GUI, benchmarks and README).

- Dice of a vertebra: 2|G n P| / (|G| + |P|), G the ground-truth mask of that label,
  P the union of predicted masks with that label; no prediction -> 0. Mean Dice
  averages over ground-truth vertebrae. Predicted labels absent from the ground
  truth count as false positives.
- Identification (VerSe): the predicted vertebra of the same label has its centroid
  within 20 mm of the true centroid and is the prediction closest to it.
- Mask and box AP: pycocotools COCOeval, unchanged.
- Only model output is scored: in a prediction file that marks where its outlines come
  from (VertApp's `vertapp.source`), an outline drawn by hand is no prediction, and an
  image holding only such outlines is left out (`score_all` scores them as before). A
  whole exported project scored its hand-drawn images as perfect predictions.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations.geometry import GeometryError
from vertapp.annotations.validate import (
    Where,
    need_dict,
    need_int,
    need_list,
    need_number,
    need_str,
    read_json,
)
from vertapp.errors import InputError
from vertapp.labels import VERTEBRAE
from vertapp.ml.dataset import checked_coco, image_spacing, images_to_review, is_label_annotation
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
    # images whose "predictions" were all drawn by hand: not scored (`score_all`)
    hand_drawn_images: int = 0
    # hand-drawn outlines beside model output on the scored images: not scored either
    hand_drawn_outlines: int = 0

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
            "images_hand_drawn_only_not_scored": self.hand_drawn_images,
            "hand_drawn_outlines_not_scored": self.hand_drawn_outlines,
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


def _load_json(obj: str | Path | dict[str, Any] | list[Any], what: str) -> tuple[Any, str]:
    """(the parsed file, the name its errors give: the path, or `what` for a value given)."""
    if isinstance(obj, dict | list):
        return obj, what
    path = Path(obj)
    if path.is_dir():
        path = path / "project.json"
    if not path.exists():
        raise InputError(f"{path}: {what} file not found")
    return read_json(path), str(path)


def labels_only(gt: dict[str, Any]) -> tuple[dict[str, Any], set[int]]:
    """The ground truth less its undecided predictions (a project in review holds the
    model's unreviewed output: scored as truth it flattered the run it came from), and
    the ids of the images that held any: not fully labelled, so left out of the score."""
    in_review = images_to_review(gt)
    kept = [a for a in gt.get("annotations", []) if is_label_annotation(a)]
    return {**gt, "annotations": kept}, in_review


@dataclass
class _Predicted:
    """A prediction file's annotations, checked, each with the record it is (for errors)."""

    name: str
    data: Any  # the file as read: a COCO dataset (dict) or a COCO results list
    annotations: list[tuple[Where, dict[str, Any]]]


def _predictions(obj: str | Path | dict[str, Any] | list[Any]) -> _Predicted:
    """The predictions checked with the annotation validators: unchecked, a score "high"
    or a list of plain numbers said "this is a bug"."""
    data, name = _load_json(obj, "prediction")
    where = Where(name)
    if isinstance(data, dict):
        if not isinstance(data.get("annotations"), list):
            raise where.error("not a COCO file (no 'annotations' list)")
        items, part = data["annotations"], "annotations"
    elif isinstance(data, list):
        items, part = data, "result"
    else:
        raise where.error(f"not a COCO file or results list, got {type(data).__name__}")
    annotations = []
    for i, ann in enumerate(items):
        ids = {"id": ann["id"]} if isinstance(ann, dict) and "id" in ann else {}
        annotations.append(_prediction(ann, where.sub(part, i, **ids)))
    return _Predicted(name, data, annotations)


def _prediction(ann: Any, where: Where) -> tuple[Where, dict[str, Any]]:
    ann = need_dict(ann, where)
    need_int(ann.get("image_id"), where, "image_id")
    need_int(ann.get("category_id"), where, "category_id")
    if ann.get("score") is not None:
        need_number(ann["score"], where, "score")
    need_dict(ann.get("vertapp") or {}, where.sub("vertapp"))
    return where, ann


MODEL_SOURCES = ("predicted", "corrected")


def is_model_output(ann: dict[str, Any]) -> bool:
    """A model's outline: VertApp's source "predicted" or "corrected", or a score."""
    app = ann.get("vertapp")
    source = app.get("source") if isinstance(app, dict) else None
    return source in MODEL_SOURCES or ann.get("score") is not None


def marks_sources(pred: _Predicted) -> bool:
    """Whether the file says where its outlines come from (VertApp's `vertapp.source`):
    plain COCO prediction files do not, and all their outlines are predictions."""
    return any(
        isinstance(a.get("vertapp"), dict) and "source" in a["vertapp"] for _, a in pred.annotations
    )


def model_output_only(
    pred: _Predicted, id_map: dict[int, int]
) -> tuple[_Predicted, set[int], dict[int, int]]:
    """(the predictions less the hand-drawn outlines, the ground-truth ids of the images
    that held only hand-drawn ones, ground-truth image id -> hand-drawn outlines beside
    model output).

    A whole exported project holds the hand-drawn labels of the images never predicted:
    scored as predictions, each was a perfect one."""
    if not marks_sources(pred):
        return pred, set(), {}
    drawn: dict[int, int] = {}
    model: set[int] = set()
    kept = []
    for where, ann in pred.annotations:
        image = id_map[int(ann["image_id"])]
        if is_model_output(ann):
            model.add(image)
            kept.append((where, ann))
        else:
            drawn[image] = drawn.get(image, 0) + 1
    beside = {image: n for image, n in drawn.items() if image in model}
    return _Predicted(pred.name, pred.data, kept), set(drawn) - model, beside


def hand_drawn_words(result: EvalResult) -> list[str]:
    """What `evaluate` left out as hand-drawn, in words (none when nothing was)."""
    words = []
    n = result.hand_drawn_images
    if n:
        words.append(
            f"{n} {'image holds' if n == 1 else 'images hold'} no model output (hand-drawn "
            "only): not scored; --all to score them"
        )
    n = result.hand_drawn_outlines
    if n:
        words.append(
            f"{n} hand-drawn {'outline' if n == 1 else 'outlines'} beside the model's on the "
            "scored images: not scored as predictions; --all to score them"
        )
    return words


def _category_names(data: Any, where: Where) -> dict[int, str]:
    """Category id -> name of a COCO dataset (none for a results list)."""
    if not isinstance(data, dict):
        return {}
    names: dict[int, str] = {}
    for i, cat in enumerate(need_list(data.get("categories", []), where.sub("categories"))):
        w = where.sub("categories", i)
        cat = need_dict(cat, w)
        names[need_int(cat.get("id"), w, "id")] = need_str(cat.get("name"), w, "name")
    return names


def _image_map(
    gt: dict[str, Any], gt_name: str, pred: _Predicted
) -> tuple[dict[int, int], list[int]]:
    """pred image id -> GT image id, and the GT image ids that were predicted. A predicted
    image the ground truth does not hold is refused: by file name, and by id (a results
    list of other ids scored Dice 0, unsaid)."""
    gt_ids = [int(r["id"]) for r in gt["images"]]
    if isinstance(pred.data, dict) and pred.data.get("images"):
        mapping = _images_by_name(gt, gt_ids, pred, gt_name)
        image_ids, listed = sorted(set(mapping.values())), "the file"
    else:  # a results list names the ground truth's images by id
        mapping, image_ids = {i: i for i in gt_ids}, gt_ids
        listed = f"the ground truth ({gt_name})"
    for where, ann in pred.annotations:
        if int(ann["image_id"]) not in mapping:
            raise where.error(f"refers to image {ann['image_id']}, which {listed} does not list")
    return mapping, image_ids


def _images_by_name(
    gt: dict[str, Any], gt_ids: list[int], pred: _Predicted, gt_name: str
) -> dict[int, int]:
    """pred image id -> GT image id of a prediction dataset, matched by file name."""
    by_name = {str(r.get("file_name")): int(r["id"]) for r in gt["images"]}
    by_base = {Path(k).name: v for k, v in by_name.items()}
    where = Where(pred.name)
    mapping: dict[int, int] = {}
    for i, rec in enumerate(need_list(pred.data["images"], where.sub("images"))):
        w = where.sub("images", i)
        rec = need_dict(rec, w)
        pid = need_int(rec.get("id"), w, "id")
        name = str(rec.get("file_name", ""))
        gid = by_name.get(name, by_base.get(Path(name).name))
        if gid is None and pid in gt_ids and not name:
            gid = pid
        if gid is None:
            raise w.error(f"predicted image {name or pid!r} is not in the ground truth ({gt_name})")
        mapping[pid] = gid
    return mapping


def _check_options(spacing_mm: float | None, score_thresh: float) -> None:
    """--score 2 and --spacing nan scored everything 0 (nothing kept, nothing identified)."""
    if not 0.0 <= score_thresh <= 1.0:
        raise InputError(f"score threshold {score_thresh:g} is not a confidence in 0..1")
    if spacing_mm is not None and not (math.isfinite(spacing_mm) and spacing_mm > 0):
        raise InputError(f"pixel spacing {spacing_mm:g} mm is not a positive number")


def _mask(segmentation: Any, height: int, width: int, where: Where) -> np.ndarray:
    """The mask of a predicted segmentation; a bad one named by file and record."""
    try:
        return segmentation_to_mask(segmentation, height, width)
    except GeometryError as err:
        raise where.error(f"segmentation: {err}") from None


def _truth_masks(
    gt: dict[str, Any], image_id: int, names: dict[int, str], shape: tuple[int, int]
) -> list[tuple[str, np.ndarray]]:
    """(label, mask) of the image's ground-truth annotations (checked when read)."""
    return [
        (names[int(a["category_id"])], segmentation_to_mask(a.get("segmentation"), *shape))
        for a in gt.get("annotations", [])
        if int(a["image_id"]) == image_id and int(a["category_id"]) in names
    ]


def _score(ann: dict[str, Any]) -> float:
    """A prediction's confidence; one without a score counts as sure (ground truth as input)."""
    return 1.0 if ann.get("score") is None else float(ann["score"])


def _predicted_masks(
    pred: _Predicted,
    id_map: dict[int, int],
    image_id: int,
    names: dict[int, str],
    shape: tuple[int, int],
    score_thresh: float,
) -> list[tuple[str, np.ndarray, float]]:
    """(label, mask, score) of the predictions on GT image `image_id` scoring at least
    `score_thresh`; a label the categories do not name is its id (a false positive)."""
    out = []
    for where, a in pred.annotations:
        if id_map.get(int(a["image_id"])) != image_id or _score(a) < score_thresh:
            continue
        seg = (a.get("vertapp") or {}).get("rle") or a.get("segmentation")
        label = names.get(int(a["category_id"]), str(a["category_id"]))
        out.append((label, _mask(seg, *shape, where), _score(a)))
    return out


def evaluate(
    gt: str | Path | dict[str, Any],
    pred: str | Path | dict[str, Any] | list[dict[str, Any]],
    *,
    spacing_mm: float | None = None,
    score_thresh: float = 0.0,
    coco_ap: bool = True,
    score_all: bool = False,
) -> EvalResult:
    """Score a prediction COCO (dataset or results list) against a ground-truth COCO.

    Only model output is scored (`model_output_only`): in a file that marks its outlines'
    source, hand-drawn ones are no predictions; `score_all` scores every outline."""
    _check_options(spacing_mm, score_thresh)
    gt_raw, gt_name = _load_json(gt, "ground truth")
    # the checks convert and review make (ids, sizes, references), naming file and record
    gt_data, in_review = labels_only(checked_coco(gt_raw, gt_name))
    predicted = _predictions(pred)
    id_map, image_ids = _image_map(gt_data, gt_name, predicted)
    drawn_only: set[int] = set()
    beside: dict[int, int] = {}
    if not score_all:
        predicted, drawn_only, beside = model_output_only(predicted, id_map)
    drawn_only -= in_review  # said as in review already
    image_ids = [i for i in image_ids if i not in in_review and i not in drawn_only]
    gt_names = _category_names(gt_data, Where(gt_name))
    pred_names = _category_names(predicted.data, Where(predicted.name)) or gt_names
    records = {int(r["id"]): r for r in gt_data["images"]}
    results: list[tuple[int, str, np.ndarray, float]] = []
    vertebrae: list[VertebraScore] = []
    fps: list[tuple[int, str]] = []
    for image_id in image_ids:
        rec = records[image_id]
        shape = (int(rec["height"]), int(rec["width"]))
        truth = _truth_masks(gt_data, image_id, gt_names, shape)
        found = _predicted_masks(predicted, id_map, image_id, pred_names, shape, score_thresh)
        results += [(image_id, name, mask, score) for name, mask, score in found]
        spacing = (spacing_mm, spacing_mm) if spacing_mm is not None else image_spacing(rec)
        s, f = score_image(
            union_by_label([m for _, m in truth], [n for n, _ in truth], shape),
            union_by_label([m for _, m, _ in found], [n for n, _, _ in found], shape),
            spacing,
            image_id,
        )
        vertebrae += s
        fps += f
    out = EvalResult(vertebrae, fps, len(image_ids))
    out.left_out = len(in_review)
    out.hand_drawn_images = len(drawn_only)
    out.hand_drawn_outlines = sum(beside.get(i, 0) for i in image_ids)
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
