"""Where the app keeps its own files (settings, autosave journal, recovery)."""

from __future__ import annotations

import os
from pathlib import Path


def config_dir() -> Path:
    """`$VERTAPP_CONFIG_DIR`, else `~/.config/vertapp` (tests point it at a temp dir)."""
    env = os.environ.get("VERTAPP_CONFIG_DIR")
    base = Path(env) if env else Path.home() / ".config" / "vertapp"
    base.mkdir(parents=True, exist_ok=True)
    return base
