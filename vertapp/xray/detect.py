"""Vertebral bodies and parts on a radiograph with a trained Mask R-CNN, each with its level.

Steps, for one image of any size and bit depth:

1. grey to 8 bit (16-bit windowed to its 0.5-99.5 % range, as in training);
2. scaled so its long side is the model's (`max_size`: a whole spine of 1000 x 2500
   px is seen as in training; masks of a big image are never made at full size
   for every raw detection); where that leaves many bodies unnumbered (a partial view,
   bodies larger than in training), read again smaller on a black canvas
   (`vertapp.xray.canvas`), the best-numbered view kept;
3. detections above the score threshold, a body's score being the net's certainty
   that it is a body at all (the sum of its level classes: which level is decided
   next); of two bodies sharing > 30 % of the smaller one the weaker is dropped
   (bodies do not overlap: a disc lies between them); they are numbered as one
   chain top to bottom (`vertapp.ml.numbering`: steps between bodies read from their spacing,
   so a missed body leaves a gap; where the chain sits decided by the class
   probabilities of all its bodies, and of the checkpoint's level-context net where it
   has one, `level_context.py`; a detection that fits no chain stays "unknown");
4. soft masks of the kept detections scaled back to the image and cut at 0.5;
5. every other part given the level of the body it hangs from (`attach.py`).

`predict_zoi_coco` returns that as COCO for one image, every annotation with
`vertapp.vertebra`: what `vertapp xray zoi|align --model` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vertapp.errors import ModelError
from vertapp.labels import PART_ID, PARTS, VERTEBRAE
from vertapp.ml.checkpoint import LoadedModel, load_checkpoint
from vertapp.ml.masks import mask_box, mask_to_coco_polygons, mask_to_rle
from vertapp.ml.numbering import local_spacing, mask_geometry, number_bodies
from vertapp.ml.predict import maskrcnn_raw, model_device, to_tensor
from vertapp.xray.attach import attach_parts
from vertapp.xray.canvas import (
    CANVAS_FACTORS,
    from_canvas,
    is_clean,
    shrunk_on_canvas,
    view_quality,
)
from vertapp.xray.level_context import (
    CHECKPOINT_KEY,
    LevelContext,
    combined_evidence,
    context_levels,
)
from vertapp.xray.model_kind import RADIOGRAPH, check_kind, loaded_model_kind
from vertapp.xray.parts import BODY, UNKNOWN, class_part_level
from vertapp.xray.training import grey_u8, resize_long_side

MAX_RAW_DETECTIONS = 100  # per image, before merging a body's detections under several levels
MAX_BODY_OVERLAP = 0.3  # share of the smaller body two body masks may have in common
ORDER_DOUBT = 0.5  # with the level-context net: flag a level its own evidence finds this unlikely


@dataclass
class FoundPart:
    """One predicted vertebra part on the full-size image."""

    part: str  # body, spinous_process, pedicle, transverse_process
    level: str  # T1..L5 or "unknown"
    mask: np.ndarray  # bool, the image's shape
    score: float
    order_changed: bool = False  # numbering gave a body another level than its top class


def check_radiograph_model(loaded: LoadedModel) -> None:
    """ModelError unless the checkpoint is a Mask R-CNN over body levels and/or parts,
    InputError (`model_kind.check_kind`) for a CT model.

    The class names alone do not tell: a CT MIP model has the levels T1..L5 too, and on a
    film it "found" bodies in the wrong place, numbered as on a MIP."""
    names = loaded.class_names
    if loaded.arch != "maskrcnn":
        raise ModelError(f"{loaded.path}: a {loaded.arch} model cannot find vertebra parts")
    if not names or not all(n in VERTEBRAE or n in PARTS for n in names):
        raise ModelError(
            f"{loaded.path}: trained for {', '.join(names[:5])}..., not for radiograph "
            "parts (body, spinous_process, pedicle, transverse_process) or levels T1..L5"
        )
    what = "it does not read radiographs"
    check_kind(loaded.path or "the model", loaded_model_kind(loaded), RADIOGRAPH, what)


def predict_radiograph(
    loaded: LoadedModel, image: np.ndarray, score_thresh: float | None = None
) -> list[FoundPart]:
    """Bodies (top to bottom) then the other parts, each with its level (module docstring)."""
    check_radiograph_model(loaded)
    grey = grey_u8(image)
    small, _ = resize_long_side(grey, loaded.config.max_size)
    thresh = loaded.config.score_thresh if score_thresh is None else float(score_thresh)
    view = _best_view(loaded, small, thresh)
    soft, scores, kinds = view.soft, view.scores, view.kinds
    found = [_full(soft[i], grey.shape, BODY, lv, scores[i], ch) for i, lv, ch in view.bodies]
    found = [f for f in found if f.mask.any()]
    cap = loaded.config.detections_per_img  # the model's own limit, per kind
    rest = np.flatnonzero(~view.is_body)
    rest = rest[np.argsort(-scores[rest], kind="stable")[:cap]]
    others = [_full(soft[i], grey.shape, kinds[i][0], UNKNOWN, scores[i]) for i in rest]
    others = [f for f in others if f.mask.any()]
    levels = attach_parts(
        [f.mask for f in others], [f.mask for f in found], [f.level for f in found]
    )
    for f, lv in zip(others, levels, strict=True):
        f.level = lv
    return found + others


@dataclass
class _View:
    """The kept detections of the film shown at one size (`vertapp.xray.canvas`)."""

    soft: np.ndarray  # (n, h, w) soft masks on the film at the model's size
    scores: np.ndarray
    kinds: list[tuple[str, str]]
    is_body: np.ndarray
    bodies: list[tuple[int, str, bool]]  # (index, level, order changed), top to bottom
    quality: float
    clean: bool


def _best_view(loaded: LoadedModel, small: np.ndarray, thresh: float) -> _View:
    """The film as the model sees it, then smaller on a black canvas while that numbers
    more of the bodies found (a partial view shows bodies larger than training did)."""
    best: _View | None = None
    for factor in CANVAS_FACTORS:
        view = _view(loaded, small, factor, thresh)
        # a smaller view must make a better spine, and a spine at all (more numbered
        # than left out): a film of two bodies found shows nothing the first view did not
        if best is None or view.quality > max(best.quality, 0.0):
            best = view
        if best.clean:
            break
    assert best is not None  # CANVAS_FACTORS is not empty
    return best


def _view(loaded: LoadedModel, small: np.ndarray, factor: float, thresh: float) -> _View:
    canvas, box = shrunk_on_canvas(small, factor)
    det = _detect(loaded, canvas)
    names = loaded.class_names
    labels = det["labels"]
    kinds = [class_part_level(names[int(lb) - 1]) for lb in labels]
    is_body = np.array([k[0] == BODY for k in kinds], bool).reshape(len(labels))
    scores = np.where(is_body, _body_score(det["class_probs"], names), det["scores"])
    keep = scores >= thresh
    soft = from_canvas(det["masks"][keep], box, small.shape[:2])
    scores, labels = scores[keep], labels[keep]
    probs, is_body = det["class_probs"][keep][:, 1:], is_body[keep]  # background dropped
    kinds = [k for k, kept in zip(kinds, keep, strict=True) if kept]
    context = (_level_context(loaded), small)
    cap = loaded.config.detections_per_img
    bodies = _bodies(soft, scores, labels, probs, is_body, names, context)[:cap]
    body_scores = np.array([scores[i] for i, _, _ in bodies])
    numbered = np.array([lv != UNKNOWN for _, lv, _ in bodies], bool)
    return _View(
        soft,
        scores,
        kinds,
        is_body,
        bodies,
        view_quality(body_scores, numbered),
        is_clean(body_scores, numbered),
    )


def _detect(loaded: LoadedModel, small: np.ndarray) -> dict[str, np.ndarray]:
    """Raw detections as numpy: soft masks (N, h, w), scores, labels, class_probs (N, K+1).

    torchvision reports a box once per class that scores >= 0.05; a body unsure of its
    level comes out under several levels, so the per-image cap is raised while it runs
    (17 vertebrae x a few levels each) lest whole vertebrae be cut.
    """
    model = loaded.model.eval()
    heads: Any = model.roi_heads  # torchvision RoIHeads (typed as Module | Tensor)
    cap = int(heads.detections_per_img)
    heads.detections_per_img = max(cap, MAX_RAW_DETECTIONS)
    try:
        det = maskrcnn_raw(model, [to_tensor(small).to(model_device(model))])[0]
    finally:
        heads.detections_per_img = cap
    return {
        "masks": det["masks"][:, 0].float().cpu().numpy(),
        "scores": det["scores"].float().cpu().numpy(),
        "labels": det["labels"].cpu().numpy().astype(np.int64),
        "class_probs": det["class_probs"].float().cpu().numpy(),
    }


def _body_score(class_probs: np.ndarray, names: list[str]) -> np.ndarray:
    """How sure the net is that a box is a vertebral body, whatever its level.

    The sum of the body classes' probabilities (1 - background - other parts). The
    level is decided later by the numbering step; thresholding the winning level's
    probability instead would drop a body the net is sure of but torn between two
    neighbouring levels (17 look-alike classes: 0.2 each is common).
    """
    cols = [i + 1 for i, n in enumerate(names) if class_part_level(n)[0] == BODY]
    return class_probs[:, cols].sum(axis=1) if len(class_probs) else np.zeros(0)


def _bodies(
    soft: np.ndarray,
    scores: np.ndarray,
    labels: np.ndarray,
    probs: np.ndarray,
    is_body: np.ndarray,
    names: list[str],
    context: tuple[LevelContext | None, np.ndarray] = (None, np.zeros((0, 0), np.uint8)),
) -> list[tuple[int, str, bool]]:
    """(detection index, level, order changed) of the kept bodies, top to bottom.

    `context`: the checkpoint's level-context net (or None) and the image the detector
    saw; with the net, the chain runs over C7..S1 (`vertapp.xray.level_context`).
    """
    idx = np.flatnonzero(is_body)
    if not len(idx):
        return []
    binary = soft[idx] > 0.5
    nonempty = binary.reshape(len(idx), -1).any(axis=1)
    idx, binary = idx[nonempty], binary[nonempty]
    kept = suppress_overlapping(binary, scores[idx])
    idx, binary = idx[kept], binary[kept]
    level_cols = [i for i, n in enumerate(names) if n in VERTEBRAE]
    centres, heights = mask_geometry(binary)
    order = np.argsort(centres[:, 0], kind="stable")
    if len(level_cols) < 2:  # a parts model without levels: top to bottom, level unknown
        return [(int(idx[o]), UNKNOWN, False) for o in order]
    evidence = probs[idx][:, level_cols]
    net, small = context
    changed: np.ndarray | None = None
    if net is not None and [names[i] for i in level_cols] == list(VERTEBRAE):
        new, changed = _numbered_in_context(net, small, centres, heights, evidence, scores[idx])
    else:
        new = number_bodies(centres, evidence, scores[idx], heights)
    levels = [names[level_cols[int(n) - 1]] if n else UNKNOWN for n in new]
    if changed is None:  # order changed: the chain overrode the detector's top class
        raw = [names[int(lb) - 1] for lb in labels[idx]]
        changed = np.array([lv not in (r, UNKNOWN) for lv, r in zip(levels, raw, strict=True)])
    return [(int(idx[o]), levels[o], bool(changed[o])) for o in order]


def _numbered_in_context(
    net: LevelContext,
    small: np.ndarray,
    centres: np.ndarray,
    heights: np.ndarray,
    level_probs: np.ndarray,
    scores: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(levels 1..17 or 0, order changed) of the bodies, numbered over C7..S1 with the
    level-context net. "Order changed" here: the chain gave a body a level its own
    evidence (net and detector) finds less than ORDER_DOUBT as likely as its best. The
    detector's top class is one level off along whole films; measured against it, 14 of
    17 right bodies were flagged for the reviewer."""
    order = np.argsort(centres[:, 0], kind="stable")
    spacing = np.empty(len(order))
    spacing[order] = local_spacing(centres[order], heights[order])
    evidence = combined_evidence(net.probs(small, centres, spacing), level_probs)
    chain = number_bodies(centres, evidence, scores, heights)
    new = context_levels(chain)
    rows = np.arange(len(new))
    share = evidence[rows, np.maximum(chain - 1, 0)] / np.maximum(evidence.max(axis=1), 1e-12)
    return new, (new > 0) & (share < ORDER_DOUBT)


