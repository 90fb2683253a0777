"""`MipResult.mip_to_lps(..., depth="shown")`: the depth of what a MIP pixel shows.

A bright pixel shows the voxel that won the projection. A dark one shows no bone: its
ray's brightest voxel is soft tissue or noise (0 HU in the windowed MIP: the ray's first
voxel, the slab's edge), so the point is put on the canal track of its slice, or in the
middle of the crop when no canal was found.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vertapp.preprocess import MipResult, preprocess
from vertapp.preprocess.result import SHOWN_BONE_HU


@pytest.fixture(scope="module")
def result() -> MipResult:
    from vertapp.synth import make_ct_phantom

    return preprocess(make_ct_phantom(seed=3, first="T12", last="L2").volume)


def _middle_row(res: MipResult) -> int:
    """A MIP row on a slice where the canal was measured."""
    k = int(np.flatnonzero(res.track_detected)[res.track_detected.sum() // 2])
    return res.crop.k[1] - 1 - k


def test_a_bright_pixel_shows_the_voxel_that_won(result: MipResult) -> None:
    r = _middle_row(result)
    c = int(np.argmax(result.mip[r]))
    assert result.mip[r, c] >= SHOWN_BONE_HU and result.shows_bone(r, c)
    shown = result.mip_to_lps(r, c, depth="shown")
    assert np.allclose(shown, result.mip_to_lps(r, c, depth="max"))
    assert not np.isclose(shown[0], result.mip_to_lps(r, c, depth="track")[0])


def test_a_dark_pixel_lies_on_the_canal_track_of_its_slice(result: MipResult) -> None:
    r = _middle_row(result)
    c = int(np.flatnonzero(result.mip[r] < SHOWN_BONE_HU)[0])  # in front of the body
    assert not result.shows_bone(r, c)
    shown = result.mip_to_lps(r, c, depth="shown")
    k = result.crop.k[1] - 1 - r
    assert shown[0] == pytest.approx(result.track[k, 1])  # x of the canal there
    assert np.allclose(shown[1:], result.mip_to_lps(r, c, depth="affine")[1:])
    # what the brightest voxel gave: the slab's edge, 30 mm off the canal
    assert abs(result.mip_to_lps(r, c, depth="max")[0] - shown[0]) > 20


def test_without_a_canal_a_dark_pixel_lies_in_the_middle_of_the_crop(
    result: MipResult,
) -> None:
    lost = dataclasses.replace(result, spine_cluster=-1)
    r = _middle_row(result)
    c = int(np.flatnonzero(result.mip[r] < SHOWN_BONE_HU)[0])
    assert np.allclose(lost.mip_to_lps(r, c, depth="shown"), lost.mip_to_lps(r, c, "affine"))
