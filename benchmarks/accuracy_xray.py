"""Vertebral bodies on real radiographs: import a landmark dataset, train, score held-out patients.

    accuracy_xray.py train --data DATASET_DIR --work DIR [--epochs N] [--long-side 1024]
    accuracy_xray.py levels --work DIR [--model DIR/model.pt] [--epochs 40]
    accuracy_xray.py evaluate --work DIR [--model DIR/model.pt] [--no-context]
    accuracy_xray.py partial --work DIR [--model DIR/model.pt] [--no-context] [--no-canvas]

`train` imports the dataset (landmarks.csv + filenames.csv + images/, AASCE layout) into
DIR/project (images copied there: DIR must stay outside the repository), splits it by
patient (20 % of the patients held out for the test, 6 % of the rest for choosing the
best epoch), writes DIR/split.json and trains a "bodies" model (T1..L5, MobileNetV3
FPN, random init) with checkpoints every epoch; the best ends as DIR/model.pt.
`levels` trains the level-context net (`vertapp.xray.level_context`) on the training
split and stores it in the model (`train` does it at its end). `evaluate` predicts the held-out images at their full size through
`vertapp.xray.detect` and prints mean body Dice, identification (DESIGN.md; distances
in source pixels since the files carry no pixel spacing) and the share of vertebrae
whose best-overlapping prediction carries the right level. `partial` cuts two partial
views out of each held-out film, T11 to the foot ("lumbar") and the top to L2
("thoracic"), and reports identification on each (`--no-canvas`: without the smaller
views of `vertapp.xray.canvas`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from vertapp.jobs import run_job
from vertapp.ml.checkpoint import load_checkpoint
from vertapp.ml.dataset import split_by_patient
from vertapp.ml.train import train_job
from vertapp.xray.landmarks import import_landmarks_job
from vertapp.xray.parts import MODEL_VOCABULARIES
from vertapp.xray.training import radiograph_config, radiograph_samples
from vertapp.xray.validation import body_scores, summarise, validate_radiographs


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def split(samples: list, seed: int = 0) -> tuple[list, list, list]:
    """(train, val, test) by patient: test 20 % of patients, val 6 % of the others."""
    rest, test = split_by_patient(samples, 0.2, seed)
    train, val = split_by_patient(rest, 0.06, seed + 1)
    return train, val, test


def cmd_train(args: argparse.Namespace) -> None:
    work = Path(args.work)
    project = work / "project"
    if not (project / "project.json").is_file():
        log(f"importing {args.data}")
        res = run_job(import_landmarks_job(args.data, project))
        log(f"{res.n_images} images, {res.n_vertebrae} bodies, {len(res.skipped)} skipped")
    names = list(MODEL_VOCABULARIES["bodies"])
    samples = radiograph_samples(project, names, args.long_side)
    train, val, test = split(samples)
    ids = {k: [s.image_id for s in v] for k, v in (("train", train), ("val", val), ("test", test))}
    (work / "split.json").write_text(json.dumps(ids))
    log(f"{len(train)} train / {len(val)} val / {len(test)} test images")
    cfg = radiograph_config(
        "bodies", args.long_side, epochs=args.epochs, lr=args.lr, weights="none", device="cpu"
    )
    job = train_job(
        cfg,
        train,
        work / "model.pt",
        val_data=val,
        resume=args.resume,
        finetune_from=args.finetune_from,
        validator=validate_radiographs,
    )
    last = 0.0
    try:
        while True:
            p = next(job)
            if p.stage != "train" or time.time() - last > 60:
                extra = p.data.get("losses", "") if p.stage == "train" else ""
                if p.stage == "epoch":
                    extra = {k: v for k, v in p.data.items() if k.startswith("val_")}
                log(f"{p.message} {extra}")
                last = time.time()
    except StopIteration as stop:
        log(f"done: best validation Dice {stop.value.best_val_mean_dice}")
    cmd_levels(args)


def cmd_levels(args: argparse.Namespace) -> None:
    from vertapp.xray.level_context import add_level_context_job

    work = Path(args.work)
    model = Path(getattr(args, "model", None) or work / "model.pt")
    stored = load_checkpoint(model)
    train_ids = set(json.loads((work / "split.json").read_text())["train"])
    samples = radiograph_samples(work / "project", stored.class_names, stored.config.max_size)
    samples = [s for s in samples if s.image_id in train_ids]
    log(f"level context: {len(samples)} training films, {args.level_epochs} epochs")
    t0 = time.perf_counter()
    job = add_level_context_job(model, samples, args.level_epochs)
    try:
        while True:
            p = next(job)
            log(p.message)
    except StopIteration:
        log(f"level context stored in {model} ({time.perf_counter() - t0:.0f} s)")


def held_out_films(work: Path, ids: list[int]) -> Iterator[tuple[np.ndarray, list[dict]]]:
    """(image as prediction reads it, its annotations) of the project's images `ids`."""
    from vertapp.xray.training import read_radiograph

    coco = json.loads((work / "project" / "project.json").read_text())
    by_image: dict[int, list[dict]] = {}
    for ann in coco["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(ann)
    wanted = set(ids)
    for rec in coco["images"]:
        if rec["id"] in wanted:
            yield read_radiograph(work / "project" / rec["file_name"]), by_image[rec["id"]]


def cmd_evaluate(args: argparse.Namespace) -> None:
    from vertapp.xray.detect import predict_radiograph

    work = Path(args.work)
    model = Path(args.model or work / "model.pt")
    loaded = load_checkpoint(model)
    if args.no_context:
        loaded.extra.pop("level_context", None)
    ids = json.loads((work / "split.json").read_text())[args.split][: args.limit]
    from vertapp.ml.masks import segmentation_to_mask

    scores, label_ok, level_free, n_pred = [], [], [], 0
    t0 = time.perf_counter()
    for image, anns in held_out_films(work, ids):
        h, w = image.shape
        found = [f for f in predict_radiograph(loaded, image, args.score) if f.part == "body"]
        n_pred += len(found)
        gt_masks = [segmentation_to_mask(a["segmentation"], h, w) for a in anns]
        gt_levels = [a["vertapp"]["vertebra"] for a in anns]
        sc, lf = body_scores(gt_masks, gt_levels, found, (1.0, 1.0), anns[0]["image_id"])
        scores += sc
        level_free += lf
        for g, lv in zip(gt_masks, gt_levels, strict=True):
            ious = [np.logical_and(g, f.mask).sum() / np.logical_or(g, f.mask).sum() for f in found]
            label_ok.append(
                bool(ious) and max(ious) > 0.3 and found[int(np.argmax(ious))].level == lv
            )
    n_img = len(ids)
    dice = np.array([s.dice for s in scores])
    summary = summarise(scores, level_free)
    context = "without" if "level_context" not in loaded.extra else "with"
    print(f"checkpoint {model} (epoch {loaded.epoch}), {args.split} split, score >= {args.score}")
    print(f"levels numbered {context} the level-context net")
    print(f"held-out images {n_img}, vertebrae {len(scores)}, predicted bodies {n_pred}")
    print(f"mean body Dice {dice.mean():.3f} (median {np.median(dice):.3f})")
    print(
        f"identification (same level, centroid <= 20 source px, closest) "
        f"{summary['val_identification_rate']:.1%}"
    )
    print(f"level of best-overlapping prediction (IoU > 0.3) correct {np.mean(label_ok):.1%}")
    print(
        "body Dice of the best-overlapping prediction, any level "
        f"{summary['val_level_free_dice']:.3f}"
    )
    print(f"predict time per image {(time.perf_counter() - t0) / max(n_img, 1):.2f} s")


def cmd_partial(args: argparse.Namespace) -> None:
    from vertapp.ml.masks import segmentation_to_mask
    from vertapp.xray import detect

    work = Path(args.work)
    loaded = load_checkpoint(Path(args.model or work / "model.pt"))
    if args.no_context:
        loaded.extra.pop("level_context", None)
    if args.no_canvas:
        detect.CANVAS_FACTORS = (1.0,)
    ids = json.loads((work / "split.json").read_text())["test"]
    hits: dict[str, list[bool]] = {"lumbar": [], "thoracic": []}
    t0 = time.perf_counter()
    for image, anns in held_out_films(work, ids):
        h, w = image.shape
        gt = {
            a["vertapp"]["vertebra"]: np.argwhere(segmentation_to_mask(a["segmentation"], h, w))
            for a in anns
        }
        centre = {lv: px.mean(axis=0) for lv, px in gt.items()}
        if "T11" not in centre or "L2" not in centre:
            continue
        cuts = {"lumbar": (int(centre["T11"][0]), h), "thoracic": (0, int(centre["L2"][0]))}
        for name, (r0, r1) in cuts.items():
            found = [f for f in detect.predict_radiograph(loaded, image[r0:r1]) if f.part == "body"]
            cs = np.array([np.argwhere(f.mask).mean(axis=0) for f in found]).reshape(-1, 2)
            for lv, c in centre.items():
                if not r0 + 20 < c[0] < r1 - 20:
                    continue  # cut through: not a vertebra of this view
                d = np.linalg.norm(cs - (c - [r0, 0]), axis=1) if len(cs) else np.array([np.inf])
                j = int(np.argmin(d))
                hits[name].append(bool(d[j] <= 20 and found[j].level == lv))
    print(
        f"partial views of {len(ids)} held-out films, context {not args.no_context}, "
        f"canvas {not args.no_canvas}, {time.perf_counter() - t0:.0f} s"
    )
    for name, ok in hits.items():
        print(f"{name}: identification {np.mean(ok):.1%} of {len(ok)} vertebrae")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--work", required=True)
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--lr", type=float, default=0.02)
    t.add_argument("--long-side", type=int, default=1024)
    t.add_argument("--resume")
    t.add_argument("--finetune-from", help="start from this checkpoint's weights, fresh schedule")
    t.add_argument("--level-epochs", type=int, default=40, help="level-context net epochs")
    lv = sub.add_parser("levels")
    lv.add_argument("--work", required=True)
    lv.add_argument("--model")
    lv.add_argument("--level-epochs", type=int, default=40)
    e = sub.add_parser("evaluate")
    e.add_argument("--work", required=True)
    e.add_argument("--model")
    e.add_argument("--limit", type=int, help="first N held-out images only (smoke runs)")
    e.add_argument("--split", choices=("test", "val"), default="test")
    e.add_argument("--score", type=float, help="score threshold (default: the model's)")
    e.add_argument("--no-context", action="store_true", help="number without the level net")
    pv = sub.add_parser("partial")
    pv.add_argument("--work", required=True)
    pv.add_argument("--model")
    pv.add_argument("--no-context", action="store_true", help="number without the level net")
    pv.add_argument("--no-canvas", action="store_true", help="the film at one size only")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    commands = {"train": cmd_train, "levels": cmd_levels, "evaluate": cmd_evaluate}
    commands["partial"] = cmd_partial
    commands[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
