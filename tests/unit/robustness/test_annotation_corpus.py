"""Regression corpus, annotation side: hostile JSON inputs found by the issue #18 campaign.

Each case is generated on the fly and must end as one line of our own error
(or, where the input is fine, a correct result), through the API and `vertapp convert`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vertapp.annotations import coco, store, via
from vertapp.annotations.convert import read_annotations, write_annotations
from vertapp.errors import FormatError, UnsafePathError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")


def _via_doc(shape: dict) -> dict:
    region = {"shape_attributes": shape, "region_attributes": {"label": "L1"}}
    return {"_via_img_metadata": {"a.png1": {"filename": "a.png", "size": 1, "regions": [region]}}}


HUGE_SHAPES = [
    {"name": "circle", "cx": 10, "cy": 10, "r": 1e300},
    {"name": "circle", "cx": 10, "cy": 10, "r": 3e9},
    {"name": "ellipse", "cx": 10, "cy": 10, "rx": 1e308, "ry": 1e308, "theta": 0.5},
    {"name": "ellipse", "cx": 10, "cy": 10, "rx": 5, "ry": 1e200},
    {"name": "circle", "cx": 1e300, "cy": -1e300, "r": 4},
]


@pytest.mark.parametrize("shape", HUGE_SHAPES)
def test_via_circle_or_ellipse_of_absurd_size_is_refused(shape) -> None:
    with pytest.raises(FormatError, match="non-finite or absurd coordinate"):
        via.project_from_via(_via_doc(shape), size_of=lambda name, w: (64, 64))


def test_via_huge_circle_through_convert_exits_cleanly(tmp_path) -> None:
    """In a child process: a segfault in pycocotools would show as exit -11."""
    src = tmp_path / "via.json"
    src.write_text(json.dumps(_via_doc(HUGE_SHAPES[0])))
    (tmp_path / "a.png").write_bytes(_png(64, 64))
    proc = subprocess.run(
        [sys.executable, "-m", "vertapp", "convert", str(src), "--out", str(tmp_path / "o.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def _png(w: int, h: int) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", np.zeros((h, w), np.uint8))
    assert ok
    return buf.tobytes()


def test_reasonable_via_circle_still_imports() -> None:
    doc = _via_doc({"name": "circle", "cx": 30, "cy": 30, "r": 10})
    project = via.project_from_via(doc, size_of=lambda name, w: (64, 64))
    (inst,) = project.images[1].instances
    assert inst.polygons[0].shape == (64, 2)
    assert np.allclose(np.hypot(*(inst.polygons[0] - 30).T), 10)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_refused_without_opening_it(tmp_path) -> None:
    fifo = tmp_path / "coco.json"
    os.mkfifo(fifo)  # opening it would block forever: nobody writes
    with pytest.raises(FormatError, match="not a regular file"):
        read_annotations(fifo)
    project_dir = tmp_path / "proj"
    project_dir.mkdir()
    os.mkfifo(project_dir / "project.json")
    with pytest.raises(FormatError, match="not a regular file"):
        store.load_project(project_dir)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_as_json_is_refused() -> None:
    with pytest.raises(FormatError, match=r"/dev/zero: not a regular file"):
        read_annotations(Path("/dev/zero"))


def _coco_with_source(source_path: str) -> dict:
    return {
        "images": [
            {
                "id": 1,
                "file_name": "images/a.png",
                "width": 64,
                "height": 64,
                "vertapp": {"source_path": source_path},
            }
        ],
        "annotations": [],
        "categories": [{"id": 1, "name": "T1"}],
    }


@pytest.mark.parametrize("hostile", ["../../etc/passwd", "/etc/passwd", "C:\\x.nii", "a/../../b"])
def test_escaping_source_path_is_refused_and_never_copied(tmp_path, hostile) -> None:
    src = tmp_path / "in.json"
    src.write_text(json.dumps(_coco_with_source(hostile)))
    with pytest.raises(UnsafePathError, match="source_path"):
        read_annotations(src)
    assert not (tmp_path / "out.json").exists()


def test_inside_source_path_survives_conversion(tmp_path) -> None:
    src = tmp_path / "in.json"
    src.write_text(json.dumps(_coco_with_source("volumes/a.nii.gz")))
    project, _ = read_annotations(src)
    write_annotations(project, tmp_path / "out.json", "coco")
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["images"][0]["vertapp"]["source_path"] == "volumes/a.nii.gz"
    assert coco.project_from_coco(out).images[1].source_path == "volumes/a.nii.gz"
