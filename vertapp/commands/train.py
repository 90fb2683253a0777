"""`vertapp train DATASET --out MODEL.pt ...`: train Mask R-CNN (or the U-Net baseline).

Runs under `torchrun --nproc_per_node=N -m vertapp train ...` for multi-GPU DDP.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from vertapp.errors import VertAppError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", help="project folder (project.json) or COCO .json")
    parser.add_argument("--out", required=True, help="model checkpoint to write (MODEL.pt)")
    parser.add_argument(
        "--preset",
        choices=("paper", "fast", "mobile"),
        help="paper: ResNet-101, 1024 px, lr 0.001, batch 5; fast (default): CPU-friendly; "
        "mobile: MobileNetV3-Large FPN, for CPU training from scratch",
    )
    parser.add_argument(
        "--from-scratch",
        action="store_true",
        help="train a new model; default for CT MIPs (T1..L5): fine-tune the starter model "
        "VertApp ships (also implied by --preset, --arch, --backbone, --weights, sizes)",
    )
    parser.add_argument("--arch", choices=("maskrcnn", "unet"))
    parser.add_argument(
        "--backbone",
        help="resnet50 | resnet50_v2 | resnet101 | resnet34 | resnet18 | mobilenet_v3_large",
    )
    parser.add_argument(
        "--weights",
        help="local pretrained weights file; 'none' for random "
        "init (default: torch's local cache if it holds them)",
    )
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--batch", type=int, dest="batch_size")
    parser.add_argument("--device", help="auto | cpu | cuda")
    parser.add_argument("--resume", help="continue from this checkpoint (e.g. MODEL.last.pt)")
    parser.add_argument("--val-fraction", type=float, help="share of patients for validation")
    parser.add_argument(
        "--phantoms",
        help="project folder / COCO file of phantom images mixed into training (not validation)",
    )
    parser.add_argument(
        "--real-share",
        type=float,
        help="share of training views from DATASET when --phantoms is given (default: by count)",
    )
    parser.add_argument(
        "--ct-variants",
        type=int,
        metavar="N",
        help="train also on N re-acquired copies of each imported labelled CT (turned, "
        "re-sliced 1-5 mm, other kernel and noise; cached in DATASET/cache/ct_variants)",
    )
    parser.add_argument(
        "--finetune-from",
        metavar="CKPT",
        help="start from this model's weights, architecture and classes; fresh optimizer "
        "(the run settings: epochs, lr, ... are this command's)",
    )
    parser.add_argument(
        "--pretrain-epochs",
        type=int,
        help="with --phantoms: first train this many epochs on the phantoms alone "
        "(MODEL.pretrain.pt), then fine-tune --epochs on DATASET from it",
    )
    parser.add_argument("--pretrain-lr", type=float, help="lr of the pretraining stage")
    parser.add_argument("--min-size", type=int)
    parser.add_argument("--max-size", type=int)
    parser.add_argument(
        "--max-iters",
        type=int,
        dest="max_iterations",
        help="stop after this many iterations (smoke tests)",
    )
    parser.add_argument("--workers", type=int, help="data-loading processes")
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override any training setting, e.g. --set views_per_image=4",
    )
    parser.add_argument("--quiet", action="store_true", help="print epochs only")


def _parse_sets(items: list[str]) -> dict[str, Any]:
    from vertapp.ml.config import TrainConfig

    known = {f.name for f in fields(TrainConfig)}
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or key not in known:
            raise VertAppError(
                f"--set {item!r}: expected KEY=VALUE with KEY one of {', '.join(sorted(known))}"
            )
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
        _check_set_type(key, out[key], getattr(TrainConfig(), key))
    return out


def _check_set_type(key: str, value: Any, default: Any) -> None:
    """`--set lr=abc` said "unexpected error (TypeError …)"; a number setting takes a
    number, a switch true/false (a setting whose default is None takes what it is given)."""
    if default is None or value is None:
        return
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int | float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif isinstance(default, list | tuple):
        ok = isinstance(value, list | tuple)
    else:
        ok = isinstance(value, type(default))
    if not ok:
        kind = "true or false" if isinstance(default, bool) else type(default).__name__
        raise VertAppError(f"--set {key}={value!r}: {key} takes a {kind}, like {default!r}")


def config_from_args(args: argparse.Namespace) -> Any:
    from vertapp.ml.config import preset

    keys = (
        "arch",
        "backbone",
        "weights",
        "epochs",
        "lr",
        "batch_size",
        "device",
        "val_fraction",
        "real_share",
        "ct_variants",
        "min_size",
        "max_size",
        "max_iterations",
        "workers",
        "seed",
    )
    overrides = {k: getattr(args, k, None) for k in keys}
    overrides.update(_parse_sets(args.set))
    return preset(args.preset or "fast", **overrides)


# Flags that choose a model of their own: with any of them the starter is not the start.
MODEL_FLAGS = ("preset", "arch", "backbone", "weights", "min_size", "max_size")


def starter_start(args: argparse.Namespace, data: Any) -> tuple[Any, str]:
    """(starter model path or None, why) for a run that names no start of its own.

    CT MIPs (T1..L5) fine-tune the shipped starter by default: a few labelled scans
    then give a usable model in minutes on a CPU. Radiographs, other vocabularies,
    --from-scratch and flags that choose another architecture train a new model."""
    from vertapp.errors import ModelError
    from vertapp.ml import starter
    from vertapp.ml.config import MODEL_FIELDS
    from vertapp.ml.train import default_class_names

    if args.resume or args.finetune_from or args.pretrain_epochs is not None:
        return None, ""
    # said as a CT run says its start: every run says how it starts
    if not isinstance(data, str):  # radiographs, read as samples
        return None, "from scratch (VertApp ships no starter model for radiographs)"
    if not starter.serves(default_class_names(data) or []):
        return None, "from scratch (the shipped starter model is for T1..L5 on CT MIPs)"
    if args.from_scratch:
        return None, "from scratch (--from-scratch)"
    chosen = [f"--{k.replace('_', '-')}" for k in MODEL_FLAGS if getattr(args, k, None)]
    chosen += [f"--set {k}" for k in _parse_sets(args.set) if k in MODEL_FIELDS]
    if chosen:
        return None, f"from scratch ({', '.join(chosen)} chooses the model; no starter)"
    try:
        path = starter.starter_path()
    except ModelError as err:
        return None, f"from scratch ({err})"
    return path, f"fine-tuning the starter model {path.name} (--from-scratch for a new model)"


def radiograph_data(dataset: str, cfg: Any, resumed: Any = None) -> tuple[Any, Any, list[str]]:
    """A radiograph project: its images read scaled to the long side, with level classes,
    and the warnings the run says of them (`_films`; none for other datasets, whose
    job says its own).

    Whole spines are too big to hold at full size (vertapp.xray.training); other
    datasets go to the engine as they are. `resumed`: the --resume checkpoint, read.
    """
    from vertapp.ml.config import TrainConfig
    from vertapp.xray.training import radiograph_overrides, radiograph_vocabulary

    names = radiograph_vocabulary(dataset)
    if not names:
        return dataset, cfg, []
    if resumed is not None:  # the checkpoint's own classes and size
        names = list(resumed["class_names"])
        films, words = _films(dataset, names, TrainConfig.from_dict(resumed["config"]).max_size)
        return films, cfg, words
    cfg = radiograph_overrides(cfg.override(class_names=names))
    films, words = _films(dataset, names, cfg.max_size)
    return films, cfg, words


def _films(dataset: str, names: list[str], long_side: int) -> tuple[list[Any], list[str]]:
    """The films to train on (those in review left out) and what the run says of them:
    each film's read warnings, then what it leaves out (`ml.train.left_out`, with the
    annotations the classes do not name: a body of unknown level, a foreign part)."""
    from vertapp.ml.train import labelled_only, left_out
    from vertapp.xray.training import radiograph_samples_noted, unclassed_words

    samples, read = radiograph_samples_noted(dataset, names, long_side)
    kept = labelled_only(samples, dataset)
    unclassed = unclassed_words(dataset, kept, names)
    return kept, read + left_out(dataset, kept, None, unclassed)


def radiograph_validator(data: Any) -> Any:
    """Radiographs (read as samples) are validated on their numbered bodies, not by top class."""
    if not isinstance(data, list):
        return None
    from vertapp.xray.validation import validate_radiographs

    return validate_radiographs


def _job(args: argparse.Namespace, cfg: Any, data: Any, start: Any, stored: Any) -> Any:
    """The training job the flags ask for: plain, fine-tune, or pretrain + fine-tune.
    `start`: the starter model, if it is the start; `stored`: the flags' start, read."""
    from vertapp.ml.recipe import pretrain_finetune_job
    from vertapp.ml.train import train_job

    if args.pretrain_epochs is None:
        return train_job(
            cfg,
            data,
            args.out,
            resume=args.resume,
            phantoms=args.phantoms,
            finetune_from=args.finetune_from or start,
            validator=radiograph_validator(data),
            # `--set score_thresh=X` is the user's word; else a fine-tune takes its start's
            own_threshold="score_thresh" in _parse_sets(args.set or []),
            stored=stored,
        )
    if not args.phantoms or args.resume or args.finetune_from:
        raise VertAppError("--pretrain-epochs needs --phantoms, and no --resume/--finetune-from")
    return _last_of_two(
        pretrain_finetune_job(
            cfg, data, args.out, args.phantoms, args.pretrain_epochs, pretrain_lr=args.pretrain_lr
        )
    )


