"""Projects and masks shaped like vertebrae on a sagittal MIP, for the annotation tests."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vertapp.annotations.geometry import mask_to_polygons
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.labels import VERTEBRAE


def vertebra_mask(
    height: int, width: int, centre: tuple[float, float], scale: float, angle: float, seed: int
) -> np.ndarray:
    """A vertebral body (rotated rectangle) with pedicle and spinous process (ellipses)."""
    rng = np.random.default_rng(seed)
    m = np.zeros((height, width), np.uint8)
    cx, cy = centre
    body = cv2.boxPoints(((cx - 5 * scale, cy), (30 * scale, 22 * scale), angle))
    cv2.fillPoly(m, [np.round(body).astype(np.int32)], 1)
    arch = (int(cx + 14 * scale), int(cy))
    cv2.ellipse(
        m, arch, (int(12 * scale), int(7 * scale)), angle + rng.uniform(-20, 20), 0, 360, 1, -1
    )
    spine = (int(cx + 28 * scale), int(cy + 4 * scale))
    cv2.ellipse(m, spine, (int(10 * scale), int(4 * scale)), angle + 30, 0, 360, 1, -1)
    return m.astype(bool)


def make_project(
    n_images: int = 2, n_vertebrae: int = 5, *, seed: int = 0, root=None, source: str = "manual"
) -> Project:
    """Images 120 x 400 px (MIP-like), vertebrae stacked head to foot, labels from T1."""
    rng = np.random.default_rng(seed)
    project = Project(root)
    for i in range(n_images):
        h, w = 40 + 30 * n_vertebrae, 120
        img = ImageRecord(
            id=i + 1,
            file_name=f"images/case{i + 1:03d}.png",
            width=w,
            height=h,
            patient_key=f"P{i // 2:03d}",
            mip_affine=[[0.0, 0.0, 1.0], [0.0, 1.0, 2.0], [-1.0, 0.0, 3.0]],
        )
        project.add_image(img)
        for v in range(n_vertebrae):
            mask = vertebra_mask(h, w, (45, 35 + 30 * v), 0.9, rng.uniform(-10, 10), seed + v)
            inst = Instance(
                id=project.new_instance_id(),
                label=VERTEBRAE[v],
                polygons=mask_to_polygons(mask),
                source=source,
                score=0.9 if source == "predicted" else None,
                model_id="m1" if source == "predicted" else None,
            )
            img.instances.append(inst)
            project._image_of[inst.id] = img.id
    project.revision = project.saved_revision = 0
    return project


@pytest.fixture
def project() -> Project:
    return make_project()


@pytest.fixture(name="make_project")
def _make_project_fixture():
    return make_project


@pytest.fixture(name="vertebra_mask")
def _vertebra_mask_fixture():
    return vertebra_mask
