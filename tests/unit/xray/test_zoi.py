"""ZOIs: cut-outs are the masked source pixels, in the source's own type; the index holds
level, bbox and an RLE that pycocotools decodes back to the mask."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from pycocotools import mask as coco_mask

from tests.unit.xray.zoi_pairs import pair
from vertapp.errors import InputError
from vertapp.xray.zoi import cut_out, zois_from_masks
from vertapp.xray.zoi_files import write_zois


@pytest.fixture(scope="module")
def synthetic():  # type: ignore[no-untyped-def]
    return pair(0, "T12", "L3")


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_cut_out_equals_masked_source_pixels(synthetic, dtype) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    top = 255 if dtype == np.uint8 else 4095
    image = rng.integers(1, top, synthetic.high.shape).astype(dtype)
    for zoi in zois_from_masks(synthetic.high_vertebrae).values():
        x, y, w, h = zoi.bbox
        cut = cut_out(image, zoi)
        inside = zoi.mask[y : y + h, x : x + w]
        assert cut.dtype == image.dtype and cut.shape == (h, w)
        np.testing.assert_array_equal(cut[inside], image[y : y + h, x : x + w][inside])
        assert not cut[~inside].any()
        # the bbox is tight: every border row/column of the cut-out touches the mask
        assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()


def test_zois_ordered_head_to_feet_and_empty_mask_refused(synthetic) -> None:  # type: ignore[no-untyped-def]
    masks = dict(reversed(list(synthetic.high_vertebrae.items())))
    assert list(zois_from_masks(masks)) == ["T12", "L1", "L2", "L3"]
    masks["L1"] = np.zeros_like(masks["L1"])
    with pytest.raises(InputError, match="L1: its mask is empty"):
        zois_from_masks(masks)


def test_written_zois_round_trip(synthetic, tmp_path) -> None:  # type: ignore[no-untyped-def]
    image = np.round(synthetic.high.array * 4000 + 200).clip(0, 65535).astype(np.uint16)
    zois = zois_from_masks(synthetic.high_vertebrae)
    index = json.loads(write_zois(image, zois, "high.png", tmp_path).index.read_text())
    assert index["source_image"] == "high.png"
    assert (index["height"], index["width"]) == image.shape
    assert [r["level"] for r in index["zois"]] == list(zois)
    for rec in index["zois"]:
        zoi = zois[rec["level"]]
        rle = {"size": rec["mask"]["size"], "counts": rec["mask"]["counts"].encode()}
        np.testing.assert_array_equal(coco_mask.decode(rle).astype(bool), zoi.mask)
        assert rec["bbox"] == list(zoi.bbox) == [int(v) for v in coco_mask.toBbox(rle)]
        png = cv2.imread(str(tmp_path / rec["file"]), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(png, cut_out(image, zoi))
    assert not list(tmp_path.glob("*.tmp*"))