def _last_of_two(job: Any) -> Any:
    """The pretrain + fine-tune job, returning only the fine-tune's result."""
    _, second = yield from job
    return second


def with_level_context(model: Any, data: Any, show: Any) -> None:
    """A radiograph body model (levels T1..L5) gets its level-context net, trained on the
    same films (`vertapp.xray.level_context`): it numbers the bodies from what lies
    around them, which the detector's classes alone do poorly at the ends of the spine."""
    from vertapp.commands.notices import say_warnings
    from vertapp.errors import ModelError
    from vertapp.jobs import run_job
    from vertapp.xray.level_context import add_level_context_job

    if not isinstance(data, list):
        return  # CT MIPs: numbered by the chain and the hip anchor
    try:  # radiograph vocabularies all have T1..L5 (xray.training.radiograph_vocabulary)
        run_job(add_level_context_job(model, data), show)
    except ModelError as err:  # the body model is trained and saved: say why, do not fail
        say_warnings(
            [f"no level context: {err}; the chain numbers by the detector's classes alone"]
        )


LEVEL_LINE_EVERY = 10  # level-context epochs between two progress lines (-v: each)


def level_line_due(event: Any, verbose: bool) -> bool:
    """Whether a progress event gets its line: the level-context net's 40 quick epochs
    printed 40 lines after a one-iteration run; they get the first, every tenth and the
    last (each with --verbose). Any other event: always."""
    epoch, epochs = event.data.get("epoch"), event.data.get("epochs")
    if verbose or event.stage != "levels" or epoch is None or epochs is None:
        return True
    return epoch in (1, epochs) or epoch % LEVEL_LINE_EVERY == 0


