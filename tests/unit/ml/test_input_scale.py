"""The input-scale floor of CT models (vertapp.ml.input_scale): a whole spine's MIP is no
longer shrunk to a third of a short crop's size; short views and radiographs as before."""

from __future__ import annotations

import pytest
import torch
from torchvision.models.detection.transform import GeneralizedRCNNTransform

from vertapp.errors import ModelError
from vertapp.ml.checkpoint import check_config, legacy_min_scale, stored_config
from vertapp.ml.config import CT_MIN_SCALE, TrainConfig, finetune_config, preset
from vertapp.ml.input_scale import FlooredTransform, resize_scale
from vertapp.ml.model import build_model
from vertapp.xray.training import radiograph_config, radiograph_overrides

from .conftest import TINY

TINY_RUN = TINY | dict(epochs=1, max_iterations=1, min_scale=0.0)
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
WHOLE_SPINE = (556, 183)  # h, w of a T1-L5 MIP on the 1 mm grid
LUMBAR_CROP = (180, 103)  # sub-verse005: L1-L5


def test_the_rule_is_torchvisions_above_the_floor():
    assert resize_scale(LUMBAR_CROP, 384, 512, 2.4) == pytest.approx(512 / 180)
    assert resize_scale(WHOLE_SPINE, 384, 512, 2.4) == 2.4
    assert resize_scale(WHOLE_SPINE, 384, 512, 0.0) == pytest.approx(512 / 556)


def _sizes(transform: GeneralizedRCNNTransform, shape: tuple[int, int]) -> tuple[int, int]:
    transform.eval()
    batch, _ = transform([torch.rand(3, *shape)])
    return tuple(batch.image_sizes[0])


def test_a_whole_spine_is_shown_at_the_floor_and_a_short_crop_as_before():
    plain = GeneralizedRCNNTransform(384, 512, MEAN, STD)
    floored = FlooredTransform(384, 512, MEAN, STD, min_scale=2.4)
    assert _sizes(plain, WHOLE_SPINE) == (512, 168)  # 0.92 px per mm
    assert _sizes(floored, WHOLE_SPINE) == (1334, 439)  # 2.4 px per mm
    assert _sizes(floored, LUMBAR_CROP) == _sizes(plain, LUMBAR_CROP) == (512, 292)
    assert floored.min_size == (384,) and floored.max_size == 512  # restored after use


def test_training_targets_are_scaled_with_the_image():
    floored = FlooredTransform(384, 512, MEAN, STD, min_scale=2.4).train()
    masks = torch.zeros(1, *WHOLE_SPINE, dtype=torch.uint8)
    masks[0, 100:120, 50:90] = 1
    target = {"boxes": torch.tensor([[50.0, 100.0, 90.0, 120.0]]), "masks": masks}
    target["labels"] = torch.tensor([1])
    batch, [out] = floored([torch.rand(3, *WHOLE_SPINE)], [target])
    assert tuple(batch.image_sizes[0]) == (1334, 439)
    assert out["boxes"][0].tolist() == pytest.approx([120.0, 240.0, 216.0, 288.0], abs=1.0)
    assert out["masks"].shape[-2:] == (1334, 439)


def test_ct_presets_floor_their_models_and_radiograph_models_never():
    ct = build_model(preset("fast", class_names=["T1", "T2"]), load_weights=False)
    assert isinstance(ct.transform, FlooredTransform) and ct.transform.min_scale == CT_MIN_SCALE
    for cfg in (radiograph_config(), radiograph_overrides(preset("mobile"))):
        assert cfg.min_scale == 0.0
        model = build_model(cfg, load_weights=False)
        assert type(model.transform) is GeneralizedRCNNTransform
    # a radiograph model's film (long side 1024) goes in at its own size, never blown up
    assert _sizes(build_model(radiograph_config(), load_weights=False).transform, (1024, 400)) == (
        1024,
        400,
    )


def test_checkpoints_written_before_the_floor_get_it_when_they_are_ct_models():
    """The shipped starter's file has no min_scale: it gets the CT floor; a radiograph
    model (no resize in training) and the U-Net none; a recorded value is kept."""
    ct = TrainConfig().to_dict()
    del ct["min_scale"]
    assert stored_config({"config": ct}, "old.pt").min_scale == CT_MIN_SCALE
    xray = radiograph_config().to_dict()
    del xray["min_scale"]
    assert stored_config({"config": xray}, "old.pt").min_scale == 0.0
    assert legacy_min_scale(TrainConfig(arch="unet")) == 0.0
    kept = TrainConfig(min_scale=0.0).to_dict()
    assert stored_config({"config": kept}, "new.pt").min_scale == 0.0


def test_a_fine_tune_keeps_its_starts_floor():
    run = preset("fast", min_scale=0.0)
    assert finetune_config(run, preset("mobile", min_scale=2.0)).min_scale == 2.0


@pytest.mark.parametrize("bad", [-1.0, 1e9, float("nan"), "big"])
def test_a_checkpoint_floor_out_of_range_is_refused_in_words(bad):
    with pytest.raises(ModelError, match="bad.pt: checkpoint config min_scale"):
        check_config(TrainConfig().to_dict() | {"min_scale": bad}, "bad.pt")


@pytest.mark.parametrize("bad", [-1.0, 1e9, float("nan")])
def test_a_run_floor_out_of_range_is_refused_in_words(bad):
    with pytest.raises(ModelError, match="min_scale"):
        TrainConfig().override(min_scale=bad)


def _without_floor_field(path):
    """Rewrite a checkpoint as VertApp wrote it before `min_scale` existed."""
    data = torch.load(path, weights_only=True)
    del data["config"]["min_scale"]
    torch.save(data, path)
    return path


def test_fine_tunes_and_resumes_of_an_older_ct_checkpoint_keep_its_floor(tmp_path):
    """The shipped starter has no min_scale in its file: a fine-tune from it (the default
    start of `vertapp train`) or a resume must not lose the floor it predicts with."""
    from tests.unit.ml.spines import spine_samples
    from tests.unit.ml.tiny_starter import training_checkpoint
    from vertapp.jobs import run_job
    from vertapp.ml.checkpoint import load_checkpoint, read_checkpoint
    from vertapp.ml.train import train_job

    old = _without_floor_field(training_checkpoint(tmp_path / "old.pt", min_scale=0.0))
    assert load_checkpoint(old).config.min_scale == CT_MIN_SCALE
    run = TrainConfig(**TINY_RUN)
    out = tmp_path / "tuned.pt"
    result = run_job(train_job(run, spine_samples(2), out, finetune_from=old))
    assert read_checkpoint(out)["config"]["min_scale"] == CT_MIN_SCALE
    last = _without_floor_field(result.last)  # a run's last epoch, written before the field
    resumed = tmp_path / "resumed.pt"
    run_job(train_job(run.override(epochs=2), spine_samples(2), resumed, resume=last))
    assert read_checkpoint(resumed)["config"]["min_scale"] == CT_MIN_SCALE
