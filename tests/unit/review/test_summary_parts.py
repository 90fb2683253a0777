"""`vertapp review`: a radiograph vertebra drawn as parts counts once (no Qt).

The parts of one level (body, pedicles, processes) are one vertebra, as the Train dialog
counts them; its status is flagged if any part is, else the least advanced part's.
"""

from __future__ import annotations

import json

from tests.unit.review.sample import square
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.annotations.store import save_project
from vertapp.cli import main
from vertapp.review.snapshot import vertebra_count
from vertapp.review.summary import summarize

FLAG = {"flagged": True}


def part(iid: int, label: str, level: str | None, src: str = "predicted", **kw) -> Instance:
    app = {"vertebra": level} if level else {}
    app |= kw.pop("app", {})
    return Instance(
        iid,
        label,
        [square(10, 2 + 4 * iid, 3)],
        source=src,
        score=None if src == "manual" else 0.9,
        model_id=None if src == "manual" else "m",
        extra={"vertapp": app},
        **kw,
    )


def parts_project(*films: list[Instance]) -> Project:
    project = Project(label_set="parts")
    for k, insts in enumerate(films, start=1):
        rec = ImageRecord(k, f"images/film{k}.png", 64, 64, kind="radiograph")
        rec.instances = insts
        project.add_image(rec)
    return project


def test_two_vertebrae_drawn_as_body_and_pedicle_are_two() -> None:
    """The audit's film: L3 body accepted + pedicle undecided, L4 body undecided +
    pedicle drawn by hand. Was reported as 4 vertebrae (2 not started, 2 completed)."""
    film = [
        part(1, "body", "L3", reviewed=True),
        part(2, "pedicle", "L3"),
        part(3, "body", "L4"),
        part(4, "pedicle", "L4", "manual"),
    ]
    s = summarize(parts_project(film))
    assert s.vertebrae == {"not_started": 2, "in_progress": 0, "completed": 0, "flagged": 0}
    assert sum(s.vertebrae.values()) == vertebra_count(film) == 2
    assert s.pending_predictions == 2  # predictions are still counted one by one


def test_a_vertebra_takes_its_least_advanced_part_and_any_flag() -> None:
    film = [
        part(1, "body", "T1", reviewed=True),  # T1: every part decided -> completed
        part(2, "pedicle", "T1", "manual"),
        part(3, "spinous_process", "T1", reviewed=True),
        part(4, "body", "T2", reviewed=True),  # T2: one part corrected -> in progress
        part(5, "pedicle", "T2", "corrected"),
        part(6, "body", "T3", reviewed=True),  # T3: a part flagged -> flagged
        part(7, "transverse_process", "T3", app=FLAG),
        part(8, "body", "unknown"),  # a body of no level: a vertebra of its own
        part(9, "pedicle", None),  # a lone pedicle of no level: no vertebra
    ]
    other_film = [part(10, "body", "T1", "manual"), part(11, "pedicle", "T1", "manual")]
    s = summarize(parts_project(film, other_film))
    assert s.vertebrae == {"not_started": 1, "in_progress": 1, "completed": 2, "flagged": 1}
    assert sum(s.vertebrae.values()) == vertebra_count(film) + vertebra_count(other_film)


def test_cli_counts_vertebrae_not_parts(tmp_path, capsys) -> None:
    project = parts_project(
        [part(1, "body", "L1", "manual"), part(2, "pedicle", "L1", "manual")],
        [part(3, "body", "L2"), part(4, "pedicle", "L2"), part(5, "spinous_process", "L2")],
    )
    project.root = tmp_path
    save_project(project, tmp_path)
    assert main(["review", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["vertebrae"] == {"not_started": 1, "in_progress": 0, "completed": 1, "flagged": 0}
    assert data["pending_predictions"] == 3
