"""The preview montage used to eyeball phantoms."""

from __future__ import annotations

import numpy as np
from PIL import Image

from vertapp.synth import make_ct_phantom
from vertapp.synth.preview import preview_images, save_preview


def test_preview_shows_bone_in_every_view(tmp_path):
    ph = make_ct_phantom(seed=0, first="L1", last="L2", pelvis=False)
    axial, sagittal, coronal = preview_images(ph, "L1")
    for img in (axial, sagittal, coronal):
        assert img.dtype == np.uint8
        assert (img > 170).sum() > 20  # cortical bone (> ~670 HU in the -400..1200 window)
    assert (axial == 0).sum() > 1000  # air around the body
    path = save_preview(ph, tmp_path / "p.png")
    assert Image.open(path).size[1] == max(axial.shape[0], sagittal.shape[0], coronal.shape[0])
