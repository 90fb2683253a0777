"""Training as a job: a generator yielding `Progress` per iteration and per epoch.

Cancelling (closing the generator) takes effect at the next yield, i.e. within one
iteration. Checkpoints are written every epoch to `<out>.last.pt`; the best one by
validation mean Dice to `<out>.best.pt`; at the end the best moves to `out`, marked with
the epochs trained, so a run leaves two files (`out` and the last epoch's, for resuming).
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler

from vertapp.annotations.landmarks import record_hip_top_row
from vertapp.errors import ModelError, VertAppError
from vertapp.jobs import WARNINGS, Job, Progress, run_job
from vertapp.ml import distributed as dist_utils
from vertapp.ml import trained_on
from vertapp.ml.checkpoint import LoadedModel, read_checkpoint, save_checkpoint, stored_config
from vertapp.ml.config import TrainConfig, finetune_config
from vertapp.ml.ct_variants import with_ct_variants
from vertapp.ml.data import ViewDataset, collate, pad_unet_batch
from vertapp.ml.dataset import (
    Sample,
    class_names_from_coco,
    foreign_categories,
    forget_reads,
    images_to_review,
    load_samples,
    read_coco,
    resolve_dataset_path,
    split_by_patient,
)
from vertapp.ml.metrics import score_image, union_by_label
from vertapp.ml.model import build_model
from vertapp.ml.predict import predict_job
from vertapp.ml.unet import unet_loss
from vertapp.ml.words import bare_sentence, empty_sentence, foreign_sentence, images_phrase


class TrainingError(VertAppError):
    """Training cannot go on (non-finite loss, out of memory at batch 1, no data...)."""


# (model, config, validation samples) -> metrics; "val_mean_dice" picks the best epoch
Validator = Callable[[nn.Module, TrainConfig, list[Sample]], dict[str, float]]


@dataclass
class TrainResult:
    out: Path
    last: Path
    best: Path | None
    epochs: int
    best_val_mean_dice: float | None
    history: list[dict[str, Any]] = field(default_factory=list)
    # a fine-tune none of whose epochs beat its start on the validation images: `out`
    # holds the start's weights (`_score_start`)
    kept_start: bool = False


def checkpoint_paths(out: Path) -> tuple[Path, Path]:
    """(last, best) checkpoint paths next to `out`."""
    stem = out.name[:-3] if out.name.endswith(".pt") else out.name
    return out.with_name(stem + ".last.pt"), out.with_name(stem + ".best.pt")


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise TrainingError("--device cuda asked for, but no CUDA GPU is available")
    if name not in ("cpu",) and not name.startswith("cuda"):
        raise TrainingError(f"unknown device {name!r} (auto, cpu or cuda)")
    return torch.device(name)


def lr_factor(cfg: TrainConfig, it: int, total: int) -> float:
    """Linear warm-up from 0.001x, then constant or cosine down to 5% of lr."""
    if it < cfg.warmup_iters:
        alpha = it / max(cfg.warmup_iters, 1)
        return 0.001 * (1 - alpha) + alpha
    if cfg.lr_schedule == "constant":
        return 1.0
    t = (it - cfg.warmup_iters) / max(total - cfg.warmup_iters, 1)
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))


def _read_samples(
    data: str | Path | list[Sample], cfg: TrainConfig, about: str = ""
) -> Job[list[Sample]]:
    """The samples to train on. A dataset file's images still in review are left out, and
    what the run leaves out or learns only as background is said once, before training:
    one "load" event whose data holds the sentences under WARNINGS (in-memory samples
    were chosen by the caller, nothing to say). `about`: which data ("phantoms")."""
    if not isinstance(data, str | Path):
        return list(data)
    kept = labelled_only(load_samples(data, cfg.class_names), data)
    words = [f"{about}: {w}" if about else w for w in left_out(data, kept, cfg.class_names)]
    if words:
        yield Progress("load", None, "; ".join(words), {WARNINGS: words})
    return kept


def labelled_only(samples: list[Sample], data: str | Path) -> list[Sample]:
    """The dataset's images less those still holding predictions to review (`left_out`
    says how many)."""
    pending = images_to_review(read_coco(resolve_dataset_path(data)[0]))
    return [s for s in samples if s.image_id not in pending]


def left_out(
    data: str | Path,
    kept: list[Sample],
    class_names: list[str] | None,
    unclassed: Sequence[str] = (),
) -> list[str]:
    """What a run on the dataset file `data` leaves out, or learns only as background, in
    words, for the run to say before it trains. `kept`: the samples it trains on.
    `class_names` None: categories are not judged here (radiographs map by level,
    `vertapp.xray.training.class_of`); the caller's `unclassed` sentences say what its
    mapping left out (`xray.training.unclassed_words`), where a CT run says its foreign
    categories. Images are named by id, never by file name: a file name may carry the
    patient's (DESIGN.md, no identifiers)."""
    coco = read_coco(resolve_dataset_path(data)[0])
    words = []
    pending = sorted(images_to_review(coco))
    if pending:
        words.append(
            f"{images_phrase(pending)} left out of training: still holding predictions nobody "
            "reviewed (review them first, or reject what is wrong)"
        )
    foreign = foreign_categories(coco, class_names) if class_names is not None else {}
    words += [foreign_sentence(name, n) for name, n in foreign.items()]
    words += unclassed
    words += [empty_sentence(name, n) for name, n in _empty_outlines(kept).items()]
    bare = [s.image_id for s in kept if not len(s.labels)]
    if bare:
        words.append(bare_sentence(bare))
    return words


