"""A project's image kinds for File > Open recent, read without its annotations."""

from __future__ import annotations

from pathlib import Path

from vertapp.annotations import store
from vertapp.annotations.coco import ANNOTATIONS_LINE
from vertapp.annotations.model import ImageRecord
from vertapp.annotations.peek import image_kinds


def _project(folder: Path, kinds: tuple[str, ...]) -> Path:
    project = store.new_project(folder)
    for i, kind in enumerate(kinds, start=1):
        project.add_image(
            ImageRecord(id=i, file_name=f"images/{i}.png", width=4, height=4, kind=kind)
        )
    store.save_project(project, folder)
    return folder / store.PROJECT_FILE


def test_the_kinds_come_from_the_image_lines_only(tmp_path: Path) -> None:
    path = _project(tmp_path / "p", ("mip", "radiograph", "mip"))
    assert image_kinds(tmp_path / "p") == ["mip", "radiograph", "mip"]
    raw = path.read_bytes()
    head, _sep, _anns = raw.partition(ANNOTATIONS_LINE)
    # megabytes of annotations past the images, and not even JSON: never read
    path.write_bytes(head + ANNOTATIONS_LINE + b"x" * (8 << 20))
    assert image_kinds(tmp_path / "p") == ["mip", "radiograph", "mip"]


def test_other_layouts_small_files_and_failures(tmp_path: Path) -> None:
    path = _project(tmp_path / "p", ())
    assert image_kinds(tmp_path / "p") == []
    path.write_text('{"images": [{"id": 1, "vertapp": {"kind": "radiograph"}}, {"id": 2}]}')
    assert image_kinds(tmp_path / "p") == ["radiograph", "mip"]  # a hand-written file
    path.write_text("{not json")
    assert image_kinds(tmp_path / "p") is None
    assert image_kinds(tmp_path / "missing") is None
