"""The demo project: real pipeline output, loadable by pycocotools and the project store."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from pycocotools.coco import COCO

from vertapp.annotations.store import load_project
from vertapp.cli import main
from vertapp.demo import DemoCase, build_demo_project
from vertapp.jobs import run_job
from vertapp.labels import vertebra_range
from vertapp.preprocess import MipResult

CASES = (
    DemoCase("a", seed=5, first="T11", last="L3"),
    DemoCase("b", seed=6, first="L1", last="L5", labelled=False),
)


def test_demo_project_holds_labelled_and_unlabelled_mips(tmp_path: Path) -> None:
    run_job(build_demo_project(tmp_path / "demo", CASES))
    project = load_project(tmp_path / "demo", require_images=True)
    a, b = sorted(project.images.values(), key=lambda r: r.id)
    assert [i.label for i in a.instances] == list(vertebra_range("T11", "L3"))
    assert all(i.source == "manual" for i in a.instances)
    assert a.status == "completed" and b.instances == [] and b.status == "not_started"
    # The MIP links back to its CT: the saved preprocessing maps MIP pixels into the volume.
    result = MipResult.load(tmp_path / "demo" / "preprocess" / "a_mip")
    assert np.allclose(result.affine, np.asarray(a.mip_affine))
    assert (tmp_path / "demo" / a.source_path).is_file()
    # Vertebrae run head to foot down the MIP.
    tops = [min(p[:, 1].min() for p in i.polygons) for i in a.instances]
    assert tops == sorted(tops)


def test_demo_command_writes_a_coco_project(tmp_path: Path) -> None:
    out = tmp_path / "d"
    assert main(["demo", "--out", str(out), "--no-gui"]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        coco = COCO(str(out / "project.json"))
    assert len(coco.getImgIds()) == 4
    assert len(coco.getAnnIds()) == 17 + 12 + 12  # T1-L5, T6-L5, T1-T12 labelled
    # A second run reuses the project instead of overwriting the user's edits.
    stamp = (out / "project.json").stat().st_mtime_ns
    assert main(["demo", "--out", str(out), "--no-gui"]) == 0
    assert (out / "project.json").stat().st_mtime_ns == stamp
