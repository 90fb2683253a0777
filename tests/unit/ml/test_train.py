"""Training job on tiny synthetic spines: loss falls, resume, cancel, predict -> COCO."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from pycocotools.coco import COCO

from vertapp.cli import main
from vertapp.jobs import run_job
from vertapp.ml.checkpoint import load_checkpoint, read_checkpoint
from vertapp.ml.coco_out import coco_results, predictions_to_coco
from vertapp.ml.config import TrainConfig
from vertapp.ml.numbering import mask_geometry
from vertapp.ml.predict import predict_job
from vertapp.ml.train import TrainingError, train_job

from .conftest import TINY
from .spines import spine_samples, write_coco_dataset

pytestmark = pytest.mark.slow  # trains tiny models: tens of seconds on a busy 2-core box


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    torch.set_num_threads(2)
    cfg = TrainConfig(**TINY).override(epochs=2, views_per_image=3)
    samples = spine_samples(4)
    out = tmp_path_factory.mktemp("train") / "model.pt"
    events: list = []
    result = run_job(train_job(cfg, samples, out, val_data=samples[:1]), events.append)
    return cfg, samples, out, result, events


def test_loss_falls_and_progress_has_the_promised_fields(trained):
    _, _, out, result, events = trained
    its = [e.data for e in events if e.stage == "train" and e.data]
    assert len(its) == 12  # 4 images x 3 views / batch 2 x 2 epochs
    first = {"iteration", "epoch", "losses", "lr", "images_per_s", "eta_s"}
    assert first <= set(its[0])
    assert {"loss_classifier", "loss_mask", "loss_objectness", "total"} <= set(its[0]["losses"])
    totals = [d["losses"]["total"] for d in its]
    assert np.mean(totals[-3:]) < 0.7 * np.mean(totals[:3])
    assert its[1]["lr"] > its[0]["lr"]  # warm-up
    epochs = [e.data for e in events if e.stage == "epoch"]
    assert [d["epoch"] for d in epochs] == [1, 2]
    best = read_checkpoint(out)["best_val_mean_dice"]  # the checkpoint kept the best epoch
    assert best == max(d["val_mean_dice"] for d in epochs)
    assert result.epochs == 2 and out.is_file() and result.last.is_file()


def test_checkpoint_is_plain_and_weights_only_loadable(trained):
    cfg, _, out, result, _ = trained
    data = torch.load(result.last, weights_only=True)
    assert data["epoch"] == 2 and data["schema_version"] == 1
    assert data["class_names"][0] == "T1" and len(data["class_names"]) == 17
    assert data["config"]["fpn_channels"] == cfg.fpn_channels
    assert {"model", "optimizer", "scheduler"} <= set(data)


def test_resume_continues_from_saved_epoch(trained, tmp_path):
    cfg, samples, _, result, _ = trained
    events: list = []
    res = run_job(
        train_job(cfg.override(epochs=3), samples, tmp_path / "r.pt", resume=result.last),
        events.append,
    )
    its = [e.data for e in events if e.stage == "train" and e.data]
    assert {d["epoch"] for d in its} == {3}
    assert its[0]["iteration"] == 13  # continues the iteration count (12 done)
    assert res.epochs == 3
    assert read_checkpoint(res.last)["epoch"] == 3


def test_a_resumed_run_ends_where_the_uninterrupted_one_ends(tmp_path):
    cfg = TrainConfig(**TINY).override(epochs=2, views_per_image=3)
    samples = spine_samples(4)
    whole = run_job(train_job(cfg, samples, tmp_path / "whole.pt"))
    first = run_job(train_job(cfg.override(max_iterations=6), samples, tmp_path / "a.pt"))
    assert read_checkpoint(first.last)["epoch"] == 1
    second = run_job(train_job(cfg, samples, tmp_path / "b.pt", resume=first.last))
    a, b = read_checkpoint(whole.last)["model"], read_checkpoint(second.last)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_cancel_stops_within_one_iteration(tmp_path):
    cfg = TrainConfig(**TINY).override(epochs=5)
    job = train_job(cfg, spine_samples(2), tmp_path / "c.pt")
    seen = []
    for event in job:
        if event.stage == "train" and event.data:
            seen.append(event.data["iteration"])
            job.close()
            break
    assert seen == [1]
    with pytest.raises(StopIteration):
        next(job)
    assert not (tmp_path / "c.pt").exists()


def test_non_finite_loss_stops_with_a_message(tmp_path):
    cfg = TrainConfig(**TINY).override(lr=1e12, warmup_iters=0, epochs=3)
    with pytest.raises(TrainingError, match="non-finite"):
        run_job(train_job(cfg, spine_samples(2), tmp_path / "n.pt"))


def test_predict_writes_coco_that_pycocotools_loads(trained, tmp_path):
    _, samples, out, _, _ = trained
    loaded = load_checkpoint(out)
    # 12 iterations leave a tiny model unsure; below torchvision's own floor (0.05) its
    # boxes still come out, which is all this test of the COCO output needs (how sure
    # it was depended on the CPU's arithmetic: none above 0.05 on some machines)
    loaded.model.roi_heads.score_thresh = 0.0
    events: list = []
    job = predict_job(loaded, [s.image for s in samples[:2]], score_thresh=0.0)
    preds = run_job(job, events.append)
    assert [e.fraction for e in events][-1] == 1.0
    assert len(preds) == 2 and len(preds[0]) > 0
    p = preds[0]
    assert p.masks.shape[1:] == samples[0].image.shape
    assert len(set(p.labels)) == len(p.labels)  # one instance per label
    rows = mask_geometry(p.masks)[0][:, 0]  # the centres the numbering orders by
    assert list(np.argsort(rows)) == list(np.argsort(p.labels))  # labels run top to bottom
    records = [
        {"id": i + 1, "file_name": f"img{i}.png", "height": 128, "width": 128} for i in range(2)
    ]
    dataset = predictions_to_coco(preds, records, loaded.class_names)
    path = tmp_path / "pred.json"
    path.write_text(json.dumps(dataset))
    coco = COCO(str(path))
    assert len(coco.getAnnIds()) == sum(len(x) for x in preds)
    ann = coco.loadAnns(coco.getAnnIds())[0]
    assert "score" in ann and "order_changed" in ann["vertapp"]
    gt = COCO()
    gt.dataset = {"images": records, "categories": dataset["categories"], "annotations": []}
    gt.createIndex()
    res = gt.loadRes(coco_results(dataset))
    assert len(res.getAnnIds()) == len(coco.getAnnIds())
    assert np.array_equal(res.annToMask(res.loadAnns(1)[0]), preds[0].masks[0].astype(np.uint8))


def test_cli_predict_and_evaluate(trained, tmp_path, capsys):
    _, samples, out, _, _ = trained
    write_coco_dataset(tmp_path / "proj", samples[:2])
    pred = tmp_path / "pred.json"
    assert (
        main(
            [
                "predict",
                str(out),
                str(tmp_path / "proj"),
                "--out",
                str(pred),
                "--score",
                "0.0",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    assert "instances in 2 images" in capsys.readouterr().out
    assert main(["evaluate", str(tmp_path / "proj"), str(pred), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_images"] == 2 and report["n_vertebrae"] == 16
    dices = [v["dice"] for v in report["vertebrae"]]
    assert report["mean_dice"] == pytest.approx(float(np.mean(dices)))  # mean of its own rows
    gt_file = str(tmp_path / "proj" / "project.json")
    assert main(["evaluate", str(tmp_path / "proj"), gt_file, "--json", "--no-ap"]) == 0
    assert json.loads(capsys.readouterr().out)["mean_dice"] == 1.0  # the truth scores 1
    assert set(report["coco"]) == {"segm", "bbox"}
    assert main(["evaluate", str(tmp_path / "proj"), str(pred)]) == 0
    assert "identification rate" in capsys.readouterr().out


def test_corrupt_and_foreign_checkpoints_raise_model_error(tmp_path):
    from vertapp.errors import ModelError

    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(ModelError, match="bad.pt"):
        load_checkpoint(bad)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, foreign)
    with pytest.raises(ModelError, match="not a VertApp checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(ModelError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")


def test_full_disk_keeps_the_previous_checkpoint_and_says_so(tmp_path, monkeypatch):
    import errno

    from vertapp.errors import ModelError
    from vertapp.ml import checkpoint

    path = tmp_path / "m.last.pt"
    checkpoint.save_checkpoint(path, {"epoch": 1, "w": torch.ones(3)})
    real_save = torch.save

    def disk_fills_up(obj, f):  # half the file is written, then the disk is full
        f.write(b"x" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint.torch, "save", disk_fills_up)
    with pytest.raises(ModelError, match="No space left on device.*previous one is kept"):
        checkpoint.save_checkpoint(path, {"epoch": 2, "w": torch.zeros(3)})
    monkeypatch.setattr(checkpoint.torch, "save", real_save)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.last.pt"]  # no .tmp left
    kept = torch.load(path, weights_only=True)
    assert kept["epoch"] == 1 and torch.equal(kept["w"], torch.ones(3))


def test_out_of_memory_retries_with_a_smaller_batch(tmp_path, monkeypatch):
    import vertapp.ml.train as train_mod

    real_step = train_mod._step
    calls = {"n": 0}

    def flaky(state, cfg, batch, device):
        calls["n"] += 1
        if calls["n"] == 1:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_step(state, cfg, batch, device)

    monkeypatch.setattr(train_mod, "_step", flaky)
    cfg = TrainConfig(**TINY).override(epochs=1)
    events: list = []
    run_job(train_job(cfg, spine_samples(2), tmp_path / "o.pt"), events.append)
    assert any("out of memory" in e.message and "batch 1" in e.message for e in events)
    its = [e for e in events if e.stage == "train" and e.data]
    assert len(its) == 4  # 2 images x 2 views at batch 1
    assert "it 4/4" in its[-1].message


def test_out_of_memory_at_batch_one_is_a_clear_error(tmp_path, monkeypatch):
    import vertapp.ml.train as train_mod

    def oom(*_args):
        raise torch.OutOfMemoryError("CUDA out of memory (simulated)")

    monkeypatch.setattr(train_mod, "_step", oom)
    cfg = TrainConfig(**TINY).override(batch_size=1)
    with pytest.raises(TrainingError, match="out of memory at batch 1"):
        run_job(train_job(cfg, spine_samples(2), tmp_path / "o.pt"))


def test_resumed_run_without_a_better_epoch_keeps_the_earlier_best(tmp_path):
    """Resuming into the same `out`: an epoch that validates worse must not replace the best."""
    torch.set_num_threads(2)
    scores = iter([0.6, 0.2])  # epoch 1 (first run) is the best; epoch 2 (resumed) is worse

    def validator(model, cfg, samples):
        return {"val_mean_dice": next(scores), "val_identification_rate": 0.5}

    cfg = TrainConfig(**TINY).override(epochs=1, views_per_image=1)
    samples = spine_samples(3)
    out = tmp_path / "m.pt"
    first = run_job(train_job(cfg, samples[:2], out, val_data=samples[2:], validator=validator))
    resumed = run_job(
        train_job(
            cfg.override(epochs=2),
            samples[:2],
            out,
            val_data=samples[2:],
            validator=validator,
            resume=first.last,
        )
    )
    kept = read_checkpoint(out)
    assert kept["epoch"] == 1 and kept["best_val_mean_dice"] == 0.6  # the best, not epoch 2
    assert kept["epochs_trained"] == 2  # says how long the run was
    assert read_checkpoint(resumed.last)["epoch"] == 2
    assert resumed.out == out
    # ... and into a NEW `out` (docs/ml.md's staged runs): the earlier best is the model
    # there too (the last, worse epoch went there, labelled with the earlier best's score)
    scores = iter([0.1])
    again = tmp_path / "again.pt"
    run_job(
        train_job(
            cfg.override(epochs=3),
            samples[:2],
            again,
            val_data=samples[2:],
            validator=validator,
            resume=resumed.last,
        )
    )
    assert read_checkpoint(again)["epoch"] == 1 and read_checkpoint(again)["epochs_trained"] == 3


def test_a_resume_is_not_held_to_the_first_calls_iteration_cap(tmp_path):
    """`--max-iters 1` then `--resume` with no cap: the resume runs to its --epochs."""
    torch.set_num_threads(2)
    cfg = TrainConfig(**TINY).override(epochs=3, views_per_image=1, max_iterations=1)
    samples = spine_samples(2)
    first = run_job(train_job(cfg, samples, tmp_path / "a.pt"))
    assert first.epochs == 1
    resumed = run_job(
        train_job(cfg.override(max_iterations=0), samples, tmp_path / "b.pt", resume=first.last)
    )
    assert resumed.epochs == 3
