"""Transitional vertebrae for phantoms: L6 (a lumbarised S1) and T13 (a 13th thoracic).

VerSe labels a sixth lumbar vertebra L6 (id 25) and a thirteenth thoracic one T13 (id 28).
The app's classes stay T1..L5 and a transitional vertebra is left unlabelled, never
renamed (docs/import.md), so a phantom with one shows one more vertebra with no label, as
an imported VerSe case does, and every other level keeps its name.

L6: the anatomy's S1 becomes that vertebra: same place and tilt, posterior elements and
transverse processes like L5's, a disc of `DISC_BELOW_MM` between it and S2; S2 and S3
stay the sacrum (alae, SI joints).

T13: a vertebra between T12 and L1, sized halfway between them, with T12's posterior
elements, transverse processes and a short floating rib pair (the 13th ribs that make
it thoracic). It sits below T12 along T12's axis, and L1..L5 and the sacrum move down
rigidly by its height and disc, so T1..T12 are the same voxels as without it and the
lumbar spine keeps its own shape.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from vertapp.synth.anatomy import Anatomy, VertebraGeometry

DISC_BELOW_MM = 8.0


def lumbarised_s1(anatomy: Anatomy) -> tuple[VertebraGeometry, Anatomy]:
    """(L6 geometry, the anatomy with S2, S3 as its sacrum)."""
    l5, s1 = anatomy.vertebrae[-1], anatomy.sacrum[0]
    shrink = DISC_BELOW_MM - s1.disc_below  # the free disc comes out of S1's height
    l6 = replace(
        l5,
        name="L6",
        index=l5.index + 1,
        center=s1.center + s1.frame[:, 2] * (shrink / 2),
        frame=s1.frame,
        height=s1.height - shrink,
        width=s1.width,
        depth=s1.depth,
        canal_r=s1.canal_r + 1.0,
        disc_above=s1.disc_above,
        disc_below=DISC_BELOW_MM,
        spinous_len=0.8 * l5.spinous_len,
        transverse_len=0.8 * l5.transverse_len,
    )
    # S2 keeps its own bone bridging the old rudimentary disc: the free disc is the rest
    return l6, replace(anatomy, sacrum=anatomy.sacrum[1:])


def thoracic_t13(anatomy: Anatomy) -> tuple[VertebraGeometry, Anatomy]:
    """(T13 geometry, the anatomy with L1..L5 and the sacrum moved down to make room)."""
    t12, l1 = anatomy.vertebrae[11], anatomy.vertebrae[12]
    height = (t12.height + l1.height) / 2
    disc = t12.disc_below  # T12/T13 and T13/L1 alike
    axis = t12.frame[:, 2]
    t13 = replace(
        t12,
        name="T13",
        center=t12.center - axis * (t12.height / 2 + disc + height / 2),
        height=height,
        width=(t12.width + l1.width) / 2,
        depth=(t12.depth + l1.depth) / 2,
        canal_r=(t12.canal_r + l1.canal_r) / 2,
        disc_above=disc,
        disc_below=disc,
        cancellous_hu=(t12.cancellous_hu + l1.cancellous_hu) / 2,
    )
    move = axis * (height + disc)

    def down(g: VertebraGeometry) -> VertebraGeometry:
        return replace(g, center=np.asarray(g.center) - move)

    lower = tuple(down(g) for g in anatomy.vertebrae[12:])
    return t13, replace(
        anatomy,
        vertebrae=anatomy.vertebrae[:12] + lower,
        sacrum=tuple(down(g) for g in anatomy.sacrum),
    )