def _empty_outlines(kept: list[Sample]) -> dict[str, int]:
    """Category -> outlines of the `kept` images left out for covering no pixel, as the
    reader counted them (`Sample.empty_outlines`): an image left out whole says nothing."""
    counts: dict[str, int] = {}
    for sample in kept:
        for name, n in sample.empty_outlines.items():
            counts[name] = counts.get(name, 0) + n
    return counts


def default_class_names(data: str | Path | list[Sample]) -> list[str] | None:
    """The dataset's own vocabulary (vertebrae or radiograph parts), when it is a file."""
    if isinstance(data, str | Path):
        return class_names_from_coco(read_coco(resolve_dataset_path(data)[0]))
    return None


@dataclass
class _State:
    model: nn.Module
    net: nn.Module  # `model`, or its DDP wrapper
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    scaler: torch.amp.GradScaler
    epoch: int = 0
    iteration: int = 0
    best: float | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    trained_on: dict[str, list[str]] = field(default_factory=dict)  # vertapp.ml.trained_on


def _build_state(cfg: TrainConfig, device: torch.device, total: int, ctx: Any) -> _State:
    torch.manual_seed(cfg.seed)
    model = build_model(cfg).to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: lr_factor(cfg, it, total))
    scaler = torch.amp.GradScaler("cuda", enabled=cfg.amp and device.type == "cuda")
    net = dist_utils.wrap(model, device, ctx)
    return _State(model, net, opt, sched, scaler)


# What a run saves besides the weights to be resumed; a finished model may lack them.
RUN_STATE = ("optimizer", "scheduler")


def check_resumable(ckpt: dict[str, Any], path: str | Path) -> None:
    """ModelError in words for a checkpoint that holds no run to continue (the shipped
    starter, an exported model): it said "does not fit ('optimizer')", naming no file."""
    missing = [k for k in RUN_STATE if not isinstance(ckpt.get(k), dict)]
    if missing:
        raise ModelError(
            f"{path}: cannot resume: the checkpoint holds no {' or '.join(missing)} state "
            "(a finished or shipped model, not a run's last epoch); to train on from its "
            "weights, fine-tune from it (--finetune-from)"
        )


