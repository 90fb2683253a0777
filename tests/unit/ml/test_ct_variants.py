"""Re-acquired copies of imported labelled CTs (vertapp.ml.ct_variants), for training."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from tests.unit.ctimport.conftest import DATA
from vertapp.annotations.store import load_project
from vertapp.cli import main
from vertapp.errors import ModelError
from vertapp.io.volume import Volume
from vertapp.jobs import Progress, run_job
from vertapp.labels import VERTEBRAE
from vertapp.ml import ct_variants
from vertapp.ml.checkpoint import read_checkpoint
from vertapp.ml.config import TrainConfig
from vertapp.ml.ct_variants import Variation, case_variants, vary_volume, with_ct_variants
from vertapp.ml.dataset import load_samples
from vertapp.ml.train import train_job
from vertapp.review.snapshot import snapshot, to_sample
from vertapp.review.training import TrainRequest, train_job_from_snapshots
from vertapp.synth import make_ct_phantom

from .conftest import TINY

STILL = Variation((0.0, 0.0, 0.0), 1.5, 0.0, 0.0, 0.0, seed=1)


@pytest.fixture(scope="module")
def phantom() -> tuple[Volume, np.ndarray]:
    ph = make_ct_phantom(seed=7, first="T12", last="L2")  # 1.5 x 1.5 x 3 mm
    return ph.volume, ph.vertebra_labels


@pytest.fixture(scope="module")
def verse_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real VerSe case of tests/data (sub-verse006, L4-L5) imported as the CLI does."""
    out = tmp_path_factory.mktemp("variants") / "p"
    assert main(["import", str(DATA / "verse"), "--out", str(out), "--quiet"]) == 0
    return out


def _centroids_mm(volume: Volume, labels: np.ndarray) -> dict[int, np.ndarray]:
    out = {}
    for lab in np.unique(labels[labels > 0]).tolist():
        zyx = np.argwhere(labels == lab).mean(axis=0)
        out[lab] = volume.index_to_lps(zyx)
    return out


def test_a_still_variation_gives_back_the_scan(phantom: tuple[Volume, np.ndarray]) -> None:
    volume, labels = phantom
    ct, lab = vary_volume(volume, labels, STILL)
    assert ct.shape == volume.shape and ct.spacing == volume.spacing
    np.testing.assert_allclose(ct.origin, volume.origin, atol=1e-6)
    assert np.array_equal(lab, labels)
    assert np.abs(ct.array.astype(int) - volume.array).max() <= 2  # rounding of the blur


def test_a_turn_puts_each_vertebra_where_the_rotation_takes_it(
    phantom: tuple[Volume, np.ndarray],
) -> None:
    volume, labels = phantom
    var = replace(STILL, angles_deg=(4.0, -3.0, 10.0))
    ct, lab = vary_volume(volume, labels, var)
    before, after = _centroids_mm(volume, labels), _centroids_mm(ct, lab)
    assert set(after) == set(before)
    centre = np.asarray(volume.index_to_lps((np.asarray(volume.shape) - 1) / 2.0))
    turn = sitk.Euler3DTransform(centre.tolist(), *np.deg2rad(var.angles_deg).tolist())
    inverse = turn.GetInverse()  # the resampler reads input point turn(p) into output p
    for lab_id, q in before.items():
        expected = np.asarray(inverse.TransformPoint(q.tolist()))
        assert np.linalg.norm(after[lab_id] - expected) < 1.0, lab_id
        assert np.linalg.norm(after[lab_id] - q) > 2.0  # it did move


def test_thick_slices_soften_the_scan_but_not_the_labels(
    phantom: tuple[Volume, np.ndarray],
) -> None:
    volume, labels = phantom
    ct, lab = vary_volume(volume, labels, replace(STILL, slice_mm=6.0))
    assert ct.spacing == volume.spacing  # read back onto the fine grid, as a viewer shows it
    assert np.array_equal(lab, labels)  # labels never pass through the thick slices

    def step_z(a: np.ndarray) -> float:
        return float(np.abs(np.diff(a.astype(float), axis=0)).mean())

    assert step_z(ct.array) < 0.8 * step_z(volume.array)


def test_noise_is_added_and_drawn_from_the_variation_seed(
    phantom: tuple[Volume, np.ndarray],
) -> None:
    volume, labels = phantom
    noisy = replace(STILL, noise_hu=30.0)
    a, _ = vary_volume(volume, labels, noisy)
    b, _ = vary_volume(volume, labels, noisy)
    assert np.array_equal(a.array, b.array)
    diff = a.array.astype(float) - volume.array
    assert 25.0 < diff[volume.array < -900].std() < 35.0  # in the air around the body


