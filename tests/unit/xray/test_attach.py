"""Parts attached to the vertebra whose body they belong to, by geometry (synthetic radiographs)."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from vertapp.synth import make_radiograph_pair
from vertapp.xray.attach import attach_parts


@cache
def _pair():
    # lateral view; spinous processes slope down towards the next level; scoliosis bends it
    return make_radiograph_pair(3, "T11", "L3", scoliosis_mm=8.0)


def _split(parts):
    bodies = [p for p in parts if p.part == "body"]
    others = [p for p in parts if p.part != "body"]
    return bodies, others


def test_every_part_goes_to_its_own_vertebra():
    bodies, others = _split(_pair().high_parts)
    assert {p.part for p in others} == {"pedicle", "spinous_process", "transverse_process"}
    got = attach_parts(
        [p.mask for p in others], [b.mask for b in bodies], [b.level for b in bodies]
    )
    assert got == [p.level for p in others]


def test_attachment_follows_a_tilted_spine():
    bodies, others = _split(_pair().high_parts)
    h, w = bodies[0].mask.shape
    size = int(np.hypot(h, w)) + 2
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 25.0, 1.0)
    m[:, 2] += ((size - w) / 2, (size - h) / 2)

    def turn(mask):
        return cv2.warpAffine(mask.astype(np.uint8), m, (size, size), flags=cv2.INTER_NEAREST) > 0

    got = attach_parts(
        [turn(p.mask) for p in others], [turn(b.mask) for b in bodies], [b.level for b in bodies]
    )
    assert got == [p.level for p in others]


def test_parts_of_a_missed_body_stay_unknown_not_given_to_a_neighbour():
    bodies, others = _split(_pair().high_parts)
    kept = [b for b in bodies if b.level != "L1"]
    got = attach_parts([p.mask for p in others], [b.mask for b in kept], [b.level for b in kept])
    for p, level in zip(others, got, strict=True):
        if p.level == "L1" and p.part != "spinous_process":
            assert level == "unknown", p.part
        elif p.level != "L1":
            assert level == p.level
    # L1's spinous process may be drawn to L2 below it, but never further
    l1_spine = [
        g
        for p, g in zip(others, got, strict=True)
        if (p.level, p.part) == ("L1", "spinous_process")
    ]
    assert l1_spine[0] in ("unknown", "L2")


def test_no_body_or_empty_part_gives_unknown():
    mask = np.zeros((50, 50), bool)
    mask[10:20, 10:20] = True
    assert attach_parts([mask], [], []) == ["unknown"]
    assert attach_parts([np.zeros((50, 50), bool)], [mask], ["L1"]) == ["unknown"]
    assert attach_parts([], [mask], ["L1"]) == []