def _restore(state: _State, ckpt: dict[str, Any], path: str | Path) -> None:
    try:
        state.model.load_state_dict(ckpt["model"])
        state.optimizer.load_state_dict(ckpt["optimizer"])
        state.scheduler.load_state_dict(ckpt["scheduler"])
        if ckpt.get("scaler"):
            state.scaler.load_state_dict(ckpt["scaler"])
    except (RuntimeError, ValueError, KeyError, TypeError) as err:
        first = str(err).splitlines()[0][:200]
        raise ModelError(f"{path}: cannot resume: its run state does not fit ({first})") from err
    rng = ckpt.get("torch_rng")
    if isinstance(rng, torch.Tensor) and rng.dtype == torch.uint8:  # older runs: reseeded
        torch.set_rng_state(rng)
    state.epoch = int(ckpt.get("epoch", 0))
    state.iteration = int(ckpt.get("iteration", 0))
    state.best = ckpt.get("best_val_mean_dice")
    state.history = list(ckpt.get("history", []))


def _load_weights(model: nn.Module, weights: dict[str, Any], path: str | Path) -> None:
    try:
        model.load_state_dict(weights)
    except (RuntimeError, ValueError, KeyError) as err:
        first = str(err).splitlines()[0][:200]
        raise ModelError(
            f"{path}: cannot fine-tune from it: its weights do not fit its own config ({first})"
        ) from err


def _checkpoint(state: _State, cfg: TrainConfig) -> dict[str, Any]:
    return {
        "arch": cfg.arch,
        "model": state.model.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "scheduler": state.scheduler.state_dict(),
        "scaler": state.scaler.state_dict() if state.scaler.is_enabled() else {},
        "epoch": state.epoch,
        "iteration": state.iteration,
        "config": cfg.to_dict(),
        "class_names": list(cfg.class_names),
        "best_val_mean_dice": state.best,
        "history": state.history,
        "trained_on": state.trained_on,
        # the RPN and RoI heads draw their samples from torch's global generator: kept,
        # a resumed run goes on as the uninterrupted one would have (reseeded, it did not)
        "torch_rng": torch.get_rng_state(),
    }


def _losses(net: nn.Module, cfg: TrainConfig, batch: Any, device: torch.device) -> dict[str, Any]:
    images, targets = batch
    with torch.autocast(device.type, enabled=cfg.amp and device.type == "cuda"):
        if cfg.arch == "unet":
            x, y = pad_unet_batch(images, targets)
            return unet_loss(net(x.to(device)), y.to(device))
        imgs = [im.to(device, non_blocking=True) for im in images]
        tgts = [{k: v.to(device, non_blocking=True) for k, v in t.items()} for t in targets]
        return net(imgs, tgts)


def _step(state: _State, cfg: TrainConfig, batch: Any, device: torch.device) -> dict[str, float]:
    loss_dict = _losses(state.net, cfg, batch, device)
    total = sum(loss_dict.values())
    values = {k: float(v.detach()) for k, v in loss_dict.items()}
    values["total"] = float(total.detach())
    if not math.isfinite(values["total"]):
        bad = ", ".join(f"{k}={v:.3g}" for k, v in values.items())
        raise TrainingError(
            f"loss became non-finite at epoch {state.epoch + 1}, iteration "
            f"{state.iteration + 1} ({bad}); try a lower --lr"
        )
    state.optimizer.zero_grad(set_to_none=True)
    state.scaler.scale(total).backward()
    state.scaler.step(state.optimizer)
    state.scaler.update()
    state.scheduler.step()
    state.iteration += 1
    return values


def validation_metrics(
    model: nn.Module, cfg: TrainConfig, samples: list[Sample]
) -> dict[str, float]:
    """The default validator: `validate`'s mean Dice and identification rate."""
    dice, ident = validate(model, cfg, samples)
    return {"val_mean_dice": dice, "val_identification_rate": ident}