def read_start(args: argparse.Namespace) -> dict[str, Any] | None:
    """The start the flags name (--resume, --finetune-from), read once for every check
    and the run (a model file is a torch.load of megabytes); None without one."""
    from vertapp.ml.checkpoint import read_checkpoint

    start = args.resume or args.finetune_from
    return read_checkpoint(start) if start else None


def check_start_kind(args: argparse.Namespace, data: Any, stored: dict[str, Any] | None) -> None:
    """A start (`stored`: --finetune-from, --resume) of the other kind than the data,
    refused in words: a radiograph parts model fine-tuned on CT MIPs became a CT model
    with pedicle classes, silently; a CT model on films failed with "this is a bug"."""
    from vertapp.ml.config import TrainConfig
    from vertapp.xray.model_kind import CT, RADIOGRAPH, model_kind

    if stored is None:
        return
    start = args.resume or args.finetune_from
    cfg = TrainConfig.from_dict(stored["config"])
    kind = model_kind(stored["class_names"], cfg, stored)
    films = isinstance(data, list)  # radiograph data is read into samples
    want = RADIOGRAPH if films else CT
    if kind is not None and kind != want:
        what = "radiograph" if kind == RADIOGRAPH else "CT MIP"
        raise VertAppError(
            f"{Path(start).name} is a {what} model and {args.dataset} holds "
            f"{'radiographs' if films else 'CT MIPs'}: start from a model of the same kind "
            "(or --from-scratch)"
        )


def _say_resume_keeps(args: argparse.Namespace) -> None:
    """Resuming continues the stored run: its model, data and schedule settings stay."""
    flags = {"lr": "--lr", "batch_size": "--batch", "seed": "--seed", "preset": "--preset"}
    flags.update(
        {k: f"--{k.replace('_', '-')}" for k in ("arch", "backbone", "min_size", "max_size")}
    )
    ignored = [flag for key, flag in flags.items() if getattr(args, key, None) is not None]
    ignored += [f"--set {item.partition('=')[0]}" for item in args.set or []]
    if ignored:
        print(
            f"resume: {', '.join(ignored)} not used: a resumed run keeps its stored "
            "settings (only --epochs, --max-iters, --device and --workers change)",
            file=sys.stderr,
        )


