"""The reviewer is told when a CT MIP's levels were counted without the hip landmark."""

from __future__ import annotations

from dataclasses import replace

from vertapp.annotations.landmarks import HIP_TOP, KEY
from vertapp.review.numbering_caveat import unanchored


def with_hip(img, row):
    return replace(img, extra={"vertapp": {KEY: {HIP_TOP: row}}})


def test_unanchored_mip_predictions_are_caveated(project) -> None:
    img = project.images[1]  # a MIP with three predicted vertebrae, no landmark recorded
    assert unanchored(img)
    assert unanchored(with_hip(img, None))  # looked at, no hip bone found
    assert not unanchored(with_hip(img, 40.0))  # the hip anchored L5


def test_no_caveat_without_pending_vertebra_predictions(project) -> None:
    img = project.images[1]
    assert not unanchored(project.images[3])  # hand-drawn only
    decided = replace(img, instances=[replace(i, reviewed=True) for i in img.instances])
    assert not unanchored(decided)  # the reviewer has decided every level
    parts = replace(img, instances=[replace(i, label="body") for i in img.instances])
    assert not unanchored(parts)  # not vertebra levels
    assert not unanchored(replace(img, kind="radiograph"))  # its own numbering flags