def validate(model: nn.Module, cfg: TrainConfig, samples: list[Sample]) -> tuple[float, float]:
    """(mean Dice, identification rate) of `model` on `samples` (DESIGN definitions)."""
    loaded = LoadedModel(model, cfg, list(cfg.class_names))
    was_training = model.training
    hips = [record_hip_top_row(s.record.get("vertapp")) for s in samples]
    preds = run_job(predict_job(loaded, [s.image for s in samples], hip_top_rows=hips))
    model.train(was_training)
    scores = []
    for s, p in zip(samples, preds, strict=True):
        names = list(cfg.class_names)
        shape = s.image.shape
        gt = union_by_label(list(s.masks), [names[i - 1] for i in s.labels], shape)
        pr = union_by_label(list(p.masks), [names[i - 1] for i in p.labels], shape)
        scores += score_image(gt, pr, s.spacing_mm)[0]
    if not scores:
        return 0.0, 0.0
    return float(np.mean([v.dice for v in scores])), float(np.mean([v.identified for v in scores]))


def _loader(ds: ViewDataset, cfg: TrainConfig, batch: int, ctx: Any) -> DataLoader:
    sampler: DistributedSampler | None = (
        DistributedSampler(ds, ctx.world_size, ctx.rank, shuffle=True, seed=cfg.seed)
        if ctx.world_size > 1
        else None
    )
    gen = torch.Generator().manual_seed(cfg.seed + ds.epoch)
    return DataLoader(
        ds,
        batch_size=batch,
        shuffle=sampler is None,
        sampler=sampler,
        generator=gen,
        collate_fn=collate,
        num_workers=cfg.workers,
        drop_last=len(ds) > batch,
    )


def train_job(
    config: TrainConfig,
    data: str | Path | list[Sample],
    out: str | Path,
    *,
    resume: str | Path | None = None,
    val_data: list[Sample] | None = None,
    phantoms: str | Path | list[Sample] | None = None,
    finetune_from: str | Path | None = None,
    validator: Validator | None = None,
    own_threshold: bool = False,
    stored: dict[str, Any] | None = None,
) -> Job[TrainResult]:
    """Train on a project folder / COCO file (or in-memory samples); returns a TrainResult.

    `own_threshold`: a fine-tune keeps `config`'s score threshold (the user set one)
    instead of taking its start's. `stored`: the checkpoint `resume` or `finetune_from`
    names, when the caller has read it already (`read_checkpoint`), so it is not read again.

    With `resume`, the model, optimizer, scheduler, epoch and history come from that
    checkpoint and training continues up to `config.epochs`. `phantoms`: synthetic images
    mixed into training (never into validation), `config.real_share` of the views coming
    from `data`'s training images (None: in proportion to the image counts).
    `finetune_from`: start from that checkpoint's weights, architecture and vocabulary
    (config.MODEL_FIELDS) with a fresh optimizer and schedule; the run settings
    (epochs, lr, batch, ...) are `config`'s. `validator`: how an epoch is scored on the
    validation images (default `validation_metrics`; radiographs number their bodies with
    the ordering step first, `vertapp.xray.validation`).
    """
    out = Path(out)
    if resume and finetune_from:
        raise ModelError("resume and fine-tune exclude each other: resume continues a run")
    ckpt = None
    if resume:
        ckpt = stored if stored is not None else read_checkpoint(resume)
        check_resumable(ckpt, resume)  # before the data is read and the model built
    start = None
    if finetune_from:
        start = stored if stored is not None else read_checkpoint(finetune_from)
    cfg = _resolve_config(config, data, ckpt)
    if start is not None:
        # stored_config: a checkpoint older than a model field gets what it was built
        # with (the CT input floor of the starter, ml/input_scale.py)
        cfg = finetune_config(config, stored_config(start, finetune_from or "checkpoint"))
        if own_threshold:
            cfg = cfg.override(score_thresh=config.score_thresh)
    ctx = dist_utils.setup(cfg.device)
    try:
        result = yield from _train(
            cfg,
            data,
            out,
            ckpt,
            val_data,
            ctx,
            phantoms,
            start,
            validator or validation_metrics,
            Path(resume) if resume else None,
            Path(finetune_from) if finetune_from else None,
        )
    finally:
        dist_utils.teardown(ctx)
    return result


