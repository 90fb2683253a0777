"""Fast saving: cached area/bbox are never stale, the line layout reads back exactly,
and a save split into prepare / write / commit keeps edits made while it ran."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycocotools import mask as coco_mask

from vertapp.annotations import coco, ops, store
from vertapp.annotations.geometry import polygons_to_rle
from vertapp.errors import FormatError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")


def _fresh_area_bbox(ann: dict, height: int, width: int) -> tuple[float, list[float]]:
    """What pycocotools gives for a saved annotation's own segmentation, from scratch."""
    seg = ann["segmentation"]
    if isinstance(seg, list):
        rle = coco_mask.merge(coco_mask.frPyObjects(seg, height, width))
    else:
        rle = {"size": seg["size"], "counts": seg["counts"].encode("ascii")}
    return float(coco_mask.area(rle)), [float(v) for v in coco_mask.toBbox(rle)]


def _check_saved_file(folder) -> dict:
    data = json.loads((folder / "project.json").read_bytes())
    sizes = {img["id"]: (img["height"], img["width"]) for img in data["images"]}
    for ann in data["annotations"]:
        area, bbox = _fresh_area_bbox(ann, *sizes[ann["image_id"]])
        assert ann["area"] == area, ann["id"]
        assert ann["bbox"] == bbox, ann["id"]
    return data


def test_area_and_bbox_follow_every_kind_of_edit(make_project, tmp_path) -> None:
    project = make_project(n_images=2, n_vertebrae=4, root=tmp_path)
    store.save_project(project)  # fills the cache
    first = _check_saved_file(tmp_path)["annotations"]
    before = {a["id"]: a["area"] for a in first}
    before_bbox = {a["id"]: a["bbox"] for a in first}
    inst = project.instance(1)
    x, y = inst.polygons[0][0]
    project.apply(ops.MoveVertex(1, 0, 0, (x - 9.0, y - 7.0)))  # in place, same array
    project.apply(ops.InsertVertex(2, 0, 1, tuple(project.instance(2).polygons[0][0] - 6)))
    project.apply(ops.DeleteVertex(3, 0, 2))
    project.apply(ops.MovePolygon(4, 3.5, 11.25))
    ring = project.instance(5).polygons[0]
    hole = ring.mean(axis=0) + np.array([[-3.0, -3.0], [3.0, -3.0], [3.0, 3.0], [-3.0, 3.0]])
    project.apply(ops.ReplacePolygons(5, (ring,), (hole,)))  # holes: written as RLE
    project.instance(6).polygons[0][:, 0] += 2.0  # even a direct in-place change
    store.save_project(project)
    data = _check_saved_file(tmp_path)
    after = {a["id"]: a for a in data["annotations"]}
    for k in (1, 5):  # the edits changed what the cache held: stale values would show
        assert after[k]["area"] != before[k], k
    assert after[4]["bbox"][1] > before_bbox[4][1] + 10  # moved down by 11.25 px
    assert isinstance(after[5]["segmentation"], dict)
    h, w = project.images[2].height, project.images[2].width
    rle = polygons_to_rle(project.instance(5).polygons, h, w, project.instance(5).holes)
    assert after[5]["area"] == float(coco_mask.area(rle))
    reloaded = store.load_project(tmp_path)
    assert reloaded.state() == project.state()


def test_project_to_coco_is_unchanged_by_the_cache(make_project) -> None:
    project = make_project(n_images=2, n_vertebrae=5)
    coco._area_cache.clear()
    cold = coco.project_to_coco(project)
    warm = coco.project_to_coco(project)
    assert cold == warm
    for ann in warm["annotations"]:
        assert all(isinstance(v, float) for v in ann["segmentation"][0])
        area, bbox = _fresh_area_bbox(ann, 190, 120)
        assert (ann["area"], ann["bbox"]) == (area, bbox)


def test_file_layout_is_json_and_read_line_by_line(make_project, tmp_path) -> None:
    project = make_project(n_images=3, n_vertebrae=4, root=tmp_path)
    project.extra = {"info": {"year": 2026}, "licenses": []}
    project.app_extra = {"future_key": [1, 2]}
    project.instance(2).extra = {"attributes": {"occluded": False}}
    raw = store.dumps_project(project)
    assert raw.count(b"\n") == 1 + 3 + 1 + 3 * 4 + 1  # head, images, separator, anns, end
    assert coco._parse_lines(raw) == json.loads(raw)
    assert coco.parse_project_json(raw, "p.json") == json.loads(raw)
    back = coco.project_from_coco(coco.parse_project_json(raw, "p.json"))
    assert back.state() == project.state()


def test_an_old_single_line_file_still_loads(make_project, tmp_path) -> None:
    project = make_project(root=tmp_path)
    (tmp_path / "project.json").write_text(json.dumps(coco.project_to_coco(project)))
    assert store.load_project(tmp_path).state() == project.state()


