"""Benchmark the ml engine: inference ms/image, training images/s, predict-path overhead.

    .venv/bin/python benchmarks/bench_ml.py [--quick] [--threads N]

Rows (CPU always, CUDA when present), at 512 and 1024 px:
- inference: bare `model([image])` vs our predict path (`predict_job`: per-class
  probabilities, thresholding, duplicate suppression, top-to-bottom ordering), and
  the COCO conversion (polygons + RLE) separately; target predict/bare <= 1.15x.
- training: `train_job` (augmentation on the fly, warm-up, AMP on CUDA) vs a loop in
  the style of torchvision's references/detection engine.py over the same
  DataLoader, model and batch; target ours/reference >= 1.0x.
The model is the fast preset's (ResNet-18 FPN-128) and, on CUDA, the paper preset's;
`--presets fast mobile paper` adds CPU rows for MobileNetV3-Large FPN and ResNet-101 FPN (the paper preset).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader

from vertapp.jobs import run_job
from vertapp.ml.checkpoint import LoadedModel
from vertapp.ml.coco_out import predictions_to_coco
from vertapp.ml.config import TrainConfig, preset
from vertapp.ml.data import ViewDataset, collate
from vertapp.ml.dataset import Sample
from vertapp.ml.model import build_model
from vertapp.ml.predict import predict_job, to_tensor
from vertapp.ml.train import train_job


def spine(size: int, seed: int = 0, count: int = 12) -> Sample:
    """A tall spine-like image: `count` rounded blocks, intensity and size varying."""
    rng = np.random.default_rng(seed)
    img = rng.normal(25, 6, (size, size))
    pitch = (size - 16) / count
    masks = []
    for i in range(count):
        m = np.zeros((size, size), np.uint8)
        top = int(8 + i * pitch)
        x0 = int(size * 0.35)
        cv2.rectangle(m, (x0, top), (x0 + int(size * 0.25), top + int(pitch * 0.75)), 1, -1)
        mask = cv2.GaussianBlur(m.astype(np.float32), (0, 0), 2) > 0.5
        img[mask] = 120 + 6 * i + rng.normal(0, 8, int(mask.sum()))
        masks.append(mask)
    return Sample(
        img.clip(0, 255).astype(np.uint8),
        np.array(masks),
        np.arange(1, count + 1, dtype=np.int64),
        patient=f"p{seed}",
    )


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fns: list[Any], repeat: int, device: torch.device) -> list[float]:
    """Best seconds of each function over `repeat` interleaved rounds (after a warm-up).

    Interleaving and the minimum keep the comparison fair on a shared, noisy machine.
    """
    best = [float("inf")] * len(fns)
    for r in range(repeat + 1):
        for i, fn in enumerate(fns):
            sync(device)
            t = time.perf_counter()
            fn()
            sync(device)
            if r:
                best[i] = min(best[i], time.perf_counter() - t)
    return best


def bench_inference(cfg: TrainConfig, device: torch.device, size: int, repeat: int) -> dict:
    cfg = cfg.override(min_size=size, max_size=size, weights="none")
    model = build_model(cfg).to(device).eval()
    loaded = LoadedModel(model, cfg, list(cfg.class_names))
    image = spine(size).image
    x = to_tensor(image).to(device)

    def bare() -> None:
        with torch.inference_mode():
            model([x])

    preds: list = []

    def ours() -> None:
        preds[:] = run_job(predict_job(loaded, [image], score_thresh=0.0))

    t_bare, t_ours = timed([bare, ours], repeat, device)
    rec = [{"id": 1, "file_name": "x.png", "height": size, "width": size}]
    (t_coco,) = timed([lambda: predictions_to_coco(preds, rec, cfg.class_names)], repeat, device)
    return {
        "bare_ms": t_bare * 1e3,
        "ours_ms": t_ours * 1e3,
        "coco_ms": t_coco * 1e3,
        "n_det": len(preds[0]) if preds else 0,
    }


def reference_loop(cfg: TrainConfig, ds: ViewDataset, device: torch.device, iters: int) -> float:
    """torchvision references/detection engine.py's train_one_epoch, minus logging."""
    torch.manual_seed(cfg.seed)
    model = build_model(cfg).to(device).train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=cfg.lr * 0.1, momentum=0.9, weight_decay=1e-4)
    scaler = torch.amp.GradScaler("cuda", enabled=device.type == "cuda")
    loader = DataLoader(
        ds, batch_size=cfg.batch_size, shuffle=True, collate_fn=collate, num_workers=cfg.workers
    )
    n_img, t0 = 0, 0.0
    for done, (images, targets) in enumerate(loader, start=1):
        images = [im.to(device) for im in images]
        targets = [{k: v.to(device) for k, v in t.items()} for t in targets]
        with torch.autocast(device.type, enabled=device.type == "cuda"):
            loss = sum(model(images, targets).values())
        opt.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        if done == 1:  # time from the end of the first (warm-up) step, like ours_loop
            sync(device)
            t0 = time.perf_counter()
        else:
            n_img += len(images)
        if done > iters:
            break
    sync(device)
    return n_img / (time.perf_counter() - t0)


