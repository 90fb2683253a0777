"""A transitional vertebra for phantoms: L6, drawn as a lumbarised S1.

VerSe labels a sixth lumbar vertebra L6 (id 25). The app's classes stay T1..L5 and a
transitional vertebra is left unlabelled (docs/import.md), so a phantom with an L6 shows
one more mobile vertebra below L5 with no label, as an imported VerSe case does. The
anatomy's S1 becomes that vertebra: same place and tilt, posterior elements and
transverse processes like L5's, a disc of `DISC_BELOW_MM` between it and S2; S2 and S3
stay the sacrum (alae, SI joints). T13 (an extra thoracic vertebra) is not drawn.
"""

from __future__ import annotations

from dataclasses import replace

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
