"""Fine-tuning from a checkpoint and the pretrain-on-phantoms-then-fine-tune recipe."""

from __future__ import annotations

import pytest
import torch

from vertapp.cli import main
from vertapp.errors import ModelError
from vertapp.jobs import Progress, run_job
from vertapp.ml.checkpoint import read_checkpoint
from vertapp.ml.config import TrainConfig
from vertapp.ml.recipe import pretrain_finetune_job, pretrained_path
from vertapp.ml.train import train_job
from vertapp.ml.words import kept_start_words

from .conftest import TINY
from .spines import spine_samples, write_coco_dataset

pytestmark = pytest.mark.slow  # trains tiny models: tens of seconds on a busy 2-core box


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A tiny model trained for one epoch (the 'starter' to fine-tune)."""
    torch.set_num_threads(2)
    cfg = TrainConfig(**TINY).override(epochs=1, max_iterations=3)
    out = tmp_path_factory.mktemp("base") / "base.pt"
    run_job(train_job(cfg, spine_samples(3), out))
    return out


def _max_weight_change(a: dict, b: dict) -> float:
    """Largest change of a learned weight (BatchNorm running statistics move without lr)."""
    return max(
        float((a[k].float() - b[k].float()).abs().max())
        for k in a
        if a[k].is_floating_point() and "running_" not in k
    )


def test_finetune_starts_from_the_weights_and_keeps_architecture_and_vocabulary(base, tmp_path):
    start = read_checkpoint(base)
    # a run config that disagrees on the model: fewer classes, other widths and size
    run = TrainConfig(**TINY).override(
        class_names=["T1", "T2"], fpn_channels=32, min_size=96, max_size=96, epochs=1
    )
    run = run.override(lr=1e-9, warmup_iters=0, max_iterations=1)  # weights barely move
    run = run.override(score_thresh=0.9)  # a preset's threshold: the start's scores decide
    result = run_job(
        train_job(run, spine_samples(2, seed=5), tmp_path / "ft.pt", finetune_from=base)
    )
    ft = read_checkpoint(result.out)
    assert ft["class_names"] == start["class_names"]
    for key in ("fpn_channels", "min_size", "max_size", "backbone", "score_thresh"):
        assert ft["config"][key] == start["config"][key], key
    assert ft["config"]["lr"] == 1e-9 and ft["config"]["weights"] == "none"  # run settings
    assert _max_weight_change(ft["model"], start["model"]) < 1e-4
    # fresh optimizer and schedule: the run counts its own epochs and iterations
    assert ft["epoch"] == 1 and ft["iteration"] == 1 and len(ft["history"]) == 1
    # control: the same run from random weights lands far from the checkpoint
    plain = TrainConfig(**TINY).override(lr=1e-9, warmup_iters=0, max_iterations=1, epochs=1)
    scratch = run_job(train_job(plain, spine_samples(2, seed=5), tmp_path / "scratch.pt"))
    assert _max_weight_change(read_checkpoint(scratch.out)["model"], start["model"]) > 1e-2


def test_finetune_and_resume_together_are_refused(base, tmp_path):
    with pytest.raises(ModelError, match="exclude"):
        run_job(
            train_job(
                TrainConfig(**TINY),
                spine_samples(1),
                tmp_path / "m.pt",
                resume=base,
                finetune_from=base,
            )
        )


def test_a_start_whose_weights_do_not_fit_is_named(base, tmp_path):
    from vertapp.ml.checkpoint import save_checkpoint

    data = read_checkpoint(base)
    data["model"] = {k: v for k, v in data["model"].items() if "roi_heads" not in k}
    broken = tmp_path / "broken.pt"
    save_checkpoint(broken, data)
    run = TrainConfig(**TINY).override(epochs=1, max_iterations=1)
    with pytest.raises(ModelError, match=r"broken\.pt: cannot fine-tune from it: its weights"):
        run_job(train_job(run, spine_samples(1), tmp_path / "m.pt", finetune_from=broken))


def test_pretrain_uses_phantoms_only_then_finetunes_on_real_from_its_weights(tmp_path):
    real = spine_samples(3, seed=1)
    for s in real:
        s.patient = f"real{s.image_id}"
    phantoms = spine_samples(5, seed=2)
    cfg = TrainConfig(**TINY).override(epochs=1, val_fraction=0.34, max_iterations=2)
    events: list[Progress] = []
    job = pretrain_finetune_job(cfg, real, tmp_path / "m.pt", phantoms, pretrain_epochs=1)
    first, second = run_job(job, events.append)
    starts = [e.message for e in events if e.stage == "train" and "validation" in e.message]
    # stage 1: the 5 phantoms, validated on the real validation patient; stage 2: the 2
    # real training images alone (no real_share set), same validation patient
    assert starts[0].startswith("5 train / 1 validation images"), starts
    assert starts[1].startswith("2 train / 1 validation images"), starts
    assert first.out == pretrained_path(tmp_path / "m.pt") and first.out.is_file()
    assert second.out == tmp_path / "m.pt" and second.epochs == 1
    assert [e.message[:10] for e in events if e.stage == "stage"] == ["stage 1/2:", "stage 2/2:"]


def test_cli_pretrain_then_finetune_and_finetune_from(tmp_path, capsys):
    real, phantoms = tmp_path / "real", tmp_path / "phantoms"
    write_coco_dataset(real, spine_samples(2, seed=1))
    write_coco_dataset(phantoms, spine_samples(3, seed=2))
    tiny = [f"--set={k}={v}" for k, v in TINY.items() if k not in ("weights", "device")]
    common = ["--weights", "none", "--device", "cpu", "--epochs", "1", "--max-iters", "1", *tiny]
    out = tmp_path / "m.pt"
    args = ["train", str(real), "--out", str(out), "--phantoms", str(phantoms)]
    assert main([*args, "--pretrain-epochs", "1", *common]) == 0
    assert out.is_file() and pretrained_path(out).is_file()
    again = tmp_path / "again.pt"
    assert (
        main(["train", str(real), "--out", str(again), "--finetune-from", str(out), *common]) == 0
    )
    assert read_checkpoint(again)["class_names"] == read_checkpoint(out)["class_names"]
    assert main(["train", str(real), "--out", str(again), "--pretrain-epochs", "1", *common]) != 0
    assert "needs --phantoms" in capsys.readouterr().err


def _finetune_scored(base, tmp_path, scores):
    """Two epochs fine-tuned from `base` (lr 0.05: the weights move), validated by a
    validator that reads out `scores` in turn: the start's first, then each epoch's."""
    it = iter(scores)

    def validator(model, cfg, samples):
        return {"val_mean_dice": next(it), "val_identification_rate": 0.5}

    samples = spine_samples(3, seed=6)
    run = TrainConfig(**TINY).override(epochs=2, views_per_image=1, lr=0.05)
    out = tmp_path / "ft.pt"
    job = train_job(
        run, samples[:2], out, val_data=samples[2:], finetune_from=base, validator=validator
    )
    return run_job(job)


def test_a_finetune_that_never_beats_its_start_keeps_the_start(base, tmp_path):
    """Epochs validating below the start (0.8) do not become the model: `out` holds the
    start's weights, and the run says so."""
    result = _finetune_scored(base, tmp_path, [0.8, 0.5, 0.7])
    assert result.kept_start and result.best_val_mean_dice == 0.8
    kept = read_checkpoint(result.out)
    assert _max_weight_change(kept["model"], read_checkpoint(base)["model"]) < 1e-6
    assert kept["epoch"] == 0 and kept["epochs_trained"] == 2
    # the last epoch trained on (lr 0.05 moves the weights): kept for resuming, not the model
    assert _max_weight_change(read_checkpoint(result.last)["model"], kept["model"]) > 1e-4
    assert [h["val_mean_dice"] for h in result.history] == [0.8, 0.5, 0.7]
    assert kept_start_words(result.out.name, result.best_val_mean_dice).startswith(
        "no epoch beat the start on the validation images (validation mean Dice 0.800): ft.pt"
    )


def test_a_finetune_that_beats_its_start_is_the_model(base, tmp_path):
    result = _finetune_scored(base, tmp_path, [0.4, 0.5, 0.45])
    assert not result.kept_start and result.best_val_mean_dice == 0.5
    assert read_checkpoint(result.out)["epoch"] == 1


def test_without_validation_images_the_start_is_not_scored(base, tmp_path):
    def never(*_args):
        raise AssertionError("nothing to validate on")

    run = TrainConfig(**TINY).override(epochs=1, views_per_image=1, max_iterations=1)
    result = run_job(
        train_job(
            run,
            spine_samples(2),
            tmp_path / "ft.pt",
            val_data=[],
            finetune_from=base,
            validator=never,
        )
    )
    assert not result.kept_start and result.history[0]["epoch"] == 1
