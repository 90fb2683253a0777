"""Paths read from files stay inside the project folder.

An annotation file is untrusted input: an image path like `../../etc/passwd`, an
absolute path or a symlink that points outside the project would let a crafted
file make the app read (or later overwrite) something else. Every relative path
taken from a file goes through `safe_relpath` / `safe_join`.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from vertapp.errors import UnsafePathError


def safe_relpath(name: object, where: str = "") -> str:
    """Normalise a relative path from a file to POSIX form; refuse anything that escapes.

    Refused: non-strings, empty names, absolute paths (POSIX, Windows drive or UNC),
    `..` components, NUL bytes. Returns e.g. "images/ct01.png".
    """
    prefix = f"{where}: " if where else ""
    if not isinstance(name, str) or not name.strip():
        raise UnsafePathError(f"{prefix}image path must be a non-empty string, got {name!r}")
    if "\x00" in name:
        raise UnsafePathError(f"{prefix}image path contains a NUL byte")
    win = PureWindowsPath(name)
    if win.drive or win.root or name.startswith(("/", "\\")):
        raise UnsafePathError(f"{prefix}absolute image path {name!r} is not allowed")
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise UnsafePathError(f"{prefix}image path {name!r} leaves the project folder")
    if not parts:
        raise UnsafePathError(f"{prefix}image path {name!r} names no file")
    return str(PurePosixPath(*parts))


def safe_join(root: Path, name: object, where: str = "") -> Path:
    """`root / name`, refusing names that escape `root`, also through symlinks."""
    rel = safe_relpath(name, where)
    path = Path(root) / rel
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real_root, real]) != real_root:
        prefix = f"{where}: " if where else ""
        raise UnsafePathError(f"{prefix}image path {name!r} resolves outside the project folder")
    return path
