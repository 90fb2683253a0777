"""The layering rules of docs/architecture.md, checked.

The import contracts live in pyproject.toml `[tool.importlinter]` (run by `lint-imports` in
`make test`). Here they run on the real tree, and each one is shown to fail when a module
breaking it is planted in a copy of the package: a contract that cannot fail proves nothing.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import vertapp

PACKAGE = Path(vertapp.__file__).parent
PYPROJECT = PACKAGE.parent / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CORE = ("io", "preprocess", "annotations", "ml", "review", "xray", "synth")
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6")

# contract id -> (where the planted module goes, what it imports)
VIOLATIONS = {
    "core-no-qt": ("io/_planted.py", "import PySide6.QtCore\n"),
    "layers": ("ml/_planted.py", "import vertapp.review.status\n"),
    "siblings": ("xray/_planted.py", "import vertapp.synth\n"),
    "gui-rooms": ("gui/widgets/_planted.py", "import vertapp.gui.window.main_window\n"),
}


def _lint(root: Path, contract: str | None = None) -> subprocess.CompletedProcess[str]:
    """lint-imports with our pyproject contracts on the `vertapp` found first under `root`."""
    args = [str(LINT_IMPORTS), "--config", str(PYPROJECT), "--no-cache"]
    if contract:
        args += ["--contract", contract]
    env = {**os.environ, "PYTHONPATH": str(root)}
    # lint-imports draws its banner in UTF-8 box characters; CI's locale may be ASCII.
    return subprocess.run(
        args,
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        cwd=root,
        timeout=300,
    )


def test_contracts_hold_on_the_tree() -> None:
    out = _lint(PACKAGE.parent)
    assert out.returncode == 0, out.stdout[-3000:]
    ids = {
        c["id"] for c in tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    }
    assert ids == set(VIOLATIONS)  # every contract has a planted violation below


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    shutil.copytree(
        PACKAGE, root / "vertapp", ignore=shutil.ignore_patterns("__pycache__", "resources")
    )
    return root


@pytest.mark.parametrize("contract", sorted(VIOLATIONS))
def test_each_contract_fails_on_a_planted_violation(package_copy: Path, contract: str) -> None:
    where, code = VIOLATIONS[contract]
    planted = package_copy / "vertapp" / where
    planted.write_text(code, encoding="utf-8")
    try:
        out = _lint(package_copy, contract)
    finally:
        planted.unlink()
    assert out.returncode != 0, out.stdout[-2000:]
    assert "BROKEN" in out.stdout and "_planted" in out.stdout
    assert _lint(package_copy, contract).returncode == 0  # the copy itself was fine


def test_core_packages_import_headless_without_loading_qt() -> None:
    """Import every core module in a fresh interpreter; Qt must not be pulled in at run time."""
    modules = []
    for pkg in CORE:
        base = importlib.import_module(f"vertapp.{pkg}")
        modules.append(base.__name__)
        for info in pkgutil.walk_packages(base.__path__, prefix=f"{base.__name__}."):
            modules.append(info.name)
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
