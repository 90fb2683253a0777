"""The review package's tests pass in an interpreter where Qt cannot be imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
BLOCK_QT = """
import importlib.abc, sys
class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph", "pytestqt"):
            raise ImportError(f"{name} is blocked: the review package must not need Qt")
sys.meta_path.insert(0, NoQt())
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def test_review_tests_pass_with_qt_blocked() -> None:
    others = [str(p) for p in sorted(HERE.glob("test_*.py")) if p.name != Path(__file__).name]
    args = ["-q", "-p", "no:pytest-qt", "-p", "no:cacheprovider", *others]
    out = subprocess.run(
        [sys.executable, "-c", BLOCK_QT, *args], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert " passed" in out.stdout and "PySide6" not in out.stdout