def check_out(args: argparse.Namespace) -> None:
    """Refuse, before any training, an --out the run must not write: a folder, a path
    through a file, an input (the dataset's project.json or COCO file, the phantoms, the
    model fine-tuned from) or any existing file that is not a checkpoint (the run's
    model went over the project's annotations). The files written beside it
    (MODEL.last.pt, MODEL.best.pt, MODEL.pretrain.pt) are held to the same."""
    from vertapp.commands.outputs import (
        check_file_out,
        check_not_in_held_project,
        check_not_input,
        input_entry,
    )

    out = Path(args.out)
    inputs: list[tuple[str, Path | None]] = [input_entry("the dataset", Path(args.dataset))]
    if args.phantoms:
        inputs.append(input_entry("the phantoms", Path(args.phantoms)))
    if args.finetune_from:
        inputs.append(("the starting model (--finetune-from)", Path(args.finetune_from)))
    for path in _written_beside(out, args.pretrain_epochs is not None):
        check_file_out(path, "--out" if path == out else f"--out (writes {path.name})")
        check_not_input(path, inputs)
        _check_replaceable(path)
    # A window holding the project writes its own models/model.pt there. Not checked: the
    # dataset's project for --ct-variants' cache (cache/ct_variants): its files are named
    # by what they hold, so a window that writes one writes the same bytes.
    check_not_in_held_project(out)


def _written_beside(out: Path, pretrain: bool) -> list[Path]:
    """`out` and the checkpoints a run writes next to it (vertapp.ml.train, .recipe)."""
    from vertapp.ml.recipe import pretrained_path
    from vertapp.ml.train import checkpoint_paths

    paths = [out, *checkpoint_paths(out)]
    if pretrain:
        first = pretrained_path(out)
        paths += [first, *checkpoint_paths(first)]
    # where an earlier run's MODEL.last.pt / .best.pt go aside (`clear_the_way`)
    return paths + [previous_name(p) for p in paths if p.name.endswith((".last.pt", ".best.pt"))]


PREVIOUS = ".prev"  # MODEL.last.pt of an earlier run -> MODEL.prev.last.pt


def previous_name(path: Path) -> Path:
    """Where an earlier run's MODEL.last.pt / MODEL.best.pt is kept: MODEL.prev.last.pt,
    MODEL.prev.best.pt (still named X.last.pt: `--resume` continues it as run X.prev)."""
    for tail in (".last.pt", ".best.pt"):
        if path.name.endswith(tail):
            return path.with_name(path.name[: -len(tail)] + PREVIOUS + tail)
    raise ValueError(f"{path.name} is not a checkpoint written beside a model")


def _run_files(out: Path, pretrain: bool) -> list[tuple[Path, Path]]:
    """(last, best) of each model the run writes (its --out, and the pretrained stage's)."""
    from vertapp.ml.recipe import pretrained_path
    from vertapp.ml.train import checkpoint_paths

    outs = [out, pretrained_path(out)] if pretrain else [out]
    return [checkpoint_paths(o) for o in outs]


