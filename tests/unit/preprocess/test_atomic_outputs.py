"""Preprocessing outputs are saved atomically (DESIGN: a killed save never leaves half a
file or an inconsistent set): mip.png / mip.npy / mip_depth.npy / preprocess.json,
overview.png and `vertapp predict`'s <name>_mip.png.

A crash is simulated by making a write or a rename fail part-way; the checks are that the
previous files are untouched, that no preprocess.json is ever left beside arrays it does
not describe, that no temp file is left behind, and that the next save works.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.unit.crash_points import fail_replace_of
from vertapp.errors import FormatError, InputError
from vertapp.preprocess import MipResult, PreprocessParams
from vertapp.preprocess.crop import Crop
from vertapp.preprocess.resample import Grid
from vertapp.preprocess.result import DEPTH_NAME, JSON_NAME, NPY_NAME, PNG_NAME, write_image

NAMES = (JSON_NAME, PNG_NAME, NPY_NAME, DEPTH_NAME)


def make_result(rows: int = 24, cols: int = 12, value: float = 500.0) -> MipResult:
    """A small hand-built MipResult (no preprocessing run): `rows` slices, `cols` columns."""
    mip = np.zeros((rows, cols), np.float32)
    mip[:, cols // 2] = value
    mip[rows // 3, :] = value / 2
    depth = np.full((rows, cols), 7, np.int16)
    depth[0, 0] = int(value) % 100
    track = np.stack([np.arange(rows, dtype=float), np.full(rows, 3.0), np.full(rows, 4.0)], 1)
    circles = np.array([[0.0, 3.0, 4.0, 5.0, 1.0], [float(rows - 1), 3.0, 4.0, 6.0, 1.0]])
    return MipResult(
        mip=mip,
        mip_u8=np.clip(mip * (255 / 1500), 0, 255).astype(np.uint8),
        circles=circles,
        circle_slice=np.array([0, rows - 1]),
        circle_capped=np.array([False, False]),
        circle_on_track=np.array([True, True]),
        spine_cluster=1,
        cluster_scores=[0.1, 0.9],
        track=track,
        track_detected=np.ones(rows, bool),
        crop=Crop((0, rows), (0, cols), (2, 9), np.full(rows, 2), np.full(rows, 9)),
        grid=Grid((0.0, 0.0, 0.0), 1.0, (rows, cols, 12)),
        params=PreprocessParams(),
        source={
            "shape_zyx": [rows, cols, 12],
            "spacing_xyz": [1.0, 1.0, 1.0],
            "origin_lps": [0.0, 0.0, 0.0],
            "direction": np.eye(3).tolist(),
        },
        depth=depth,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {n: (folder / n).read_bytes() for n in NAMES if (folder / n).exists()}


def stray(folder: Path) -> list[str]:
    """Anything in the folder that is not one of the four outputs (temp files, mostly)."""
    return sorted(p.name for p in folder.iterdir() if p.name not in NAMES)


def test_normal_save_round_trips_and_leaves_no_temp_file(tmp_path: Path) -> None:
    res = make_result()
    assert res.save(tmp_path) == tmp_path / JSON_NAME
    assert stray(tmp_path) == []
    back = MipResult.load(tmp_path)
    assert np.array_equal(back.mip, res.mip) and np.array_equal(back.depth, res.depth)
    png = cv2.imread(str(tmp_path / PNG_NAME), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint8 and np.array_equal(png, res.mip_u8)
    # saving again over the same folder replaces the set
    new = make_result(rows=30, value=900.0)
    new.save(tmp_path)
    back = MipResult.load(tmp_path)
    assert back.mip.shape == (30, 12) and np.array_equal(back.mip, new.mip)
    assert stray(tmp_path) == []


@pytest.mark.parametrize("crash_at", [NPY_NAME, DEPTH_NAME, JSON_NAME])
def test_save_killed_partway_never_leaves_json_beside_other_arrays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_at: str
) -> None:
    old = make_result()
    old.save(tmp_path)
    before = snapshot(tmp_path)
    with monkeypatch.context() as m:
        fail_replace_of(m, crash_at)
        with pytest.raises(InputError, match="cannot write"):
            make_result(rows=30, value=900.0).save(tmp_path)
    # the array being installed when it died is the old one, whole (never half written)
    if crash_at != JSON_NAME:
        assert (tmp_path / crash_at).read_bytes() == before[crash_at]
    # the PNG was replaced already: the old preprocess.json must be gone with it
    assert not (tmp_path / JSON_NAME).exists()
    with pytest.raises(FormatError, match="cannot read preprocess JSON"):
        MipResult.load(tmp_path)
    assert stray(tmp_path) == []  # the temp file went with the failure
    new = make_result(rows=30, value=900.0)
    new.save(tmp_path)  # the next save repairs the folder
    back = MipResult.load(tmp_path)
    assert np.array_equal(back.mip, new.mip) and np.array_equal(back.depth, new.depth)
    assert stray(tmp_path) == []


def test_a_write_that_fails_before_any_rename_keeps_the_old_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while the first temp file is written: nothing of the old set changes."""
    old = make_result()
    old.save(tmp_path)
    before = snapshot(tmp_path)

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, "fsync", no_space)
        with pytest.raises(InputError, match=PNG_NAME):
            make_result(rows=30, value=900.0).save(tmp_path)
    assert snapshot(tmp_path) == before
    assert stray(tmp_path) == []
    assert np.array_equal(MipResult.load(tmp_path).mip, old.mip)


