"""The layering rules of DESIGN.md, checked."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import vertapp

PACKAGE = Path(vertapp.__file__).parent
CORE = ("io", "preprocess", "annotations", "ml", "xray", "synth")
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6")


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_packages_do_not_import_qt_in_source() -> None:
    offenders = []
    for py in PACKAGE.rglob("*.py"):
        rel = py.relative_to(PACKAGE)
        if rel.parts[0] in ("gui",):
            continue
        if _imported_roots(py) & set(QT_MODULES):
            offenders.append(str(rel))
    assert offenders == []


def test_core_packages_import_headless_without_loading_qt() -> None:
    """Import every core module in a fresh interpreter; Qt must not be pulled in."""
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


def test_lower_layers_do_not_import_gui_or_cli() -> None:
    offenders = []
    for py in PACKAGE.rglob("*.py"):
        rel = py.relative_to(PACKAGE)
        if rel.parts[0] not in CORE:
            continue
        src = py.read_text(encoding="utf-8")
        if "vertapp.gui" in src or "vertapp.cli" in src or "vertapp.commands" in src:
            offenders.append(str(rel))
    assert offenders == []
