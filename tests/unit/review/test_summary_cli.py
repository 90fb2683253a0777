"""`vertapp review PROJECT`: counts per status and flagged images from a saved project."""

from __future__ import annotations

import json

from vertapp.annotations.store import save_project
from vertapp.cli import main
from vertapp.review import decisions as dec
from vertapp.review.summary import summarize


def test_summary_counts(project) -> None:
    dec.apply_with_status(project, dec.accept_ops(project, [1]), 1)
    dec.apply_with_status(project, dec.flag_ops(project, [4]), 2)
    s = summarize(project)
    assert s.images == {"not_started": 1, "in_progress": 2, "completed": 0, "flagged": 0}
    assert s.vertebrae == {"not_started": 2, "in_progress": 0, "completed": 2, "flagged": 1}
    assert s.pending_predictions == 3 and s.images_to_review == 2
    assert s.flagged_images == ["im2.png"]


def test_cli_prints_the_summary_of_a_saved_project(project, tmp_path, capsys) -> None:
    dec.apply_with_status(project, dec.flag_ops(project, [4]), 2)
    project.root = tmp_path
    save_project(project, tmp_path)
    assert main(["review", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["flagged_images"] == ["im2.png"] and data["pending_predictions"] == 4
    assert main(["review", str(tmp_path)]) == 0
    assert "flagged for an expert: im2.png" in capsys.readouterr().out


def test_cli_missing_project_is_one_line(tmp_path, capsys) -> None:
    assert main(["review", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("vertapp review: error:") and "\n" not in err
