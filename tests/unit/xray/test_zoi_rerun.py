"""`write_zois` into a folder of an earlier run removes that run's cut-outs that the new
zois.json does not list, and says so; other files stay (find_13)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from vertapp.xray.zoi import zois_from_masks
from vertapp.xray.zoi_files import write_zois


def _zois(*levels: str):  # type: ignore[no-untyped-def]
    masks = {}
    for k, level in enumerate(levels):
        mask = np.zeros((40, 20), bool)
        mask[2 + 9 * k : 9 + 9 * k, 4:16] = True
        masks[level] = mask
    return zois_from_masks(masks)


def test_a_rerun_leaves_only_the_cut_outs_its_index_lists(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    image = np.arange(800, dtype=np.uint16).reshape(40, 20)
    write_zois(image, _zois("L1", "L2", "L3", "L4"), "high.png", tmp_path)
    for name in ("zoi_notes.png", "zoi_X1.png", "other.png"):  # not of our naming: kept
        (tmp_path / name).write_bytes(b"mine")
    with caplog.at_level(logging.WARNING):
        index = write_zois(image, _zois("L1"), "low.png", tmp_path)
    listed = {z["file"] for z in json.loads(index.read_text())["zois"]}
    cut_outs = {p.name for p in tmp_path.glob("zoi_L*.png")}
    assert listed == cut_outs == {"zoi_L1.png"}
    for name in ("zoi_notes.png", "zoi_X1.png", "other.png"):
        assert (tmp_path / name).read_bytes() == b"mine"
    assert "removed zoi_L2.png, zoi_L3.png, zoi_L4.png" in caplog.text