@pytest.mark.parametrize(
    "edit",
    [
        lambda r: r.replace(b"},\n{", b"},\n,{", 1),  # empty record
        lambda r: r.replace(b'}\n],"annotations"', b'},\n],"annotations"', 1),  # trailing comma
        lambda r: r.replace(b"},\n{", b"}\n{", 1),  # missing comma
        lambda r: r[:-1],  # no final newline: still JSON, read whole
        lambda r: r + b"\n  \n",  # trailing white space
        lambda r: r.replace(b"]}\n", b"]}\n[]"),  # trailing garbage
        lambda r: r.replace(b'{"categories"', b'{"images":[],"categories"', 1),  # duplicate key
        lambda r: r.replace(b"\n", b"\r\n"),  # saved again by a Windows editor
    ],
)
def test_any_change_to_the_layout_reads_as_json_would(make_project, edit) -> None:
    raw = edit(store.dumps_project(make_project(n_images=2, n_vertebrae=3)))
    try:
        expected = json.loads(raw)
    except ValueError:
        with pytest.raises(FormatError, match="p.json: not valid JSON"):
            coco.parse_project_json(raw, "p.json")
    else:
        assert coco.parse_project_json(raw, "p.json") == expected


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_byte_level_damage_reads_as_json_would(make_project, data) -> None:
    raw = bytearray(store.dumps_project(make_project(n_images=1, n_vertebrae=2)))
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(["del", "ins", "set"]))
        byte = data.draw(st.sampled_from(b'\n,[]{}" 0a\\'))
        if op == "del":
            del raw[i]
        elif op == "ins":
            raw.insert(i, byte)
        else:
            raw[i] = byte
    raw_b = bytes(raw)
    try:
        expected = json.loads(raw_b)
    except (ValueError, RecursionError):
        with pytest.raises(FormatError):
            coco.parse_project_json(raw_b, "p.json")
    else:
        assert coco.parse_project_json(raw_b, "p.json") == expected


def test_edits_made_while_saving_stay_unsaved_and_journalled(make_project, tmp_path) -> None:
    project = make_project(root=tmp_path)
    store.save_project(project)
    journal = store.Journal(project).attach()
    project.apply(ops.Relabel(1, "L3"))
    pending = store.prepare_save(project)  # the snapshot: instance 1 is L3
    ring = project.instance(1).polygons[0].copy()
    project.apply(ops.Relabel(2, "L4"))  # while the worker writes
    project.apply(ops.MovePolygon(3, 2.0, 1.0))
    project.apply(ops.MoveVertex(1, 0, 0, (1.0, 1.0)))  # writes into an array in place
    store.commit_save(project, pending, store.write_save(pending))
    assert project.modified
    saved = store.load_project(tmp_path)
    assert saved.instance(1).label == "L3"
    np.testing.assert_array_equal(saved.instance(1).polygons[0], ring)  # not the moved one
    assert saved.instance(2).label != "L4"
    _check_saved_file(tmp_path)
    assert not project._sharing  # the writer is done: edits no longer copy arrays
    assert store.has_recovery(tmp_path)  # the two later edits, on top of the new file
    journal.close()
    assert store.recover(tmp_path).state() == project.state()
    store.save_project(project)
    assert not project.modified and not store.has_recovery(tmp_path)
    journal.detach()


def test_a_failed_write_leaves_the_old_file_and_the_project_modified(
    make_project, tmp_path, monkeypatch
) -> None:
    project = make_project(root=tmp_path)
    store.save_project(project)
    old = (tmp_path / "project.json").read_bytes()
    project.apply(ops.Relabel(1, "L3"))
    pending = store.prepare_save(project)

    def full_disk(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.os, "fsync", full_disk)  # the data never reaches the disk
    with pytest.raises(OSError):
        store.write_save(pending)
    assert (tmp_path / "project.json").read_bytes() == old
    assert project.modified
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_saved_file_is_standard_json_without_nan(make_project, tmp_path) -> None:
    project = make_project(root=tmp_path)
    project.instance(1).score = float("nan")  # never validated on this path: must not leak
    store.save_project(project)
    text = (tmp_path / "project.json").read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


def test_without_orjson_the_same_file_is_written_and_read(make_project, monkeypatch) -> None:
    project = make_project(n_images=2, n_vertebrae=3)
    project.instance(2).score = 0.5
    fast = store.dumps_project(project)
    monkeypatch.setattr(coco, "orjson", None)
    slow = store.dumps_project(project)
    assert json.loads(slow) == json.loads(fast)
    assert coco.parse_project_json(fast, "p.json") == json.loads(fast)


def test_unknown_values_orjson_refuses_fall_back_to_json(make_project) -> None:
    project = make_project(n_images=1, n_vertebrae=2)
    project.extra = {"info": {"big": 2**70, "nested": {"k": [1, "x", None]}}}
    raw = store.dumps_project(project)
    assert json.loads(raw)["info"] == {"big": 2**70, "nested": {"k": [1, "x", None]}}