def clear_the_way(args: argparse.Namespace) -> list[str]:
    """Before a run writes beside --out: the previous run's resumable checkpoints go aside,
    and the temporary files a killed write left there go (only those of the checkpoint
    names). Returns what it did, in words.

    Each epoch replaces MODEL.last.pt: a new run to the same --out replaced the previous
    run's at its first epoch, and a run stopped then left MODEL.pt of one run beside
    MODEL.last.pt of another, unsaid; a MODEL.best.pt an interrupted run left became the
    next run's model when that run never validated. A run that resumes MODEL.last.pt
    continues it: its files stay.
    """
    out = Path(args.out)
    resumed = Path(args.resume).resolve() if args.resume else None
    said: list[str] = []
    stale = []
    for last, best in _run_files(out, args.pretrain_epochs is not None):
        for path in (out, last, best, previous_name(last), previous_name(best)):
            tmp = path.with_name(path.name + ".tmp")
            if tmp.is_file() and not tmp.is_symlink():
                tmp.unlink()
                stale.append(tmp.name)
        if resumed is not None and last.is_file() and last.resolve() == resumed:
            continue  # the run it continues: its last and best are this run's
        moved = []
        for path in (last, best):
            if not path.is_file():
                continue
            aside = previous_name(path)
            if resumed is not None and aside.is_file() and aside.resolve() == resumed:
                raise VertAppError(
                    f"--resume {aside.name} into --out {out.name}: the run's first epoch "
                    f"would replace {path.name}, another run's; resume it into --out "
                    f"{_model_name(aside)}"
                )
            os.replace(path, aside)
            moved.append(f"{path.name} as {aside.name}")
        if moved:
            aside_last = previous_name(last)
            said.append(
                f"the previous run's {' and '.join(moved)} kept (resume it with --out "
                f"{_model_name(aside_last)} --resume {aside_last.name}); "
                f"{_model_name(last)} stays that run's model until this run ends"
            )
    if stale:
        n = len(stale)
        said.insert(
            0,
            f"removed {n} temporary {'file' if n == 1 else 'files'} a stopped write left "
            f"({', '.join(stale)})",
        )
    return said


def _model_name(last: Path) -> str:
    """MODEL.pt of MODEL.last.pt."""
    return last.name[: -len(".last.pt")] + ".pt"


NO_VALIDATION = re.compile(r" / 0 validation images")


def no_validation_reason(val_fraction: float) -> str:
    """Why a run has no validation images, in words (the split: `ml.dataset`)."""
    if val_fraction <= 0:
        return "--val-fraction 0"
    return "the dataset holds one patient: validation holds out whole patients, not all"


class _Run:
    """What the run has done so far, from its progress events: said when it is
    interrupted (which files it leaves, how to resume) or ends unvalidated."""

    def __init__(self, args: argparse.Namespace, cfg: Any) -> None:
        self.args, self.cfg = args, cfg
        self.epoch = 0  # the epoch in progress
        self.done = 0  # the last epoch this run finished (and saved)
        self.best_epoch = 0  # the last epoch of this run that became the best
        self.best: float | None = None
        self.validated = False
        self.trained = False  # the training job returned: MODEL.pt is written

    def see(self, event: Any) -> None:
        data = event.data or {}
        if event.stage == "train" and data.get("epoch"):
            self.epoch = int(data["epoch"])
        if event.stage == "epoch" and data.get("epoch"):
            self.done = int(data["epoch"])
            self.epoch = self.done + 1  # the next one, from its first step
            if data.get("val_mean_dice") is not None:
                self.validated = True
                if data["val_mean_dice"] == data.get("best_val_mean_dice"):
                    self.best_epoch, self.best = self.done, data["val_mean_dice"]

    def interrupted_words(self) -> list[str]:
        """What an interrupted run keeps and how to go on, in words."""
        args = self.args
        out = Path(args.out)
        last, best = _run_files(out, False)[0]
        if self.trained:
            return [
                f"training had ended: {out.name} is written; its level-context net is not "
                f"(add it with: vertapp xray levels {shlex.quote(args.dataset)} --model "
                f"{shlex.quote(str(out))})"
            ]
        if args.pretrain_epochs is not None:
            return [
                f"a --pretrain-epochs run does not resume: run it again (its checkpoints so "
                f"far stay beside {out.name} until then, and go aside as the previous run's)"
            ]
        now = f" during epoch {self.epoch}" if self.epoch else ""
        if self.done and self.done >= self.cfg.epochs:
            now = f" after its last epoch, before {out.name} was written"
        kept = []
        if self.done:
            kept.append(f"{last.name} (epoch {self.done}, to resume from)")
        if best.is_file():  # an earlier run's went aside (`clear_the_way`)
            which = (
                f"epoch {self.best_epoch}, validation mean Dice {self.best:.4f}"
                if self.best_epoch and self.best is not None
                else "the start, scored before the first epoch"
                if not self.done and not args.resume
                else "the start or an earlier epoch"
            )
            kept.append(f"{best.name} (the best so far: {which}; a model to predict with)")
        if kept:
            words = [f"interrupted{now}; kept: {', '.join(kept)}"]
        elif args.resume:
            words = [f"interrupted{now}, before an epoch ended: {args.resume} is as it was"]
        else:
            words = [f"interrupted{now}, before an epoch ended: no checkpoint of this run"]
        resume = str(last) if self.done else args.resume
        if resume:
            words.append(f"resume with: {self.resume_command(resume)}")
        model = "the previous run's model" if out.is_file() else "not written"
        words.append(f"{out.name} is written when a run ends: it is {model}")
        return words

    def resume_command(self, resume: str) -> str:
        args = self.args
        cmd = ["vertapp", "train", args.dataset, "--out", str(args.out), "--resume", resume]
        cmd += ["--epochs", str(self.cfg.epochs)]
        for flag, value in (("--device", args.device), ("--workers", args.workers)):
            if value is not None:
                cmd += [flag, str(value)]
        return " ".join(shlex.quote(c) for c in cmd)