def test_each_file_is_written_beside_itself_and_renamed_json_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = fail_replace_of(monkeypatch, "nothing")
    make_result().save(tmp_path)
    assert seen == [PNG_NAME, NPY_NAME, DEPTH_NAME, JSON_NAME]


def test_a_result_without_depth_removes_an_older_depth_file(tmp_path: Path) -> None:
    make_result().save(tmp_path)
    res = make_result(rows=30)
    res.depth = None
    res.save(tmp_path)
    assert not (tmp_path / DEPTH_NAME).exists()
    assert MipResult.load(tmp_path).depth is None


@pytest.mark.parametrize("name", [NPY_NAME, DEPTH_NAME])
def test_arrays_of_another_run_are_a_clear_error_on_load(tmp_path: Path, name: str) -> None:
    make_result(rows=24).save(tmp_path)
    other = tmp_path / "other"
    make_result(rows=30).save(other)
    (tmp_path / name).write_bytes((other / name).read_bytes())
    with pytest.raises(FormatError, match=rf"{name}: shape \[30, 12\] does not match.*24, 12"):
        MipResult.load(tmp_path)


def test_a_truncated_array_is_a_format_error(tmp_path: Path) -> None:
    make_result().save(tmp_path)
    data = (tmp_path / NPY_NAME).read_bytes()
    (tmp_path / NPY_NAME).write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match=NPY_NAME):
        MipResult.load(tmp_path)


def test_json_written_is_what_to_json_says(tmp_path: Path) -> None:
    res = make_result()
    res.save(tmp_path)
    assert json.loads((tmp_path / JSON_NAME).read_text()) == json.loads(json.dumps(res.to_json()))


# ----------------------------------------------------------------------- write_image


def test_write_image_keeps_the_old_file_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "picture.png"
    old = np.full((8, 9), 17, np.uint8)
    write_image(target, old)
    before = target.read_bytes()
    with monkeypatch.context() as m:
        fail_replace_of(m, target.name)
        with pytest.raises(InputError, match="picture.png: cannot write"):
            write_image(target, np.full((20, 20), 200, np.uint8))
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["picture.png"]
    write_image(target, np.full((20, 20), 200, np.uint8))
    assert cv2.imread(str(target), cv2.IMREAD_UNCHANGED).shape == (20, 20)
    assert [p.name for p in tmp_path.iterdir()] == ["picture.png"]


def test_write_image_keeps_the_format_of_the_extension(tmp_path: Path) -> None:
    img = np.arange(64, dtype=np.uint8).reshape(8, 8)
    write_image(tmp_path / "a.png", img)
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    write_image(tmp_path / "b.jpg", img)
    assert (tmp_path / "b.jpg").read_bytes()[:2] == b"\xff\xd8"
    with pytest.raises(InputError, match="cannot encode"):
        write_image(tmp_path / "c.unknown", img)
    assert not (tmp_path / "c.unknown").exists()


def test_overview_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vertapp.preprocess import overview

    target = tmp_path / "overview.png"
    target.write_bytes(b"the previous overview")
    monkeypatch.setattr(overview, "render_overview", lambda res: np.zeros((5, 7, 3), np.uint8))
    with monkeypatch.context() as m:
        fail_replace_of(m, "overview.png")
        with pytest.raises(InputError):
            overview.write_overview(make_result(), target)
    assert target.read_bytes() == b"the previous overview"
    assert [p.name for p in tmp_path.iterdir()] == ["overview.png"]
    assert overview.write_overview(make_result(), target) == target
    assert cv2.imread(str(target)).shape == (5, 7, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["overview.png"]


def test_predict_mip_png_is_written_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vertapp.io
    import vertapp.preprocess
    import vertapp.preprocess.landmarks
    from vertapp.commands import predict

    res = make_result()
    from types import SimpleNamespace

    monkeypatch.setattr(
        vertapp.io, "read_volume", lambda path: SimpleNamespace(warnings=[], notes=[])
    )
    monkeypatch.setattr(vertapp.preprocess, "preprocess", lambda volume: res)
    monkeypatch.setattr(vertapp.preprocess.landmarks, "landmarks", lambda result: {})
    target = tmp_path / "case_mip.png"
    target.write_bytes(b"an earlier MIP")
    with monkeypatch.context() as m:
        fail_replace_of(m, target.name)
        with pytest.raises(InputError):
            predict._mip_from_volume(Path("case.nii.gz"), tmp_path)
    assert target.read_bytes() == b"an earlier MIP"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    img, rec = predict._mip_from_volume(Path("case.nii.gz"), tmp_path)
    assert rec["file_name"] == target.name
    assert np.array_equal(cv2.imread(str(target), cv2.IMREAD_UNCHANGED), res.mip_u8)
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
