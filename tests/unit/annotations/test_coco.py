"""COCO export/import: pycocotools loads it and COCOeval scores GT against itself at AP 1."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from vertapp.annotations import coco, store
from vertapp.annotations.model import Instance
from vertapp.errors import FormatError, UnsafePathError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")


def _quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def _add_holed_instance(project) -> None:
    img = project.image(1)
    outer = np.array([[60, 20], [110, 20], [110, 60], [60, 60]], float)
    hole = np.array([[75, 30], [95, 30], [95, 45], [75, 45]], float)
    inst = Instance(id=project.new_instance_id(), label="L5", polygons=[outer], holes=[hole])
    img.instances.append(inst)
    project._image_of[inst.id] = img.id


@pytest.mark.parametrize("iou_type", ["segm", "bbox"])
def test_ground_truth_against_itself_gives_ap_one(make_project, tmp_path, iou_type) -> None:
    project = make_project(n_images=3, n_vertebrae=6)
    _add_holed_instance(project)
    store.save_project(project, tmp_path)
    gt = _quiet(COCO, str(tmp_path / "project.json"))
    results = coco.results_from_project(project, sources=("manual",))
    assert len(results) == 19 and all(r["score"] == 1.0 for r in results)
    dt = _quiet(gt.loadRes, results)
    ev = COCOeval(gt, dt, iou_type)
    _quiet(ev.evaluate)
    _quiet(ev.accumulate)
    _quiet(ev.summarize)
    assert ev.stats[0] == pytest.approx(1.0)  # AP @[.5:.95]
    assert ev.stats[1] == pytest.approx(1.0)  # AP @ .5


def test_area_bbox_iscrowd_match_pycocotools(make_project, tmp_path) -> None:
    project = make_project()
    _add_holed_instance(project)
    store.save_project(project, tmp_path)
    gt = _quiet(COCO, str(tmp_path / "project.json"))
    for ann in gt.dataset["annotations"]:
        m = gt.annToMask(ann)
        assert ann["area"] == m.sum() > 0
        ys, xs = np.nonzero(m)
        assert ann["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
        assert ann["iscrowd"] == 0
    holed = max(gt.dataset["annotations"], key=lambda a: a["id"])
    assert isinstance(holed["segmentation"], dict)  # holes -> RLE
    assert holed["area"] == 50 * 40 - 20 * 15
    cats = gt.dataset["categories"]
    assert [c["id"] for c in cats] == list(range(1, 18))
    assert cats[0] == {"id": 1, "name": "T1", "supercategory": "thoracic"}
    assert cats[16] == {"id": 17, "name": "L5", "supercategory": "lumbar"}


def test_save_load_round_trip_keeps_everything(make_project, tmp_path) -> None:
    project = make_project(source="predicted")
    _add_holed_instance(project)
    project.instance(1).order_changed = True
    project.image(2).status = "flagged"
    store.save_project(project, tmp_path)
    again = store.load_project(tmp_path)
    assert again.state() == project.state()
    assert again.instance(1).score == 0.9 and again.instance(1).model_id == "m1"
    assert again.image(1).mip_affine == project.image(1).mip_affine
    assert again.image(1).patient_key == "P000"


def test_unknown_keys_survive_load_and_save(make_project, tmp_path) -> None:
    store.save_project(make_project(), tmp_path)
    path = tmp_path / "project.json"
    data = json.loads(path.read_text())
    data["info"] = {"description": "x"}
    data["licenses"] = [{"id": 1}]
    data["vertapp"]["future_thing"] = [1, 2]
    data["images"][0]["date_captured"] = "2020"
    data["images"][0]["vertapp"]["window"] = [100, 1500]
    data["annotations"][0]["attributes"] = {"occluded": True}
    data["annotations"][0]["vertapp"]["note"] = "check"
    path.write_text(json.dumps(data))
    project = store.load_project(tmp_path)
    store.save_project(project, tmp_path)
    out = json.loads(path.read_text())
    assert out["info"] == {"description": "x"} and out["licenses"] == [{"id": 1}]
    assert out["vertapp"]["future_thing"] == [1, 2]
    assert out["images"][0]["date_captured"] == "2020"
    assert out["images"][0]["vertapp"]["window"] == [100, 1500]
    assert out["annotations"][0]["attributes"] == {"occluded": True}
    assert out["annotations"][0]["vertapp"]["note"] == "check"


def _foreign(segmentation, **ann) -> dict:
    return {
        "images": [{"id": 7, "file_name": "a.png", "width": 50, "height": 40}],
        "annotations": [
            {"id": 3, "image_id": 7, "category_id": 12, "segmentation": segmentation, **ann}
        ],
        "categories": [{"id": 12, "name": "t12"}],
    }


def test_foreign_coco_with_rle_and_names_to_normalise() -> None:
    m = np.zeros((40, 50), np.uint8)
    m[10:30, 5:25] = 1
    counts = [10 + 40 * 5]  # uncompressed RLE, column major
    for _ in range(20):
        counts += [20, 20]
    counts[-1] = 40 * 50 - sum(counts[:-1])
    uncompressed = {"size": [40, 50], "counts": counts}
    p1 = coco.project_from_coco(_foreign(uncompressed))
    inst = p1.instance(3)
    assert inst.label == "T12" and p1.label_set == "vertebrae"
    from vertapp.annotations.geometry import polygons_to_mask

    assert np.array_equal(polygons_to_mask(inst.polygons, 40, 50), m.astype(bool))
    from vertapp.annotations.geometry import mask_to_rle, rle_to_json

    p2 = coco.project_from_coco(_foreign(rle_to_json(mask_to_rle(m)), score=0.7))
    assert p2.instance(3).source == "predicted" and p2.instance(3).score == 0.7


def test_newer_schema_is_refused() -> None:
    data = _foreign([[1, 1, 9, 1, 9, 9]])
    data["vertapp"] = {"schema_version": 99}
    with pytest.raises(FormatError, match="newer VertApp"):
        coco.project_from_coco(data, name="p.json")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["images"].append(dict(d["images"][0])), "duplicate image id 7"),
        (lambda d: d["annotations"].append(dict(d["annotations"][0])), "duplicate annotation id 3"),
        (lambda d: d["images"][0].update(width=10**9), "out of range"),
        (lambda d: d["images"][0].update(width="50"), "'width' must be an integer"),
        (lambda d: d["annotations"][0].update(image_id=8), "image 8"),
        (lambda d: d["annotations"][0].update(category_id=1), "category 1"),
        (lambda d: d["annotations"][0].update(segmentation=[[1, 2]]), "at least 3"),
        (lambda d: d["annotations"][0].update(segmentation=[[0.5] * (2 * 10**6)]), "more than"),
        (lambda d: d["annotations"][0].update(segmentation=[["a", 1, 2, 3, 4, 5]]), "numbers"),
        (lambda d: d.update(images={"x": 1}), "expected a list"),
        (
            lambda d: d.update(
                vertapp={"schema_version": 1, "label_set": "vertebrae"},
                categories=[*d["categories"], {"id": 13, "name": "S1"}],
            ),
            "not in the vertebrae",
        ),
    ],
)
def test_bad_records_raise_one_format_error(mutate, message) -> None:
    data = _foreign([[1, 1, 9, 1, 9, 9]])
    mutate(data)
    with pytest.raises(FormatError, match=message) as info:
        coco.project_from_coco(data, name="bad.json")
    assert str(info.value).startswith("bad.json")


@pytest.mark.parametrize("name", ["../x.png", "/etc/passwd", "C:\\x.png", "a/../../b.png", ""])
def test_image_paths_may_not_escape(name) -> None:
    data = _foreign([[1, 1, 9, 1, 9, 9]])
    data["images"][0]["file_name"] = name
    with pytest.raises(UnsafePathError):
        coco.project_from_coco(data)


def test_symlink_out_of_project_is_refused(make_project, tmp_path) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"x")
    folder = tmp_path / "proj"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "case001.png").symlink_to(outside)
    project = make_project(root=folder)
    with pytest.raises(UnsafePathError, match="outside the project"):
        project.image_path(1)
    assert project.image_path(2) == folder / "images" / "case002.png"