def test_variants_of_a_real_case_keep_its_patient_and_lie_on_its_bone(
    verse_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (base,) = load_samples(verse_project, list(VERTEBRAE))
    made = case_variants(base, verse_project, 3, list(VERTEBRAE), seed=5)
    assert len(made) == 3
    for v in made:
        assert v.patient == "sub-verse006" and v.record["vertapp"]["variant_of"] == base.file_name
        assert sorted(VERTEBRAE[i - 1] for i in v.labels) == ["L4", "L5"]
        union = v.masks.any(axis=0)
        for mask in v.masks:
            assert mask.sum() > 400
            assert v.image[mask].mean() > 1.3 * v.image[~union].mean()  # on bone, not beside
    assert not np.array_equal(made[0].image, made[1].image)
    cached = sorted((verse_project / ct_variants.CACHE_DIR).glob("*.npz"))
    assert len(cached) == 3

    def refuse(*args: object, **kw: object) -> None:
        raise AssertionError("re-sliced although cached")

    monkeypatch.setattr(ct_variants, "variant_sample", refuse)
    again = case_variants(base, verse_project, 3, list(VERTEBRAE), seed=5)
    for a, b in zip(made, again, strict=True):
        assert np.array_equal(a.image, b.image) and np.array_equal(a.masks, b.masks)
        assert a.spacing_mm == b.spacing_mm


def test_a_damaged_cache_entry_is_made_again(verse_project: Path) -> None:
    (base,) = load_samples(verse_project, list(VERTEBRAE))
    first = case_variants(base, verse_project, 1, list(VERTEBRAE), seed=9)
    entry = max(
        (verse_project / ct_variants.CACHE_DIR).glob("*.npz"), key=lambda p: p.stat().st_mtime
    )
    entry.write_bytes(b"not an npz")
    (again,) = case_variants(base, verse_project, 1, list(VERTEBRAE), seed=9)
    assert np.array_equal(first[0].image, again.image)
    assert entry.stat().st_size > 100


def test_only_imported_cts_get_variants(verse_project: Path) -> None:
    (base,) = load_samples(verse_project, list(VERTEBRAE))
    drawn = replace(base, record={"vertapp": {"source": "manual"}})
    assert with_ct_variants([drawn], verse_project, 4, list(VERTEBRAE)) == [drawn]
    assert with_ct_variants([base], None, 4, list(VERTEBRAE)) == [base]
    escaping = replace(base, record={"vertapp": {**base.record["vertapp"], "source_path": "../x"}})
    assert with_ct_variants([escaping], verse_project, 4, list(VERTEBRAE)) == [escaping]


def test_training_adds_variants_to_the_training_images(verse_project: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(**TINY).override(
        epochs=1, views_per_image=1, val_fraction=0.0, max_iterations=1, ct_variants=2
    )
    events: list[Progress] = []
    run_job(train_job(cfg, verse_project, tmp_path / "m.pt"), events.append)
    start = next(e.message for e in events if e.stage == "train" and "validation" in e.message)
    assert start.startswith("3 train / 0 validation images"), start


def test_variant_count_is_checked() -> None:
    with pytest.raises(ModelError, match="ct_variants"):
        TrainConfig(ct_variants=-1).validate()


def test_the_windows_training_re_slices_imported_cts_too(
    verse_project: Path, tmp_path: Path
) -> None:
    project = load_project(verse_project, require_images=True)
    (image_id,) = project.images
    (snap,) = snapshot(project, [image_id])
    assert snap.imported is not None and snap.root == verse_project
    assert to_sample(snap, list(VERTEBRAE)).record["vertapp"]["source"] == "imported"
    cfg = TrainConfig(**TINY).override(
        epochs=1, views_per_image=1, val_fraction=0.0, max_iterations=1, ct_variants=2
    )
    request = TrainRequest(cfg, [image_id], [], tmp_path / "m.pt")
    events: list[Progress] = []
    run_job(train_job_from_snapshots(request, [snap], []), events.append)
    start = next(e.message for e in events if e.stage == "train" and "validation" in e.message)
    assert start.startswith("3 train / 0 validation images"), start


def test_vertapp_train_takes_the_variant_count(
    verse_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.pt"
    run = ["--epochs", "1", "--max-iters", "1", "--device", "cpu", "--set", "views_per_image=1"]
    small = ["--min-size", "128", "--max-size", "128", "--set", "fpn_channels=32"]
    args = ["train", str(verse_project), "--out", str(out), "--from-scratch", "--ct-variants", "3"]
    assert main([*args, *small, *run, "--set", "val_fraction=0"]) == 0
    assert read_checkpoint(out)["config"]["ct_variants"] == 3
    assert "4 train / 0 validation images" in capsys.readouterr().err