def _resolve_config(
    config: TrainConfig, data: str | Path | list[Sample], ckpt: dict[str, Any] | None
) -> TrainConfig:
    if ckpt is None:
        names = default_class_names(data)
        cfg = config.override(class_names=names) if names else config.override()
        return cfg
    stored = stored_config(ckpt, "checkpoint")
    # Resuming keeps the stored model and data settings; only the run length,
    # device and worker count may change.
    return stored.override(
        epochs=config.epochs,
        device=config.device,
        workers=config.workers,
        # the stored cap belongs to the earlier call: without a new one a resume runs to
        # --epochs (a stored --max-iters 1 ended every resume after one step, unsaid)
        max_iterations=config.max_iterations or 0,
    )


def _train(
    cfg: TrainConfig,
    data: str | Path | list[Sample],
    out: Path,
    ckpt: dict[str, Any] | None,
    val_data: list[Sample] | None,
    ctx: Any,
    phantoms: str | Path | list[Sample] | None = None,
    start: dict[str, Any] | None = None,
    validator: Validator | None = None,
    resume: Path | None = None,
    start_path: Path | None = None,
) -> Job[TrainResult]:
    device = ctx.device
    earlier_out = _run_out(resume) if resume else None
    yield Progress("load", None, "reading dataset")
    samples = yield from _read_samples(data, cfg)
    if val_data is None:
        train_s, val_s = split_by_patient(samples, cfg.val_fraction, cfg.seed)
    else:
        train_s, val_s = samples, list(val_data)
    if isinstance(data, str | Path) and cfg.ct_variants:
        yield Progress("load", None, f"re-slicing the imported CTs ({cfg.ct_variants} each)")
        root = resolve_dataset_path(data)[1]
        train_s = with_ct_variants(train_s, root, cfg.ct_variants, cfg.class_names, cfg.seed)
    n_real = len(train_s)
    # before the phantoms; the re-sliced copies' patients are their originals'
    learnt = _trained_on(train_s, ckpt, start, start_path)
    if phantoms is not None:
        train_s = train_s + (yield from _read_samples(phantoms, cfg, "phantoms"))
    forget_reads()  # nothing reads the dataset again: its parsed copy need not stay
    if not train_s or not any(len(s.labels) for s in train_s):
        raise TrainingError("no annotated training images in the dataset")
    ds = ViewDataset(train_s, cfg, n_real=n_real if phantoms is not None else None)
    mixed = f" ({len(train_s) - n_real} phantom)" if phantoms is not None else ""
    batch = cfg.batch_size
    per_epoch = max(1, len(ds) // (batch * ctx.world_size))
    total = cfg.epochs * per_epoch
    state = _build_state(cfg, device, total, ctx)
    state.trained_on = learnt
    if ckpt is not None:
        _restore(state, ckpt, resume or "checkpoint")
    if start is not None:
        _load_weights(state.model, start["model"], start_path or "checkpoint")
    last, best_path = checkpoint_paths(out)
    if start is not None and val_s:
        yield from _score_start(state, cfg, val_s, best_path, ctx, validator)
    yield Progress(
        "train",
        None,
        f"{len(train_s)} train{mixed} / {len(val_s)} validation images, "
        f"{ctx.world_size} {'process' if ctx.world_size == 1 else 'processes'} on {device}",
    )
    t_iter: list[float] = []
    while state.epoch < cfg.epochs:
        ds.epoch = state.epoch
        loader = _loader(ds, cfg, batch, ctx)
        if isinstance(loader.sampler, DistributedSampler):
            loader.sampler.set_epoch(state.epoch)
        state.net.train()
        epoch_losses: list[float] = []
        t0 = time.perf_counter()
        try:
            for i, b in enumerate(loader):
                losses = _step(state, cfg, b, device)
                # wall time per iteration, data loading included
                t_iter.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                epoch_losses.append(losses["total"])
                mean_t = float(np.mean(t_iter[-20:]))
                done = state.epoch * per_epoch + i + 1
                yield Progress(
                    "train",
                    min(done / total, 1.0),
                    f"epoch {state.epoch + 1}/{cfg.epochs} it {i + 1}/{per_epoch} "
                    f"loss {losses['total']:.3f}",
                    {
                        "iteration": state.iteration,
                        "epoch": state.epoch + 1,
                        "losses": losses,
                        "lr": state.optimizer.param_groups[0]["lr"],
                        "images_per_s": len(b[0]) * ctx.world_size / mean_t,
                        "eta_s": mean_t * max(total - done, 0),
                    },
                )
                if cfg.max_iterations and state.iteration >= cfg.max_iterations:
                    break
        except torch.OutOfMemoryError as err:
            batch = _smaller_batch(batch, ctx, err)
            per_epoch = max(1, len(ds) // (batch * ctx.world_size))
            total = cfg.epochs * per_epoch  # progress only; the lr schedule keeps its length
            state.optimizer.zero_grad(set_to_none=True)
            yield Progress(
                "train", None, f"CUDA out of memory: retrying the epoch with batch {batch}"
            )
            continue
        state.epoch += 1
        summary = yield from _end_epoch(
            state, cfg, val_s, epoch_losses, last, best_path, ctx, validator
        )
        yield Progress("epoch", state.epoch / cfg.epochs, summary["message"], summary)
        if cfg.max_iterations and state.iteration >= cfg.max_iterations:
            break
    had_best = False
    if ctx.is_main:
        # A resumed run whose epochs never beat the stored best keeps the earlier run's
        # best, which is `out` already (its best file was folded into it then).
        if ckpt is not None and state.best is not None and not best_path.is_file():
            _carry_earlier_best(out, earlier_out)
        keep = ckpt is not None and state.best is not None and out.is_file()
        had_best = _finish_checkpoints(out, last, best_path, state.epoch, keep)
    return TrainResult(
        out,
        last,
        out if had_best else None,
        state.epoch,
        state.best,
        state.history,
        kept_start=_start_kept(state.history),
    )


def _score_start(
    state: _State,
    cfg: TrainConfig,
    val_s: list[Sample],
    best_path: Path,
    ctx: Any,
    validator: Validator | None,
) -> Job[None]:
    """A fine-tune's start is its epoch 0: scored on the validation images and saved as
    the best so far, so an epoch must beat it to become the model. On a user's few scans a
    fine-tune can end worse than where it began (10 minutes on one short scan took a
    starter from Dice 0.727 to 0.606 on scans it was not given, docs/ml.md); the start
    is then kept, and the run says so, instead of handing over the worse model."""
    if ctx.is_main:
        yield Progress("validate", None, "validating the start: an epoch must beat it")
        summary = (validator or validation_metrics)(state.model, cfg, val_s)
        state.best = summary["val_mean_dice"]
        state.history.append({"epoch": 0, "train_loss": None, **summary, "start": True})
        save_checkpoint(best_path, _checkpoint(state, cfg))
    dist_utils.barrier(ctx)


def _trained_on(
    train_s: list[Sample],
    ckpt: dict[str, Any] | None,
    start: dict[str, Any] | None,
    start_path: Path | None,
) -> dict[str, list[str]]:
    """What the run's model will have learnt from: its training split, and what the model
    it continues (a fine-tune's start, a resumed run) had (`vertapp.ml.trained_on`)."""
    record = trained_on.of_samples(train_s)
    if start is not None:
        record = record | trained_on.of_checkpoint(start, start_path)
    if ckpt is not None:
        record = record | trained_on.read(ckpt.get(trained_on.TRAINED_ON))
    return record.plain()


def _start_kept(history: list[dict[str, Any]]) -> bool:
    """Whether the start (epoch 0, `_score_start`) stayed the best: no epoch validated
    higher. False for a run whose start was not scored."""
    start = [h["val_mean_dice"] for h in history if h.get("start")]
    if not start or start[0] is None:
        return False
    later = [h["val_mean_dice"] for h in history if not h.get("start")]
    return not any(d is not None and d > start[0] for d in later)


def _run_out(resume: Path) -> Path:
    """The model file of the run `resume` continues (X.last.pt -> X.pt; a model: itself)."""
    name = resume.name
    return (
        resume.with_name(name[: -len(".last.pt")] + ".pt") if name.endswith(".last.pt") else resume
    )


def _carry_earlier_best(out: Path, earlier: Path | None) -> None:
    """A resumed run saved under a new name whose epochs never beat the earlier best:
    that best is the model, so it is copied to `out` (the last epoch went there, labelled
    with the earlier best's score)."""
    if earlier is not None and earlier.is_file() and not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(earlier, out)


def _finish_checkpoints(
    out: Path, last: Path, best_path: Path, epochs: int, keep_out: bool = False
) -> bool:
    """`out` gets the best epoch (else the last) with `epochs_trained`; the best file goes.

    A checkpoint is ~160 MB: three per run (out, last, best) filled disks. The best one
    is `out` now; the last one stays for resuming. True when there was a best one.
    `keep_out`: with no new best file, `out` (an earlier best) stays the best.
    """
    had_best = best_path.is_file()
    source = best_path if had_best else (out if keep_out else last)
    data = torch.load(source, map_location="cpu", weights_only=True)
    data["epochs_trained"] = epochs  # the best may be epoch 1 of a 3-epoch run: say both
    save_checkpoint(out, data)
    best_path.unlink(missing_ok=True)
    return had_best or keep_out


def _smaller_batch(batch: int, ctx: Any, err: Exception) -> int:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if batch <= 1 or ctx.world_size > 1:
        raise TrainingError(
            f"CUDA out of memory at batch {batch}; use a smaller --batch, a smaller "
            "image size (preset fast) or --device cpu"
        ) from err
    return max(1, batch // 2)


def _end_epoch(
    state: _State,
    cfg: TrainConfig,
    val_s: list[Sample],
    epoch_losses: list[float],
    last: Path,
    best_path: Path,
    ctx: Any,
    validator: Validator | None = None,
) -> Job[dict[str, Any]]:
    """Validate, record, checkpoint (main process only); returns the epoch summary."""
    summary: dict[str, Any] = {
        "epoch": state.epoch,
        "train_loss": float(np.mean(epoch_losses)) if epoch_losses else None,
        "val_mean_dice": None,
        "val_identification_rate": None,
    }
    if ctx.is_main:
        if val_s:
            yield Progress("validate", None, f"validating epoch {state.epoch}")
            summary.update((validator or validation_metrics)(state.model, cfg, val_s))
        state.history.append(dict(summary))
        improved = summary["val_mean_dice"] is not None and (
            state.best is None or summary["val_mean_dice"] > state.best
        )
        if improved:
            state.best = summary["val_mean_dice"]
        ckpt = _checkpoint(state, cfg)
        save_checkpoint(last, ckpt)
        if improved:
            save_checkpoint(best_path, ckpt)
        summary["checkpoint"] = str(last)
        summary["best_val_mean_dice"] = state.best
    dist_utils.barrier(ctx)
    vd = summary["val_mean_dice"]
    summary["message"] = f"epoch {state.epoch}/{cfg.epochs} done" + (
        f", validation mean Dice {vd:.3f}" if vd is not None else ""
    )
    return summary
