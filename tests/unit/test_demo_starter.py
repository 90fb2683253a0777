"""The demo opens with the starter model's predictions on its unlabelled spine."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.ml.tiny_starter import use_tiny_starter
from vertapp.annotations.store import load_project
from vertapp.cli import main
from vertapp.demo import DemoCase
from vertapp.labels import VERTEBRAE

CASES = (
    DemoCase("a", seed=5, first="T11", last="L3"),
    DemoCase("b", seed=6, first="L1", last="L5", labelled=False),
)


def build(out: Path, monkeypatch: pytest.MonkeyPatch) -> list:
    import vertapp.demo as demo

    real = demo.build_demo_project
    monkeypatch.setattr(demo, "build_demo_project", lambda folder: real(folder, CASES))
    assert main(["demo", "--out", str(out), "--no-gui"]) == 0
    return sorted(load_project(out).images.values(), key=lambda r: r.id)


def test_demo_holds_the_starters_predictions_to_review(tmp_path, monkeypatch, capsys):
    use_tiny_starter(tmp_path, monkeypatch, confident=True)
    labelled, unlabelled = build(tmp_path / "demo", monkeypatch)
    printed = capsys.readouterr().out
    assert "vertebrae predicted by the starter model (starter-ct.pt): review them" in printed
    assert labelled.instances and all(i.source == "manual" for i in labelled.instances)
    predicted = unlabelled.instances
    assert predicted and all(i.source == "predicted" and not i.reviewed for i in predicted)
    assert all(i.model_id.startswith("starter-ct@") and i.label in VERTEBRAE for i in predicted)
    assert all(i.score is not None and i.score >= 0.5 for i in predicted)


def test_demo_without_a_starter_says_so_and_still_opens(tmp_path, monkeypatch, capsys):
    labelled, unlabelled = build(tmp_path / "demo", monkeypatch)  # the suite turns it off
    assert "no predictions in the demo: the starter model is turned off" in capsys.readouterr().out
    assert labelled.instances and unlabelled.instances == []
