"""`vertapp xray zoi` and `vertapp xray align` end to end on a synthetic pair written as
16-bit PNGs with COCO part annotations (the exact command line of issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.unit.xray.zoi_pairs import pair
from vertapp.annotations.geometry import mask_to_rle, rle_to_json
from vertapp.cli import main
from vertapp.labels import PARTS
from vertapp.xray.similarity import corner_errors

KEYS = {"level", "matrix", "rotation_deg", "scale", "tx_px", "ty_px", "score", "status", "warnings"}


def _png(path: Path, image: np.ndarray) -> Path:
    cv2.imwrite(str(path), np.round(np.clip(image, 0, 1.5) * 40000).astype(np.uint16))
    return path


def _coco(path: Path, parts, shape, name: str, drop: str = "", style: str = "vertapp") -> Path:  # type: ignore[no-untyped-def]
    anns = []
    for p in parts:
        if p.level == drop:
            continue
        ann = {
            "id": len(anns) + 1,
            "image_id": 1,
            "category_id": PARTS.index(p.part) + 1,
            "segmentation": rle_to_json(mask_to_rle(p.mask)),
            "iscrowd": 0,
        }
        ann.update(
            {"vertapp": {"vertebra": p.level}} if style == "vertapp" else {"vertebra": p.level}
        )
        anns.append(ann)
    coco = {
        "images": [{"id": 1, "file_name": name, "height": shape[0], "width": shape[1]}],
        "categories": [{"id": i + 1, "name": n} for i, n in enumerate(PARTS)],
        "annotations": anns,
    }
    path.write_text(json.dumps(coco))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):  # type: ignore[no-untyped-def]
    d = tmp_path_factory.mktemp("xray")
    p = pair(0, "T10", "L5")
    shape = p.high.shape
    return {
        "pair": p,
        "low": _png(d / "low.png", p.low.array),
        "high": _png(d / "high.png", p.high.array),
        "low_coco": _coco(d / "low.json", p.low_parts, shape, "low.png"),
        "high_coco": _coco(d / "high.json", p.high_parts, shape, "high.png", style="top"),
        "low_coco_drop": _coco(d / "low_drop.json", p.low_parts, shape, "low.png", drop="L2"),
        "dir": d,
    }


def test_zoi_command_writes_cut_outs_and_index(files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "zois"
    assert (
        main(
            [
                "xray",
                "zoi",
                str(files["high"]),
                "--zois",
                str(files["high_coco"]),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    index = json.loads((out / "zois.json").read_text())
    assert [z["level"] for z in index["zois"]] == list(files["pair"].levels)
    image = cv2.imread(str(files["high"]), cv2.IMREAD_UNCHANGED)
    for z in index["zois"]:
        x, y, w, h = z["bbox"]
        cut = cv2.imread(str(out / z["file"]), cv2.IMREAD_UNCHANGED)
        assert cut.dtype == np.uint16 and cut.shape == (h, w)
        mask = files["pair"].high_vertebrae[z["level"]][y : y + h, x : x + w]
        np.testing.assert_array_equal(cut[mask], image[y : y + h, x : x + w][mask])
        assert sorted(z["parts"]) == sorted(
            {"body", "pedicle", "spinous_process", "transverse_process"}
        )
    assert "8 ZOIs (T10, T11, T12, L1, L2, L3, L4, L5)" in capsys.readouterr().out


def _align(files, out: Path, low_coco: str = "low_coco") -> int:  # type: ignore[no-untyped-def]
    args = ["xray", "align", str(files["low"]), str(files["high"])]
    args += ["--zois-low", str(files[low_coco]), "--zois-high", str(files["high_coco"])]
    return main([*args, "--out", str(out)])


def test_align_command_writes_the_schema_and_images(files, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "aligned"
    assert _align(files, out, "low_coco_drop") == 0
    data = json.loads((out / "alignment.json").read_text())
    assert set(data) == {"vertebrae", "warnings"} and isinstance(data["warnings"], list)
    p = files["pair"]
    for rec in data["vertebrae"]:
        assert set(rec) >= KEYS
        assert np.asarray(rec["matrix"]).shape == (2, 3)
        assert all(
            isinstance(rec[k], float) for k in ("rotation_deg", "scale", "tx_px", "ty_px", "score")
        )
        assert rec["status"] == ("fallback" if rec["level"] == "L2" else "aligned")
        # the matrix maps high-dose pixels to low-dose ones: compare with the known motion
        mask = p.high_vertebrae[rec["level"]]
        rows, cols = np.nonzero(mask)
        bbox = [cols.min(), rows.min(), np.ptp(cols) + 1, np.ptp(rows) + 1]
        assert (
            corner_errors(np.asarray(rec["matrix"]), p.motions[rec["level"]].matrix, bbox).max() < 4
        )
        assert abs(rec["rotation_deg"] - p.motions[rec["level"]].angle_deg) < 2.0
        assert abs(rec["tx_px"] - p.motions[rec["level"]].dx_mm) < 1.5  # 1 mm pixels
    assert any(w.startswith("L2: not found on the low-dose image") for w in data["warnings"])
    fused = cv2.imread(str(out / "fused.png"), cv2.IMREAD_UNCHANGED)
    check = cv2.imread(str(out / "check.png"), cv2.IMREAD_UNCHANGED)
    assert fused.shape == p.low.shape and fused.dtype == np.uint16
    assert check.shape == (*p.low.shape, 3)


def test_warnings_go_to_stderr_and_stdout_keeps_the_result_line(files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """As `vertapp predict` does (and the CLI contract asks): `xray align` and `xray zoi`
    printed their warnings on stdout, mixed into the result lines other tools read."""
    assert _align(files, tmp_path / "aligned", "low_coco_drop") == 0
    said = capsys.readouterr()
    assert any(line.startswith("warning: L2: not found") for line in said.err.splitlines())
    assert said.out.splitlines() == [
        f"8 vertebrae: 7 aligned, 1 fallback -> {tmp_path / 'aligned' / 'alignment.json'}"
    ]
    colour = tmp_path / "colour.png"  # a colour film: read as grey, which is said
    grey = cv2.imread(str(files["high"]), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(colour), np.dstack([grey, grey // 2, grey]))
    args = ["xray", "zoi", str(colour), "--zois", str(files["high_coco"])]
    assert main([*args, "--out", str(tmp_path / "z")]) == 0
    said = capsys.readouterr()
    assert "warning: colour.png: colour image converted to grey" in said.err.splitlines()
    assert "warning:" not in said.out and said.out.startswith("8 ZOIs")


def test_fused_image_carries_the_high_dose_quality(files, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Inside the placed ZOIs the fused image has the high-dose grain (much less pixel noise
    than the low-dose image); far from them it is the low-dose image unchanged."""
    out = tmp_path / "fused"
    assert _align(files, out) == 0
    fused = cv2.imread(str(out / "fused.png"), cv2.IMREAD_UNCHANGED).astype(np.float32)
    low = cv2.imread(str(files["low"]), cv2.IMREAD_UNCHANGED).astype(np.float32)
    p = files["pair"]
    inside = np.any(list(p.low_vertebrae.values()), axis=0)
    inside = cv2.erode(inside.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0

    def grain(img: np.ndarray) -> float:
        return float(np.std(cv2.Laplacian(img / np.percentile(img, 99), cv2.CV_32F)[inside]))

    assert grain(fused) < 0.6 * grain(low)
    far = (
        cv2.dilate(
            np.any(list(p.low_vertebrae.values()), axis=0).astype(np.uint8), np.ones((41, 41))
        )
        == 0
    )
    np.testing.assert_array_equal(fused[far], low[far])  # same pixel type and grey scale


def test_bad_inputs_give_our_error_in_words(files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    d = files["dir"]
    small = _png(d / "small.png", files["pair"].high.array[:-5])
    args = ["xray", "align", str(files["low"]), str(small), "--zois-low", str(files["low_coco"])]
    assert main([*args, "--zois-high", str(files["high_coco"]), "--out", str(tmp_path / "a")]) == 1
    assert "same size" in capsys.readouterr().err
    only_low = ["xray", "align", str(files["low"]), str(files["high"]), *args[4:]]
    assert main([*only_low, "--out", str(tmp_path / "b")]) == 1
    assert "give --model, or both --zois-low and --zois-high" in capsys.readouterr().err
    empty = d / "empty.json"
    empty.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    assert (
        main(["xray", "zoi", str(files["low"]), "--zois", str(empty), "--out", str(tmp_path / "c")])
        == 1
    )
    assert "no image record" in capsys.readouterr().err
    assert (
        main(["xray", "zoi", str(d / "missing.png"), "--zois", str(empty), "--out", str(tmp_path)])
        == 1
    )
    assert "no such file" in capsys.readouterr().err


def test_model_option_uses_the_radiograph_predictor(files, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`--model` asks `vertapp.xray.detect.predict_zoi_coco` for each image's COCO (here a
    stand-in returning the annotations of that image) and aligns what it returns."""
    import vertapp.xray.detect as detect

    calls = []

    def fake(checkpoint: Path, image_path: Path, image: object = None) -> dict:
        assert image is not None  # the command's read, not a second one
        calls.append((checkpoint.name, image_path.name))
        src = files["low_coco"] if image_path.name == "low.png" else files["high_coco"]
        return json.loads(Path(src).read_text())

    monkeypatch.setattr(detect, "predict_zoi_coco", fake)
    out = tmp_path / "model"
    args = ["xray", "align", str(files["low"]), str(files["high"]), "--model", "m.pt"]
    assert main([*args, "--out", str(out)]) == 0
    assert calls == [("m.pt", "low.png"), ("m.pt", "high.png")]
    data = json.loads((out / "alignment.json").read_text())
    assert {v["status"] for v in data["vertebrae"]} == {"aligned"}
    assert (
        main(["xray", "zoi", str(files["low"]), "--model", "m.pt", "--out", str(tmp_path / "z")])
        == 0
    )
    assert len(json.loads((tmp_path / "z" / "zois.json").read_text())["zois"]) == 8
