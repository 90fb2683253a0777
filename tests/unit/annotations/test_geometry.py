"""Geometry: pycocotools rasterisation, OpenCV tracing, shapely repair."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from scipy import ndimage

from vertapp.annotations import geometry as geo

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")


@pytest.mark.parametrize("scale", [0.8, 1.0, 2.0, 4.0])
def test_round_trip_dice_on_vertebra_masks(scale: float, vertebra_mask) -> None:
    rng = np.random.default_rng(1)
    dices, ratios = [], []
    for seed in range(15):
        mask = vertebra_mask(220, 220, (100, 110), scale, rng.uniform(-35, 35), seed)
        polys = geo.mask_to_polygons(mask)
        back = geo.polygons_to_mask(polys, 220, 220)
        dices.append(geo.dice(mask, back))
        boundary = mask.sum() - ndimage.binary_erosion(mask).sum()
        ratios.append(sum(len(p) for p in polys) / boundary)
    assert min(dices) >= 0.98, dices
    assert max(ratios) < 0.5  # simplified: far fewer vertices than boundary pixels


def test_polygons_to_mask_is_pycocotools() -> None:
    poly = np.array([[2.3, 1.7], [17.9, 4.2], [12.1, 15.6], [3.3, 11.0]])
    ours = geo.polygons_to_mask([poly], 20, 24)
    rle = coco_mask.frPyObjects([poly.ravel().tolist()], 20, 24)
    theirs = coco_mask.decode(coco_mask.merge(rle)).astype(bool)
    assert ours.shape == (20, 24)
    assert np.array_equal(ours, theirs)
    # pixel (r, c) covers [c, c+1) x [r, r+1): a square on pixel edges is exact
    square = geo.polygons_to_mask([np.array([[2, 2], [8, 2], [8, 8], [2, 8]])], 10, 10)
    assert square.sum() == 36 and square[2:8, 2:8].all()


def test_holes_and_multiple_parts_round_trip() -> None:
    m = np.zeros((100, 120), bool)
    m[10:60, 10:60] = True
    m[25:40, 25:45] = False  # hole
    m[70:90, 70:115] = True  # second part
    m[0:4, :] = True  # part touching the border
    outers, holes = geo.mask_to_rings(m)
    assert len(outers) == 3 and len(holes) == 1
    back = geo.polygons_to_mask(outers, 100, 120, holes)
    assert geo.dice(m, back) > 0.999
    filled = geo.polygons_to_mask(geo.mask_to_polygons(m), 100, 120)
    assert filled[30, 30] and not back[30, 30]


def test_thin_and_tiny_parts() -> None:
    m = np.zeros((30, 30), bool)
    m[5, 3:25] = True  # one pixel wide line: 22 px
    m[20, 20] = True  # single pixel, below MIN_PART_AREA: dropped
    polys = geo.mask_to_polygons(m)
    assert len(polys) == 1
    back = geo.polygons_to_mask(polys, 30, 30)
    assert back[5, 3:25].all() and back.sum() == 22


def test_empty_mask_gives_no_polygon() -> None:
    assert geo.mask_to_polygons(np.zeros((10, 10), bool)) == []


def test_clean_polygon_refuses_too_few_vertices() -> None:
    with pytest.raises(geo.GeometryError, match="at least 3 distinct"):
        geo.clean_polygon([[0, 0], [5, 5]])
    with pytest.raises(geo.GeometryError, match="at least 3 distinct"):
        geo.clean_polygon([[0, 0], [5, 5], [5, 5], [0, 0]])


def test_clean_polygon_repairs_bow_tie_into_two_parts() -> None:
    bow = [[0, 0], [10, 10], [10, 0], [0, 10]]
    parts = geo.clean_polygon(bow)
    assert len(parts) == 2
    assert all(geo.is_valid_polygon(p) for p in parts)
    assert sum(geo.polygon_area(p) for p in parts) == pytest.approx(50.0)


def test_clean_polygon_drops_tiny_spur_parts() -> None:
    # a big square with a self-intersecting sliver: only the square survives
    poly = [[0, 0], [20, 0], [20, 20], [0, 20], [0, 10.2], [-0.5, 10.4], [0, 10.0]]
    parts = geo.clean_polygon(poly)
    assert len(parts) == 1
    assert geo.polygon_area(parts[0]) == pytest.approx(400.0, abs=0.5)


def test_clean_polygon_clips_to_image() -> None:
    parts = geo.clean_polygon([[-5, -5], [15, -5], [15, 5], [-5, 5]], height=20, width=10)
    assert len(parts) == 1
    p = parts[0]
    assert p[:, 0].min() == 0 and p[:, 0].max() == 10 and p[:, 1].min() == 0
    assert geo.polygon_area(p) == pytest.approx(50.0)
    with pytest.raises(geo.GeometryError, match="inside the image"):
        geo.clean_polygon([[30, 30], [40, 30], [40, 40]], height=20, width=20)


def test_valid_polygon_is_returned_unchanged() -> None:
    p = np.array([[1.0, 1.0], [9.0, 1.5], [5.0, 8.0]])
    (out,) = geo.clean_polygon(p, 10, 10)
    assert np.array_equal(out, p)


def test_segmentation_forms_agree() -> None:
    m = np.zeros((40, 50), bool)
    m[5:30, 8:20] = True
    m[12:18, 12:15] = False
    compressed = geo.rle_to_json(geo.mask_to_rle(m))
    assert isinstance(compressed["counts"], str)
    uncompressed = {"size": [40, 50], "counts": _runs(m)}
    a = geo.segmentation_to_mask(compressed, 40, 50)
    b = geo.segmentation_to_mask(uncompressed, 40, 50)
    assert np.array_equal(a, m) and np.array_equal(b, m)
    assert geo.rle_area(geo.segmentation_to_rle(compressed, 40, 50)) == m.sum()


def _runs(m: np.ndarray) -> list[int]:
    flat = m.ravel(order="F").astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    return ([0] + runs) if flat[0] else runs


@pytest.mark.parametrize(
    "seg",
    [
        {"size": [40, 50], "counts": [10, 5]},
        {"size": [40, 50], "counts": "\x7f\x7f"},
        {"size": [40, 50], "counts": "0Q"},
        {"size": [41, 50], "counts": [2000]},
        {"size": [40], "counts": [2000]},
        [[1, 2, 3]],
        "nope",
    ],
)
def test_bad_segmentations_raise_geometry_error(seg) -> None:
    with pytest.raises(geo.GeometryError):
        geo.segmentation_to_rle(seg, 40, 50)
