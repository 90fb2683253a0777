"""The axial slice each CT image was left at: kept in memory at every step, written to the
settings only on leaving the image or closing (not once per wheel step), read back by the
next session."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from vertapp.gui.window.slice_memory import SliceMemory  # noqa: E402


def test_steps_stay_in_memory_until_flushed_then_the_next_session_reads_them(
    tmp_path: Path,
) -> None:
    project = tmp_path / "spine_project"
    first = SliceMemory()
    for k in range(40):  # scrolling
        first.remember(project, 3, k)
    assert first.recall(project, 3) == 39
    assert SliceMemory().recall(project, 3) is None  # nothing written per step
    first.flush()
    assert SliceMemory().recall(project, 3) == 39
    assert SliceMemory().recall(tmp_path / "other", 3) is None  # per project
    untitled = SliceMemory()
    untitled.remember(None, 1, 12)
    untitled.flush()
    assert untitled.recall(None, 1) == 12 and SliceMemory().recall(None, 1) is None
