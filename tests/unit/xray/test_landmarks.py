"""Landmark import: AASCE layout and other corner layouts -> a project with one body per level."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from vertapp.cli import main
from vertapp.errors import FormatError, InputError
from vertapp.jobs import run_job
from vertapp.labels import VERTEBRAE
from vertapp.xray.landmarks import CornerLayout, corners_px, import_landmarks_job

NAMES = ["sunhl-1th-02-Jan-2017-12 A AP.png", "sunhl-1th-02-Jan-2017-12 B AP.png", "x-13 A AP.png"]
W, H = 90, 400


def _corners(k: int) -> np.ndarray:
    """(17, 4, 2) pixel corners TL, TR, BL, BR of tilted boxes stacked down the image."""
    out = np.zeros((17, 4, 2))
    for i in range(17):
        top, x0 = 10 + 22 * i, 20 + k + i % 3
        out[i] = [[x0, top + 2], [x0 + 40, top], [x0 + 1, top + 17], [x0 + 41, top + 15]]
    return out


def _dataset(root: Path, rows: list[list[float]] | None = None) -> Path:
    (root / "images").mkdir(parents=True)
    lines = []
    for k, name in enumerate(NAMES):
        cv2.imwrite(str(root / "images" / name), np.full((H, W), 40 + k, np.uint8))
        c = _corners(k)  # AASCE: 68 x (normalised) then 68 y (normalised)
        lines.append(np.concatenate([c[..., 0].ravel() / W, c[..., 1].ravel() / H]).tolist())
    (root / "filenames.csv").write_text("\n".join(NAMES) + "\n")
    body = rows if rows is not None else lines
    (root / "landmarks.csv").write_text("\n".join(",".join(map(str, r)) for r in body) + "\n")
    return root


def _import(src: Path, out: Path, **kw) -> dict:
    run_job(import_landmarks_job(src, out, **kw))
    return json.loads((out / "project.json").read_text())


def test_aasce_rows_become_one_body_polygon_per_level(tmp_path):
    data = _import(_dataset(tmp_path / "src"), tmp_path / "proj")
    assert [c["name"] for c in data["categories"]][0] == "body"
    assert len(data["images"]) == 3 and len(data["annotations"]) == 3 * 17
    first = [a for a in data["annotations"] if a["image_id"] == data["images"][0]["id"]]
    assert [a["vertapp"]["vertebra"] for a in first] == list(VERTEBRAE)
    ring = np.array(first[4]["segmentation"][0]).reshape(-1, 2)
    tl, tr, bl, br = _corners(0)[4]
    assert np.allclose(ring, [tl, tr, br, bl])  # outline TL -> TR -> BR -> BL
    coco = COCO(str(tmp_path / "proj" / "project.json"))
    assert coco.annToMask(coco.loadAnns(first[0]["id"])[0]).sum() > 500


def test_images_copied_under_neutral_names_with_patient_keys(tmp_path):
    data = _import(_dataset(tmp_path / "src"), tmp_path / "proj")
    names = [r["file_name"] for r in data["images"]]
    assert names == ["images/0001.png", "images/0002.png", "images/0003.png"]
    assert all((tmp_path / "proj" / n).is_file() for n in names)
    text = (tmp_path / "proj" / "project.json").read_text()
    assert "Jan" not in text and "sunhl" not in text  # source names (dates) not kept
    keys = [r["vertapp"]["patient_key"] for r in data["images"]]
    assert keys[0] == keys[1] != keys[2]  # "12 A" and "12 B" are one patient
    assert all(re.fullmatch(r"case-[0-9a-f]{12}", k) for k in keys)  # a digest, not "12"
    assert data["images"][1]["vertapp"]["kind"] == "radiograph"


def test_other_layouts_give_the_same_project(tmp_path):
    src = _dataset(tmp_path / "src")
    rows = []
    for k in range(3):  # pixels, interleaved (x0, y0, x1, y1...), corners TR, BR, BL, TL
        c = _corners(k)[:, [1, 3, 2, 0]]
        rows.append(c.reshape(-1).tolist())
    (src / "landmarks2.csv").write_text("\n".join(",".join(map(str, r)) for r in rows))
    layout = CornerLayout(
        corner_order=("top_right", "bottom_right", "bottom_left", "top_left"),
        coordinates="pixels",
        axes="interleaved",
    )
    a = _import(src, tmp_path / "a")
    b = _import(src, tmp_path / "b", layout=layout, landmarks_csv=src / "landmarks2.csv")
    seg = lambda d: [np.round(s["segmentation"][0], 6).tolist() for s in d["annotations"]]  # noqa: E731
    assert seg(a) == seg(b)


def test_levels_subset_and_vertebra_vocabulary(tmp_path):
    layout = CornerLayout(levels=("T12", "L1"))
    c = np.array(
        [[[10, 10], [50, 10], [10, 30], [50, 30]], [[10, 40], [50, 40], [10, 60], [50, 60]]]
    )
    assert corners_px(
        c.reshape(-1),
        CornerLayout(levels=("T12", "L1"), axes="interleaved", coordinates="pixels"),
        W,
        H,
    ).shape == (2, 4, 2)
    src = tmp_path / "src"
    (src / "images").mkdir(parents=True)
    cv2.imwrite(str(src / "images" / "a 1 A.png"), np.zeros((H, W), np.uint8))
    (src / "filenames.csv").write_text("a 1 A.png\n")
    row = np.concatenate([c[..., 0].ravel() / W, c[..., 1].ravel() / H])
    (src / "landmarks.csv").write_text(",".join(map(str, row)))
    data = _import(src, tmp_path / "p", layout=layout, vocabulary="vertebrae")
    cats = {c["id"]: c["name"] for c in data["categories"]}
    assert [cats[a["category_id"]] for a in data["annotations"]] == ["T12", "L1"]
    assert [a["vertapp"]["vertebra"] for a in data["annotations"]] == ["T12", "L1"]


def test_bad_input_gives_our_errors_in_words(tmp_path):
    src = _dataset(tmp_path / "src")
    (src / "landmarks.csv").write_text("0.1,0.2\n" * 3)
    with pytest.raises(FormatError, match=r"row 1: expected 136 numbers, got 2"):
        _import(src, tmp_path / "p1")
    (src / "landmarks.csv").write_text("0.1,abc\n" * 3)
    with pytest.raises(FormatError, match="row 1: not a number"):
        _import(src, tmp_path / "p2")
    (src / "landmarks.csv").write_text("0.1\n" * 2)
    with pytest.raises(FormatError, match="2 rows, but .* names 3 images"):
        _import(src, tmp_path / "p3")
    src2 = _dataset(tmp_path / "src2")
    (src2 / "images" / NAMES[2]).unlink()
    with pytest.raises(InputError, match="missing or not readable"):
        _import(src2, tmp_path / "p4")
    assert not (tmp_path / "p4").exists()  # a failed import leaves no half project behind
    _import(_dataset(tmp_path / "src3"), tmp_path / "p5")
    with pytest.raises(InputError, match="already holds a project"):
        _import(tmp_path / "src3", tmp_path / "p5")
    with pytest.raises(InputError, match="corner order"):
        CornerLayout(corner_order=("top_left", "top_left", "bottom_left", "bottom_right"))


def test_cli_import_and_its_layout_flags(tmp_path, capsys):
    src = _dataset(tmp_path / "src")
    assert (
        main(
            [
                "xray",
                "import",
                str(src),
                "--out",
                str(tmp_path / "p"),
                "--corner-order",
                "tl,tr,bl,br",
            ]
        )
        == 0
    )
    assert "3 radiographs, 51 vertebral bodies" in capsys.readouterr().out
    assert (
        main(["xray", "import", str(src), "--out", str(tmp_path / "q"), "--levels", "T1-T3"]) != 0
    )
    err = capsys.readouterr().err
    assert "expected 24 numbers, got 136" in err and "Traceback" not in err
