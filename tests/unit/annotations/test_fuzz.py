"""Hypothesis fuzzing: every importer raises only FormatError on hostile input.

Each importer gets (a) arbitrary JSON values and (b) a valid document of its
format with 0-3 of its values replaced by arbitrary JSON, so both the early
checks and the deep paths (geometry, RLE, labels, ids) are reached. A sanity
test checks that the valid documents really import with instances.
"""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vertapp.annotations import coco, labelme, store, via
from vertapp.annotations.geometry import mask_to_rle, rle_to_json
from vertapp.errors import FormatError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["../x.png", "/etc/passwd", "T1", "t12", "", "\x00"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=30,
)
coords = st.floats(0, 120, allow_nan=False)
points = st.lists(st.tuples(coords, coords), min_size=3, max_size=10)


def _slots(doc: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) pair in a JSON document."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append((doc, k))
            _slots(v, out)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.append((doc, i))
            _slots(v, out)
    return out


@st.composite
def mutated(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> Any:
    doc = copy.deepcopy(draw(valid))
    for _ in range(draw(st.integers(0, 3))):
        slots = _slots(doc, [])
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        if draw(st.booleans()) or isinstance(container, list):
            container[key] = draw(json_values)
        else:
            del container[key]
    return doc


def _rle(w: int, h: int) -> dict[str, Any]:
    m = np.zeros((h, w), bool)
    m[h // 4 : h // 2, w // 4 : w // 2] = True
    return rle_to_json(mask_to_rle(m))


@st.composite
def valid_coco(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 3))
    images = [
        {"id": i + 1, "file_name": f"im/{i}.png", "width": 130, "height": 125} for i in range(n)
    ]
    anns = []
    for k in range(draw(st.integers(1, 4))):
        image_id = draw(st.integers(1, n))
        seg = draw(
            st.one_of(
                st.lists(points.map(lambda p: [c for xy in p for c in xy]), min_size=1, max_size=2),
                st.just(_rle(130, 125)),
            )
        )
        anns.append(
            {
                "id": k + 1,
                "image_id": image_id,
                "category_id": draw(st.integers(1, 17)),
                "segmentation": seg,
            }
        )
    cats = [
        {"id": i + 1, "name": n}
        for i, n in enumerate(
            [
                "t1",
                "T2",
                "T3",
                "T4",
                "T5",
                "T6",
                "T7",
                "T8",
                "T9",
                "T10",
                "T11",
                "T12",
                "L1",
                "L2",
                "L3",
                "L4",
                "l 5",
            ]
        )
    ]
    doc = {"images": images, "annotations": anns, "categories": cats}
    if draw(st.booleans()):
        doc["vertapp"] = {"schema_version": 1, "label_set": "vertebrae"}
        images[0]["vertapp"] = {
            "kind": "mip",
            "status": "flagged",
            "mip_affine": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        }
        anns[0]["vertapp"] = {"source": "predicted", "reviewed": True}
        anns[0]["score"] = 0.5
    return doc


@st.composite
def valid_via(draw: st.DrawFn) -> dict[str, Any]:
    meta = {}
    for i in range(draw(st.integers(1, 2))):
        regions = []
        for pts in draw(st.lists(points, min_size=1, max_size=3)):
            shape = {
                "name": "polygon",
                "all_points_x": [p[0] for p in pts],
                "all_points_y": [p[1] for p in pts],
            }
            regions.append(
                {
                    "shape_attributes": shape,
                    "region_attributes": {"label": draw(st.sampled_from(["t12", "L 1", "T3"]))},
                }
            )
        regions.append(
            {
                "shape_attributes": {"name": "rect", "x": 1, "y": 2, "width": 30, "height": 20},
                "region_attributes": {"label": "L2"},
            }
        )
        # circles and ellipses skip the polygon path: `mutated` puts huge or odd values
        # into their radii too (a radius of 1e300 once crashed pycocotools)
        size = st.floats(1, 60)
        regions.append(
            {
                "shape_attributes": {"name": "circle", "cx": 60, "cy": 60, "r": draw(size)},
                "region_attributes": {"label": "L4"},
            }
        )
        regions.append(
            {
                "shape_attributes": {
                    "name": "ellipse",
                    "cx": draw(size),
                    "cy": 50,
                    "rx": draw(size),
                    "ry": 9,
                    "theta": draw(size),
                },
                "region_attributes": {"label": "L5"},
            }
        )
        meta[f"{'ab'[i]}.png-1"] = {"filename": f"{'ab'[i]}.png", "size": -1, "regions": regions}
    return {"_via_img_metadata": meta} if draw(st.booleans()) else meta


@st.composite
def valid_labelme(draw: st.DrawFn) -> dict[str, Any]:
    shapes = [
        {
            "label": draw(st.sampled_from(["T1", "l2"])),
            "points": [list(p) for p in pts],
            "shape_type": "polygon",
            "group_id": draw(st.sampled_from([None, 1])),
        }
        for pts in draw(st.lists(points, min_size=1, max_size=3))
    ]
    shapes.append(
        {"label": "L3", "points": [[5, 5], [30, 40]], "shape_type": "rectangle", "group_id": None}
    )
    shapes.append(
        {"label": "L4", "points": [[50, 50], [60, 50]], "shape_type": "circle", "group_id": None}
    )
    return {
        "shapes": shapes,
        "imagePath": "a.png",
        "imageData": None,
        "imageHeight": 125,
        "imageWidth": 130,
    }


VIA_SIZES = via.sizes_from({"a.png": (130, 125), "b.png": (130, 125)})


def _import_coco(doc: Any) -> Any:
    return coco.project_from_coco(doc, name="fuzz.json")


def _import_via(doc: Any) -> Any:
    return via.project_from_via(doc, name="fuzz_via.json", size_of=VIA_SIZES)


def _import_labelme(doc: Any) -> Any:
    return labelme.image_from_labelme(doc, name="fuzz_lm.json", image_id=1, first_instance_id=1)


def _only_format_errors(fn, *args, **kw) -> None:
    with contextlib.suppress(FormatError):  # any other exception fails the test
        fn(*args, **kw)


@FUZZ
@given(data=st.one_of(mutated(valid_coco()), json_values))
def test_coco_importer_raises_only_format_error(data) -> None:
    _only_format_errors(_import_coco, data)


@FUZZ
@given(data=st.one_of(mutated(valid_via()), json_values))
def test_via_importer_raises_only_format_error(data) -> None:
    _only_format_errors(_import_via, data)


@FUZZ
@given(data=st.one_of(mutated(valid_labelme()), json_values))
def test_labelme_importer_raises_only_format_error(data) -> None:
    _only_format_errors(_import_labelme, data)


@FUZZ
@given(raw=st.one_of(st.binary(max_size=60), st.text(max_size=60)))
def test_project_load_of_garbage_bytes(tmp_path_factory, raw) -> None:
    folder = tmp_path_factory.mktemp("p")
    (folder / "project.json").write_bytes(raw if isinstance(raw, bytes) else raw.encode())
    _only_format_errors(store.load_project, folder)


@settings(FUZZ, max_examples=60)
@given(data=mutated(valid_coco()))
def test_project_load_of_hostile_json(tmp_path_factory, data) -> None:
    folder = tmp_path_factory.mktemp("p")
    (folder / "project.json").write_text(json.dumps(data))
    _only_format_errors(store.load_project, folder)


@settings(FUZZ, max_examples=30)
@given(coco_doc=valid_coco(), via_doc=valid_via(), lm_doc=valid_labelme())
def test_unmutated_documents_import_with_instances(coco_doc, via_doc, lm_doc) -> None:
    """The fuzzers start from documents that really import (so deep paths are reached)."""
    project = _import_coco(coco_doc)
    assert sum(len(i.instances) for i in project.images.values()) == len(coco_doc["annotations"])
    assert sum(len(i.instances) for i in _import_via(via_doc).images.values()) >= 2
    assert len(_import_labelme(lm_doc).instances) >= 3


# The campaign's size: >= 1000 examples per importer (`pytest -m slow`).
CAMPAIGN = settings(FUZZ, max_examples=1000)


@pytest.mark.campaign
@CAMPAIGN
@given(data=st.one_of(mutated(valid_coco()), json_values))
def test_coco_importer_campaign(data) -> None:
    _only_format_errors(_import_coco, data)


@pytest.mark.campaign
@CAMPAIGN
@given(data=st.one_of(mutated(valid_via()), json_values))
def test_via_importer_campaign(data) -> None:
    _only_format_errors(_import_via, data)


@pytest.mark.campaign
@CAMPAIGN
@given(data=st.one_of(mutated(valid_labelme()), json_values))
def test_labelme_importer_campaign(data) -> None:
    _only_format_errors(_import_labelme, data)