def _check_replaceable(path: Path) -> None:
    """Only a checkpoint (an earlier run's) may be replaced by the new one."""
    from vertapp.commands.outputs import looks_like_checkpoint

    if path.is_file() and not looks_like_checkpoint(path):
        raise VertAppError(
            f"--out {path}: is an existing file that is not a model checkpoint; training "
            "would replace it: name a new .pt file"
        )


def run(args: argparse.Namespace) -> int:
    from vertapp.commands.notices import say_notes, say_warnings
    from vertapp.jobs import WARNINGS, run_job

    check_out(args)  # before minutes of training, not after
    cfg = config_from_args(args)
    stored = read_start(args)  # once: the checks below and the run share it
    data, cfg, film_words = radiograph_data(args.dataset, cfg, stored if args.resume else None)
    check_start_kind(args, data, stored)
    main = int(os.environ.get("RANK", "0")) == 0
    if args.resume and main:
        _say_resume_keeps(args)
    if main:
        say_notes(clear_the_way(args))
    progress = _Run(args, cfg)
    # a resumed run splits as the stored one did
    val_fraction = float((stored or {}).get("config", {}).get("val_fraction", cfg.val_fraction))
    if not args.resume:
        val_fraction = cfg.val_fraction

    # Radiographs are read here, not by the job; what they leave out is said after the
    # job's "reading dataset", where a CT run's job says its own: one order for both.
    held = list(film_words) if main else []

    def show(event: Any) -> None:
        progress.see(event)
        if not main or (args.quiet and event.stage == "train" and event.data):
            return
        if WARNINGS in event.data:  # what the run leaves out (ml.train.left_out)
            say_warnings(event.data[WARNINGS])
        elif level_line_due(event, getattr(args, "verbose", False)):
            print(event.message, file=sys.stderr, flush=True)
        if event.stage == "train" and not event.data and NO_VALIDATION.search(event.message):
            say_warnings(
                [
                    f"no validation images ({no_validation_reason(val_fraction)}): no epoch is "
                    f"scored, and {Path(args.out).name} will be the last epoch, unvalidated"
                ]
            )
        if event.stage == "load":
            say_warnings(held)
            held.clear()

    start, why = starter_start(args, data)
    if (start or args.finetune_from) and args.lr is None:
        from vertapp.ml.config import finetune_lr

        cfg = finetune_lr(cfg)
        lr = f"lr {cfg.lr:g}, a tenth of the preset's, as a fine-tune (--lr to set)"
        why = f"{why}; {lr}" if why else lr
    if why and main:
        print(f"start: {why}", file=sys.stderr, flush=True)
    try:
        try:
            result = run_job(_job(args, cfg, data, start, stored), show)
        finally:  # a run that fails before its "reading dataset" still says them
            say_warnings(held)
        progress.trained = True
        if main and result.out is not None:
            with_level_context(result.out, data, show)
    except KeyboardInterrupt:  # Ctrl+C: what is kept, how to go on (cli says "interrupted")
        if main:
            say_notes(progress.interrupted_words())
        raise
    if main:
        best = result.best_val_mean_dice
        print(
            f"model: {result.out} (epochs: {result.epochs}, best validation mean Dice: "
            f"{'n/a' if best is None else f'{best:.4f}'}); last epoch: {result.last}"
        )
        if best is None and not progress.validated:
            say_warnings(
                [
                    f"no validation ({no_validation_reason(val_fraction)}): {Path(args.out).name} "
                    f"is the last epoch (epoch {result.epochs}), unvalidated"
                ]
            )
        if result.kept_start:
            from vertapp.ml.words import kept_start_words

            words = kept_start_words(result.out.name, result.best_val_mean_dice)
            print(words, file=sys.stderr, flush=True)
    return 0
