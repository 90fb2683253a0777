"""Radiograph training data for the engine: scaled samples, level classes, mirror, a real run."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest
import torch

from vertapp.annotations import ops, store
from vertapp.annotations.model import ImageRecord
from vertapp.errors import InputError
from vertapp.jobs import run_job
from vertapp.ml.augment import augment_sample
from vertapp.ml.checkpoint import load_checkpoint
from vertapp.ml.model import build_model
from vertapp.ml.train import train_job
from vertapp.synth import make_radiograph_pair
from vertapp.xray.parts import MODEL_VOCABULARIES
from vertapp.xray.training import class_of, radiograph_config, radiograph_samples

PARTS_VOCAB = list(MODEL_VOCABULARIES["parts"])
BODIES = list(MODEL_VOCABULARIES["bodies"])


@cache
def _pair():
    return make_radiograph_pair(5, "T12", "L3")


def _project(tmp_path, n_images: int = 2):
    """A parts project of 16-bit synthetic radiographs (two patients), levels on every part."""
    pair = _pair()
    project = store.new_project(tmp_path / "p", label_set="parts")
    h, w = pair.high.shape
    for i in range(n_images):
        name = f"images/{i}.png"
        img = (np.clip(pair.high.array, 0, 1) * 50000 + 1000).astype(np.uint16)
        cv2.imwrite(str(tmp_path / "p" / name), img)
        project.add_image(ImageRecord(i + 1, name, w, h, kind="radiograph", patient_key=f"p{i}"))
        for part in pair.high_parts:
            op = ops.add_instance_from_mask(project, i + 1, part.part, part.mask, source="manual")
            op.instance.extra = {"vertapp": {"vertebra": part.level}}
            project.apply(op)
    store.save_project(project)
    return tmp_path / "p", pair


def test_samples_scaled_to_the_long_side_with_level_classes(tmp_path):
    folder, pair = _project(tmp_path, 1)
    h, w = pair.high.shape
    (s,) = radiograph_samples(folder, BODIES, long_side=200)
    assert max(s.image.shape) == 200 and s.image.dtype == np.uint8
    scale = 200 / max(h, w)
    assert s.image.shape == (round(h * scale), round(w * scale))
    assert [BODIES[c - 1] for c in s.labels] == list(pair.levels)  # one body class per level
    for m, level in zip(s.masks, pair.levels, strict=True):
        truth = next(p.mask for p in pair.high_parts if (p.part, p.level) == ("body", level))
        small = cv2.resize(
            truth.astype(np.uint8), s.image.shape[::-1], interpolation=cv2.INTER_AREA
        )
        assert 2 * (m & (small > 0)).sum() / (m.sum() + (small > 0).sum()) > 0.85
        assert abs(m.sum() - truth.sum() * scale**2) < 0.2 * truth.sum() * scale**2
    assert s.spacing_mm == (1 / scale, 1 / scale)  # distances stay in source pixels
    (p,) = radiograph_samples(folder, PARTS_VOCAB, long_side=200)
    assert len(p.labels) == len(pair.high_parts)


def test_class_of_levels_and_parts():
    assert class_of({"vertapp": {"vertebra": "L1"}}, "body", BODIES) == BODIES.index("L1") + 1
    assert class_of({"vertapp": {"vertebra": "unknown"}}, "body", BODIES) is None
    assert class_of({}, "L2", BODIES) == BODIES.index("L2") + 1
    assert class_of({"vertapp": {"vertebra": "L1"}}, "pedicle", BODIES) is None
    assert class_of({}, "pedicle", PARTS_VOCAB) == PARTS_VOCAB.index("pedicle") + 1


def test_mirror_keeps_labels_and_never_turns_the_spine_upside_down(tmp_path):
    folder, pair = _project(tmp_path, 1)
    (s,) = radiograph_samples(folder, BODIES, long_side=160)
    cfg = radiograph_config(
        "bodies",
        160,
        hflip_prob=1.0,
        partial_view_prob=0.0,
        rotate_deg=0.0,
        scale_range=0.0,
        translate_frac=0.0,
    )
    img, masks, labels = augment_sample(s.image, s.masks, s.labels, cfg, np.random.default_rng(0))
    assert np.array_equal(labels, s.labels)
    assert np.array_equal(masks, s.masks[:, :, ::-1])  # mirrored left-right, masks with it
    rows = [np.flatnonzero(m.any(axis=1)).mean() for m in masks]
    assert rows == sorted(rows)  # T12 still on top
    # the intensity changes leave the mirrored anatomy where it is
    assert np.corrcoef(img.ravel(), s.image[:, ::-1].ravel().astype(float))[0, 1] > 0.8
    cfg0 = radiograph_config(
        "bodies",
        160,
        hflip_prob=0.0,
        partial_view_prob=0.0,
        rotate_deg=0.0,
        scale_range=0.0,
        translate_frac=0.0,
    )
    _, masks0, _ = augment_sample(s.image, s.masks, s.labels, cfg0, np.random.default_rng(0))
    assert np.array_equal(masks0, s.masks)


def test_net_trains_at_the_data_size_and_predicts_at_the_long_side():
    cfg = radiograph_config("bodies", 256, weights="none")
    model = build_model(cfg).train()
    batch, _ = model.transform([torch.rand(3, 100, 60)])
    assert batch.image_sizes == [(100, 60)]  # a partial view is not blown up in training
    model.eval()
    batch, _ = model.transform([torch.rand(3, 1000, 400)])
    assert max(batch.image_sizes[0]) == 256  # a new image is scaled to the trained long side


def test_training_run_on_radiographs_records_its_vocabulary(tmp_path):
    folder, _ = _project(tmp_path, 2)
    samples = radiograph_samples(folder, PARTS_VOCAB, long_side=128)
    cfg = radiograph_config(
        "parts",
        128,
        weights="none",
        fpn_channels=32,
        mask_head_channels=32,
        batch_size=1,
        max_iterations=2,
        epochs=1,
        device="cpu",
        warmup_iters=1,
    )
    result = run_job(train_job(cfg, samples[:1], tmp_path / "m.pt", val_data=samples[1:]))
    loaded = load_checkpoint(result.out)  # torch.load(weights_only=True)
    assert loaded.class_names == PARTS_VOCAB
    assert loaded.config.backbone == "mobilenet_v3_large"
    assert (loaded.config.max_size, loaded.config.resize_in_training) == (128, False)
    assert result.history and result.history[0]["val_mean_dice"] is not None


def test_lateral_views_are_never_mirrored():
    assert radiograph_config("parts", view="ap").hflip_prob == 0.5
    assert radiograph_config("parts", view="lateral").hflip_prob == 0.0
    with pytest.raises(InputError, match="view must be"):
        radiograph_config("parts", view="oblique")


def test_vertapp_train_reads_a_radiograph_project_scaled_with_level_classes(tmp_path, capsys):
    from vertapp.cli import main

    folder, _ = _project(tmp_path, 2)
    out = tmp_path / "cli.pt"
    argv = ["train", str(folder), "--out", str(out), "--preset", "mobile", "--weights", "none"]
    argv += ["--max-size", "128", "--epochs", "1", "--batch", "1", "--device", "cpu"]
    argv += [
        "--set",
        "max_iterations=1",
        "--set",
        "fpn_channels=32",
        "--set",
        "mask_head_channels=32",
    ]
    assert main(argv) == 0
    loaded = load_checkpoint(out)
    assert loaded.class_names == PARTS_VOCAB  # the project has pedicles etc.: parts vocabulary
    assert "level_context" in loaded.extra  # levels T1..L5: the context net trained after it
    assert (loaded.config.min_size, loaded.config.resize_in_training) == (128, False)


def test_vertapp_xray_levels_gives_a_body_model_its_level_context(tmp_path, capsys):
    from vertapp.cli import main
    from vertapp.ml.checkpoint import save_checkpoint

    folder, _ = _project(tmp_path, 2)
    cfg = radiograph_config("parts", 128, weights="none", device="cpu")
    cfg = cfg.override(backbone="mobilenet_v3_large", fpn_channels=16, mask_head_channels=16)
    ckpt = tmp_path / "m.pt"
    state = build_model(cfg).state_dict()
    save_checkpoint(ckpt, {"model": state, "config": cfg.to_dict(), "class_names": PARTS_VOCAB})
    assert "level_context" not in load_checkpoint(ckpt).extra
    assert main(["xray", "levels", str(folder), "--model", str(ckpt), "--epochs", "2"]) == 0
    assert "level_context" in load_checkpoint(ckpt).extra
    assert "of 2 films stored" in capsys.readouterr().out
    assert main(["xray", "levels", str(folder), "--model", str(ckpt), "--epochs", "0"]) != 0
    assert "--epochs 0" in capsys.readouterr().err
