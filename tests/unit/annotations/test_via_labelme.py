"""VIA 2 and labelme import/export, label mapping, and `vertapp convert`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from vertapp.annotations import coco, labelme, via
from vertapp.annotations.labelmap import map_label, normalise_label, parse_map_args
from vertapp.cli import main
from vertapp.errors import FormatError, UnsafePathError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")


def _via_project(tmp_path) -> dict:
    for name in ("a.png", "b.png"):
        Image.fromarray(np.zeros((60, 80), np.uint8)).save(tmp_path / name)
    poly = {"name": "polygon", "all_points_x": [10, 30.5, 20], "all_points_y": [5, 8, 25.25]}
    return {
        "_via_settings": {},
        "_via_img_metadata": {
            "a.png123": {
                "filename": "a.png",
                "size": 123,
                "regions": [
                    {"shape_attributes": poly, "region_attributes": {"label": "t12"}},
                    {
                        "shape_attributes": {
                            "name": "rect",
                            "x": 40,
                            "y": 10,
                            "width": 20,
                            "height": 15,
                        },
                        "region_attributes": {"label": "L 1"},
                    },
                    {"shape_attributes": poly, "region_attributes": {"label": {"L2": True}}},
                ],
                "file_attributes": {},
            },
            "b.png9": {"filename": "b.png", "size": 9, "regions": []},
        },
    }


def test_label_normalisation_and_mapping() -> None:
    assert [
        normalise_label(s) for s in ["t12", "L 1", "Th3", "l-05", "T13", "Spinous Process"]
    ] == [
        "T12",
        "L1",
        "T3",
        "L5",
        "T13",
        "spinous_process",
    ]
    assert map_label("vert_20", {"vert_20": "l1"}) == "L1"
    assert parse_map_args(["a=T1", " b = L2 "]) == {"a": "T1", "b": "L2"}


def test_via_import_reads_sizes_labels_and_shapes(tmp_path) -> None:
    path = tmp_path / "via.json"
    path.write_text(json.dumps(_via_project(tmp_path)))
    project = via.load_via(path)
    assert [img.width for img in project.images.values()] == [80, 80]
    a = project.image(1)
    assert a.labels() == ["T12", "L1", "L2"]
    assert a.instances[0].polygons[0].tolist() == [[10, 5], [30.5, 8], [20, 25.25]]
    assert a.instances[1].polygons[0].tolist() == [[40, 10], [60, 10], [60, 25], [40, 25]]


def test_via_to_coco_to_via_keeps_every_polygon(tmp_path) -> None:
    path = tmp_path / "via.json"
    path.write_text(json.dumps(_via_project(tmp_path)))
    first = via.load_via(path)
    as_coco = json.loads(json.dumps(coco.project_to_coco(first)))
    back = via.project_to_via(coco.project_from_coco(as_coco, root=tmp_path))
    original = _via_project(tmp_path)["_via_img_metadata"]
    regions_in = [r for e in original.values() for r in e["regions"]]
    regions_out = [r for e in back["_via_img_metadata"].values() for r in e["regions"]]
    assert len(regions_out) == len(regions_in) == 3
    first_poly = regions_out[0]["shape_attributes"]
    assert first_poly["all_points_x"] == [10, 30.5, 20]
    assert first_poly["all_points_y"] == [5, 8, 25.25]
    assert [r["region_attributes"]["label"] for r in regions_out] == ["T12", "L1", "L2"]
    again = via.project_from_via(
        back, size_of=via.sizes_from({"a.png": (80, 60), "b.png": (80, 60)})
    )
    assert again.state()[2] == first.state()[2]  # images and instances identical


def test_via_missing_image_and_escaping_path(tmp_path) -> None:
    data = _via_project(tmp_path)
    (tmp_path / "b.png").unlink()
    (tmp_path / "via.json").write_text(json.dumps(data))
    with pytest.raises(FormatError, match="image 'b.png' not found"):
        via.load_via(tmp_path / "via.json")
    data["_via_img_metadata"]["b.png9"]["filename"] = "../../etc/passwd"
    (tmp_path / "via.json").write_text(json.dumps(data))
    with pytest.raises(UnsafePathError):
        via.load_via(tmp_path / "via.json")


def test_labelme_import_groups_and_shapes(tmp_path) -> None:
    data = {
        "shapes": [
            {
                "label": "l3",
                "points": [[1, 1], [9, 1], [9, 9]],
                "shape_type": "polygon",
                "group_id": 1,
            },
            {
                "label": "l3",
                "points": [[20, 1], [29, 1], [29, 9]],
                "shape_type": "polygon",
                "group_id": 1,
            },
            {
                "label": "L4",
                "points": [[1, 20], [11, 30]],
                "shape_type": "rectangle",
                "group_id": None,
            },
            {"label": "L4", "points": [[5, 5]], "shape_type": "point", "group_id": None},
        ],
        "imagePath": "x.png",
        "imageData": None,
        "imageHeight": 40,
        "imageWidth": 50,
    }
    (tmp_path / "x.json").write_text(json.dumps(data))
    project = labelme.load_labelme(tmp_path)
    img = project.image(1)
    assert img.labels() == ["L3", "L4"] and len(img.instances[0].polygons) == 2
    out = labelme.image_to_labelme(img)
    assert len(out["shapes"]) == 3 and out["imageWidth"] == 50


def test_convert_cli_via_to_coco_with_map_and_back(tmp_path, capsys) -> None:
    data = _via_project(tmp_path)
    data["_via_img_metadata"]["a.png123"]["regions"][0]["region_attributes"]["label"] = "vert_t11"
    (tmp_path / "via.json").write_text(json.dumps(data))
    out = tmp_path / "out" / "coco.json"
    rc = main(["convert", str(tmp_path / "via.json"), "--out", str(out), "--map", "vert_t11=T11"])
    assert rc == 0 and "via -> coco: 2 images, 3 instances" in capsys.readouterr().out
    written = json.loads(out.read_text())
    names = {c["id"]: c["name"] for c in written["categories"]}
    assert sorted(names[a["category_id"]] for a in written["annotations"]) == ["L1", "L2", "T11"]
    rc = main(["convert", str(out), "--out", str(tmp_path / "back.json"), "--to", "via"])
    assert rc == 0
    back = json.loads((tmp_path / "back.json").read_text())
    assert sum(len(e["regions"]) for e in back["_via_img_metadata"].values()) == 3
    rc = main(["convert", str(out), "--out", str(tmp_path / "lm"), "--to", "labelme"])
    assert rc == 0 and sorted(p.name for p in (tmp_path / "lm").iterdir()) == ["a.json", "b.json"]


def test_convert_cli_reports_bad_input(tmp_path, capsys) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    assert main(["convert", str(tmp_path / "bad.json"), "--out", str(tmp_path / "o.json")]) == 1
    assert "not valid JSON" in capsys.readouterr().err


def test_a_vertebra_of_two_polygons_stays_one_through_via(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """VIA holds one polygon per region: a two-polygon L3 came back as two L3s."""
    import numpy as np

    from vertapp.annotations.model import ImageRecord, Instance, Project
    from vertapp.annotations.via import project_from_via, project_to_via, sizes_from

    a = np.array([[1.0, 1.0], [9.0, 1.0], [9.0, 9.0]])
    project = Project(label_set="vertebrae")
    insts = [Instance(7, "L3", [a, a + 20]), Instance(8, "L4", [a + 40])]
    project.add_image(ImageRecord(1, "images/a.png", 80, 80, instances=insts))
    back = project_from_via(project_to_via(project), size_of=sizes_from({"images/a.png": (80, 80)}))
    got = [(i.label, len(i.polygons)) for i in back.images[1].instances]
    assert got == [("L3", 2), ("L4", 1)]
