"""`write_zois` into a folder of an earlier run removes that run's cut-outs that the new
zois.json does not list, and says which; other files stay (find_13). `vertapp xray zoi`
tells the user on the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.unit.xray.test_cli_xray import _coco, _png
from tests.unit.xray.zoi_pairs import pair
from vertapp.cli import main
from vertapp.xray.zoi import zois_from_masks
from vertapp.xray.zoi_files import write_zois


def _zois(*levels: str):  # type: ignore[no-untyped-def]
    masks = {}
    for k, level in enumerate(levels):
        mask = np.zeros((40, 20), bool)
        mask[2 + 9 * k : 9 + 9 * k, 4:16] = True
        masks[level] = mask
    return zois_from_masks(masks)


def test_a_rerun_leaves_only_the_cut_outs_its_index_lists(tmp_path: Path) -> None:
    image = np.arange(800, dtype=np.uint16).reshape(40, 20)
    first = write_zois(image, _zois("L1", "L2", "L3", "L4"), "high.png", tmp_path)
    assert first.removed == []  # a new folder: nothing of an earlier run
    for name in ("zoi_notes.png", "zoi_X1.png", "other.png"):  # not of our naming: kept
        (tmp_path / name).write_bytes(b"mine")
    second = write_zois(image, _zois("L1"), "low.png", tmp_path)
    listed = {z["file"] for z in json.loads(second.index.read_text())["zois"]}
    cut_outs = {p.name for p in tmp_path.glob("zoi_L*.png")}
    assert listed == cut_outs == {"zoi_L1.png"}
    for name in ("zoi_notes.png", "zoi_X1.png", "other.png"):
        assert (tmp_path / name).read_bytes() == b"mine"
    assert second.removed == ["zoi_L2.png", "zoi_L3.png", "zoi_L4.png"]


def test_zoi_command_says_on_the_terminal_what_it_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It went to the log only: a user who kept an earlier run's ZOI of a vertebra the new
    run does not find saw it vanish unsaid."""
    p = pair(0, "L1", "L5")
    film = _png(tmp_path / "film.png", p.low.array)
    every = _coco(tmp_path / "all.json", p.low_parts, p.low.array.shape, "film.png")
    no_l2 = _coco(tmp_path / "no_l2.json", p.low_parts, p.low.array.shape, "film.png", drop="L2")
    out = tmp_path / "zois"
    assert main(["xray", "zoi", str(film), "--zois", str(every), "--out", str(out)]) == 0
    assert "removed" not in capsys.readouterr().err  # nothing of an earlier run yet
    assert main(["xray", "zoi", str(film), "--zois", str(no_l2), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"removed 1 ZOI image of an earlier run from {out}: zoi_L2.png" in err
    assert not (out / "zoi_L2.png").exists()
