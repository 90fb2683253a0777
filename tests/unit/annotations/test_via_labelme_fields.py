"""Round 14: VertApp's fields survive a round trip through VIA and labelme.

`vertapp convert PROJECT --to via` (or labelme) and back made every prediction nobody
reviewed a hand-drawn label (score, model_id, flagged, reviewed lost; predicted and
corrected became manual), reset the image status and dropped patient_key, source_path,
mip_affine and landmarks: `vertapp train` on the result then learnt the model's own
unreviewed output and split the patients differently. Holes, which polygons cannot
hold, are written filled and said; a file without VertApp fields is said to be all
hand-drawn ground truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vertapp.annotations import app_fields, coco, convert, labelme, via
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.annotations.store import save_project
from vertapp.cli import main
from vertapp.errors import FormatError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")

SQUARE = np.array([[10.0, 10.0], [40.0, 10.0], [40.0, 40.0], [10.0, 40.0]])
HOLE = np.array([[20.0, 20.0], [30.0, 20.0], [30.0, 30.0], [20.0, 30.0]])
AFFINE = [[0.0, 0.0, 1.5], [0.0, 1.0, -20.0], [-1.0, 0.0, 7.0]]


def _project(root: Path | None = None) -> Project:
    project = Project(root)
    a = ImageRecord(
        3,
        "images/a.png",
        80,
        120,
        source_path="volumes/a.nii.gz",
        mip_affine=AFFINE,
        patient_key="P007",
        status="in_progress",
        extra={"vertapp": {"landmarks": {"hip_top_row": 101.0}}},
        instances=[
            Instance(11, "T12", [SQUARE.copy()]),  # drawn by hand
            Instance(
                12,
                "L1",
                [SQUARE + [0, 40]],
                source="predicted",
                score=0.72,
                model_id="starter-ct@e2:43be",
                extra={"vertapp": {"flagged": True}},
            ),
            Instance(
                13,
                "L2",
                [SQUARE + [0, 75]],
                source="corrected",
                score=0.91,
                model_id="starter-ct@e2:43be",
                reviewed=True,
                order_changed=True,
            ),
        ],
    )
    b = ImageRecord(
        5,
        "images/b.png",
        80,
        120,
        patient_key="P009",
        status="completed",
        instances=[Instance(20, "L3", [SQUARE.copy()], holes=[HOLE.copy()])],
    )
    project.add_image(a)
    project.add_image(b)
    return project


def _fields(project: Project) -> list[tuple[object, ...]]:
    """Everything but the outlines (holes apart)."""
    out: list[tuple[object, ...]] = []
    for img in project.images.values():
        out.append((img.id, img.file_name, img.kind, img.status, img.source_path))
        out.append((repr(img.mip_affine), img.patient_key, repr(img.extra)))
        for i in img.instances:
            out.append((i.id, i.label, i.source, i.score, i.model_id, i.reviewed))
            out.append((i.order_changed, repr(i.extra), len(i.polygons)))
    return out


SIZES = via.sizes_from({"images/a.png": (80, 120), "images/b.png": (80, 120)})


def test_via_round_trip_keeps_review_fields_and_image_records() -> None:
    project = _project()
    back = via.project_from_via(json.loads(json.dumps(via.project_to_via(project))), size_of=SIZES)
    assert _fields(back) == _fields(project)
    for img in project.images.values():
        for i, j in zip(img.instances, back.images[img.id].instances, strict=True):
            assert [p.tolist() for p in j.polygons] == [p.tolist() for p in i.polygons]
    assert back.instance(20).holes == []  # a polygon format has no holes: filled


def test_the_window_export_of_via_keeps_them_too(tmp_path: Path) -> None:
    """File > Export VIA streams from a snapshot (`export_snapshot`), not `project_to_via`."""
    project = _project()
    out = tmp_path / "export.via.json"
    convert.export_snapshot(coco.take_snapshot(project), out, "via")
    back = via.project_from_via(json.loads(out.read_text()), size_of=SIZES)
    assert _fields(back) == _fields(project)


def test_labelme_round_trip_keeps_them(tmp_path: Path) -> None:
    project = _project()
    convert.write_annotations(project, tmp_path / "lm", "labelme")
    shape = json.loads((tmp_path / "lm" / "a.json").read_text())["shapes"][1]
    assert (
        shape["description"] == "VertApp predicted, score 0.72, not reviewed, flagged for an expert"
    )
    back = labelme.load_labelme(tmp_path / "lm")
    assert _fields(back) == _fields(project)


def test_a_vertebra_of_two_polygons_keeps_its_fields_on_each(tmp_path: Path) -> None:
    project = Project()
    two = Instance(7, "L3", [SQUARE, SQUARE + [0, 50]], source="predicted", score=0.5)
    project.add_image(ImageRecord(1, "images/a.png", 80, 120, instances=[two]))
    back = via.project_from_via(via.project_to_via(project), size_of=SIZES)
    (inst,) = back.images[1].instances
    assert (len(inst.polygons), inst.source, inst.score) == (2, "predicted", 0.5)


def test_export_notes_count_holes_and_predictions_nobody_reviewed() -> None:
    notes = convert.export_notes(_project(), "via")
    assert notes[0].startswith("1 outline has holes (1 in all), which VIA polygons cannot hold")
    assert notes[1].startswith("1 outline is a prediction nobody reviewed")
    assert convert.export_notes(_project(), "coco") == []


def test_a_foreign_file_is_said_to_be_all_hand_drawn() -> None:
    data = via.project_to_via(_project())
    for entry in data["_via_img_metadata"].values():
        entry["file_attributes"] = {}
        for region in entry["regions"]:
            del region["region_attributes"][app_fields.FIELDS_KEY]
    notes: list[str] = []
    back = via.project_from_via(data, name="other.json", size_of=SIZES, notes=notes)
    assert {i.source for _, i in back.iter_instances()} == {"manual"}
    assert notes == [
        "other.json holds no VertApp fields (a VIA file of another tool, or written before "
        "VertApp kept them): its 4 outlines all count as hand-drawn ground truth (source "
        "manual; `vertapp train` learns from them); predictions, scores and review status "
        "it may have held are not told apart"
    ]
    notes.clear()
    via.project_from_via(via.project_to_via(_project()), size_of=SIZES, notes=notes)
    assert notes == []


def test_a_field_edited_into_nonsense_is_refused_naming_the_record() -> None:
    data = via.project_to_via(_project())
    entry = next(iter(data["_via_img_metadata"].values()))
    entry["regions"][1]["region_attributes"]["vertapp"] = '{"vertapp": {"source": "guess"}}'
    with pytest.raises(FormatError, match=r"regions\[1\].*'source' must be one of"):
        via.project_from_via(data, size_of=SIZES)
    entry["regions"][1]["region_attributes"]["vertapp"] = "{not json"
    with pytest.raises(FormatError, match="not VertApp's JSON"):
        via.project_from_via(data, size_of=SIZES)


def test_a_region_copied_in_via_gets_an_id_of_its_own() -> None:
    data = via.project_to_via(_project())
    entry = next(iter(data["_via_img_metadata"].values()))
    entry["regions"].append(json.loads(json.dumps(entry["regions"][0])))  # same id 11
    back = via.project_from_via(data, size_of=SIZES)
    ids = [i.id for _, i in back.iter_instances()]
    assert len(set(ids)) == len(ids) == 5


def _saved_project(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    (folder / "images").mkdir(parents=True)
    for name in ("a.png", "b.png"):
        Image.fromarray(np.zeros((120, 80), np.uint8)).save(folder / "images" / name)
    project = _project(folder)
    save_project(project, folder)
    return folder


@pytest.mark.parametrize("fmt", ["via", "labelme"])
def test_convert_cli_round_trip_and_its_warnings(tmp_path: Path, capsys, fmt: str) -> None:
    folder = _saved_project(tmp_path)
    mid = folder / ("rt.via.json" if fmt == "via" else "rt_labelme")
    assert main(["convert", str(folder), "--out", str(mid), "--to", fmt]) == 0
    err = capsys.readouterr().err
    name = "VIA" if fmt == "via" else "labelme"
    assert f"warning: 1 outline has holes (1 in all), which {name} polygons cannot hold" in err
    assert "warning: 1 outline is a prediction nobody reviewed" in err
    back = tmp_path / "back.json"
    args = ["--images-dir", str(folder)] if fmt == "via" else []
    assert main(["convert", str(mid), "--out", str(back), "--to", "coco", *args]) == 0
    assert "no VertApp fields" not in capsys.readouterr().err
    original = json.loads((folder / "project.json").read_text())
    again = json.loads(back.read_text())
    assert again["images"] == original["images"]
    for a, b in zip(original["annotations"], again["annotations"], strict=True):
        a_app = {k: v for k, v in a["vertapp"].items() if k not in ("polygons", "holes")}
        assert (b["id"], b.get("score"), b["vertapp"]) == (a["id"], a.get("score"), a_app)