def ours_loop(cfg: TrainConfig, samples: list[Sample], iters: int, tmp: str) -> float:
    stamps: list[tuple[float, int]] = []

    def on(event: Any) -> None:
        if event.stage == "train" and event.data:
            stamps.append((time.perf_counter(), event.data["iteration"]))

    run_job(
        train_job(
            cfg.override(max_iterations=iters + 1, lr=cfg.lr * 0.1),
            samples,
            f"{tmp}/bench.pt",
            val_data=[],
        ),
        on,
    )
    (t0, i0), (t1, i1) = stamps[0], stamps[-1]
    return (i1 - i0) * cfg.batch_size / (t1 - t0)


def bench_training(cfg: TrainConfig, device: torch.device, size: int, iters: int) -> dict:
    import tempfile

    cfg = cfg.override(
        min_size=size,
        max_size=size,
        weights="none",
        device=device.type,
        val_fraction=0.0,
        epochs=1000,
        views_per_image=16,
    )
    samples = [spine(size, seed=s) for s in range(2)]
    ds = ViewDataset(samples, cfg)
    with tempfile.TemporaryDirectory() as tmp:
        ours = ours_loop(cfg, samples, iters, tmp)
    ref = reference_loop(cfg, ds, device, iters)
    return {"ours_ips": ours, "ref_ips": ref}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="512 px only, fewer repeats")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (torch)")
    ap.add_argument("--sizes", type=int, nargs="+", help="image sizes (default 512 1024)")
    ap.add_argument(
        "--presets",
        nargs="+",
        default=["fast"],
        help="presets for the CPU rows (e.g. fast mobile paper: ResNet-18, MobileNetV3, ResNet-101)",
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sizes = args.sizes or ([512] if args.quick else [512, 1024])
    repeat, iters = (3, 3) if args.quick else (5, 6)
    runs: list[tuple[str, TrainConfig, torch.device]] = [
        (name, preset(name), torch.device("cpu")) for name in args.presets
    ]
    if torch.cuda.is_available():
        runs += [
            ("fast", preset("fast"), torch.device("cuda")),
            ("paper", preset("paper"), torch.device("cuda")),
        ]
    print(
        f"torch {torch.__version__}, CPU threads {args.threads}, "
        f"CUDA: {torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'}"
    )
    head = (
        f"{'device':<7}{'model':<7}{'size':>5} | {'bare ms':>8}{'predict ms':>11}"
        f"{'ratio':>7}{'coco ms':>8} | {'train img/s':>12}{'ref img/s':>10}{'ratio':>7}"
    )
    print(head)
    print("-" * len(head))
    for name, cfg, device in runs:
        for size in sizes:
            inf = bench_inference(cfg, device, size, repeat)
            tr = bench_training(cfg, device, size, iters)
            print(
                f"{device.type:<7}{name:<7}{size:>5} | {inf['bare_ms']:>8.0f}"
                f"{inf['ours_ms']:>11.0f}{inf['ours_ms'] / inf['bare_ms']:>6.2f}x"
                f"{inf['coco_ms']:>8.0f} | {tr['ours_ips']:>12.2f}{tr['ref_ips']:>10.2f}"
                f"{tr['ours_ips'] / tr['ref_ips']:>6.2f}x",
                flush=True,
            )
    print(
        "predict ratio = predict path / bare forward (target <= 1.15x); train ratio = "
        "train_job / reference loop, same model, batch and data (target >= 1.0x)"
    )


if __name__ == "__main__":
    main()