def _level_context(loaded: LoadedModel) -> LevelContext | None:
    """The checkpoint's level-context net (built once per loaded model), or None."""
    state = loaded.extra.get(CHECKPOINT_KEY)
    if state is None:
        return None
    net = loaded.extra.get("_level_context_net")
    if net is None:
        net = LevelContext.from_state(state, str(loaded.path or "checkpoint"))
        loaded.extra["_level_context_net"] = net
    return net


def suppress_overlapping(masks: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Indices of the bodies kept: by score, none covering > MAX_BODY_OVERLAP of another.

    Vertebral bodies do not overlap (a disc lies between two), so two masks that share
    a good part of the smaller one are one body found twice, even when their IoU is
    below the 0.5 of generic duplicate suppression (a box shifted by half a body).
    """
    if not len(masks):
        return np.zeros(0, np.int64)
    flat = masks.reshape(len(masks), -1).astype(np.float32)
    inter = flat @ flat.T
    area = flat.sum(axis=1)
    smaller = np.minimum(area[:, None], area[None, :])
    share = inter / np.maximum(smaller, 1.0)
    keep: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        if all(share[i, j] <= MAX_BODY_OVERLAP for j in keep):
            keep.append(int(i))
    return np.array(sorted(keep), np.int64)


def _full(
    soft: np.ndarray,
    shape: tuple[int, int],
    part: str,
    level: str,
    score: float,
    changed: bool = False,
) -> FoundPart:
    h, w = shape
    big = cv2.resize(soft.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    return FoundPart(part, level, big > 0.5, float(score), changed)


def predictions_coco(
    found: list[FoundPart], file_name: str, shape: tuple[int, int], model_name: str = ""
) -> dict[str, Any]:
    """COCO for one image: part categories (ids 1..4), `vertapp.vertebra` on every annotation."""
    h, w = shape
    anns: list[dict[str, Any]] = []
    for f in found:
        polys = mask_to_coco_polygons(f.mask)
        x0, y0, x1, y1 = mask_box(f.mask) or (0.0, 0.0, 0.0, 0.0)
        app: dict[str, Any] = {"vertebra": f.level, "source": "predicted", "model": model_name}
        if f.order_changed:
            app["order_changed"] = True
        anns.append(
            {
                "id": len(anns) + 1,
                "image_id": 1,
                "category_id": PART_ID[f.part],
                "segmentation": polys if polys else mask_to_rle(f.mask),
                "area": float(f.mask.sum()),
                "bbox": [x0, y0, x1 - x0, y1 - y0],
                "iscrowd": 0,
                "score": round(f.score, 5),
                "vertapp": app,
            }
        )
    return {
        "info": {"description": "VertApp radiograph predictions"},
        "images": [
            {
                "id": 1,
                "file_name": file_name,
                "width": w,
                "height": h,
                "vertapp": {"kind": "radiograph"},
            }
        ],
        "categories": [
            {"id": PART_ID[n], "name": n, "supercategory": "vertebra_part"} for n in PARTS
        ],
        "annotations": anns,
    }


def predict_zoi_coco(
    checkpoint: Path, image_path: Path, image: np.ndarray | None = None
) -> dict[str, Any]:
    """COCO of the bodies and parts `checkpoint` finds on one radiograph file, with levels.
    `image`: the file's pixels (`xray.images.read_pixels`) when the caller has read them
    (read again, the reader's warnings were said twice)."""
    from vertapp.xray.images import read_pixels

    loaded = load_checkpoint(checkpoint)
    check_radiograph_model(loaded)
    if image is None:
        image = read_pixels(Path(image_path))
    found = predict_radiograph(loaded, image)
    return predictions_coco(found, Path(image_path).name, image.shape[:2], Path(checkpoint).name)
