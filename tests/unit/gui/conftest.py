"""Unit tests of the GUI pieces (offscreen Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.annotations.model import ImageRecord, Instance, Project


@pytest.fixture
def project() -> Project:
    """One 100x80 MIP image holding two instances."""
    p = Project()
    p.add_image(ImageRecord(id=1, file_name="images/a.png", width=100, height=80))
    img = p.images[1]
    for label, x0 in (("L1", 10.0), ("L2", 50.0)):
        poly = np.array([[x0, 10], [x0 + 30, 10], [x0 + 30, 40], [x0, 40]], dtype=float)
        inst = Instance(id=p.new_instance_id(), label=label, polygons=[poly])
        p._insert_instance(img.id, inst, None)
    return p


@pytest.fixture(scope="module")
def case():  # type: ignore[no-untyped-def]
    """A T12-L2 phantom, its MIP and its labels on the MIP (the 3D-labels process tests)."""
    from vertapp.preprocess import preprocess
    from vertapp.preprocess.label_projection import project_labels
    from vertapp.synth import make_ct_phantom

    ph = make_ct_phantom(seed=3, first="T12", last="L2")
    mip = preprocess(ph.volume)
    truth = project_labels(ph.vertebra_labels, ph.volume, mip)
    return ph.volume, mip, truth


@pytest.fixture
def process():  # type: ignore[no-untyped-def]
    """The 3D labels' child process, closed after the test."""
    from vertapp.gui.window.labels3d_process import LabelsProcess

    p = LabelsProcess()
    yield p
    p.close()


def shown_view(qtbot, shapes: dict) -> object:  # type: ignore[no-untyped-def]
    """An AnnotationView shown at 400x400 on a black 100x100 image, holding `shapes`."""
    from vertapp.gui.views.annotation_view import AnnotationView

    v = AnnotationView()
    qtbot.addWidget(v)
    v.resize(400, 400)
    v.show()
    v.set_image(np.zeros((100, 100), np.uint8), "test")
    v.set_shapes(shapes)
    return v
