"""A crash at a chosen moment of an atomic write, for the tests of several writers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest


def fail_replace_of(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """os.replace raises (a crash at that moment) when it would install `name`; returns
    the names it installed or tried to, in order."""
    real = os.replace
    seen: list[str] = []

    def replace(src: Any, dst: Any, *a: Any, **k: Any) -> None:
        seen.append(Path(dst).name)
        if Path(dst).name == name:
            raise OSError(5, "Input/output error (simulated crash)")
        real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", replace)
    return seen
