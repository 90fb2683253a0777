"""What the window shows of names and paths: the identifiers switch and recent files.

Files and folders are often named after the patient ("DOE_JOHN/ct.nii.gz"). With the
switch on (the default), the window title, the project list's heading, progress texts,
questions and the recent-files menu say what kind of thing is open, never its name or
path. The user turns it off with View > Hide names and paths; the choice is kept in the
app's settings. Error messages still name the file they are about (the user must find it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu

from vertapp.config import config_dir
from vertapp.errors import VertAppError
from vertapp.gui.document.open_jobs import classify
from vertapp.io.volume import display_name

MAX_RECENT = 10
HIDE_KEY = "hide_identifiers"
KIND_WORDS = {
    "project": "project folder",
    "backup_only": "project folder",
    "dicom_folder": "DICOM folder",
    "dicom_file": "DICOM file",
    "volume": "CT volume",
    "radiograph": "radiograph",
}


def settings() -> QSettings:
    """App settings in the app's own config folder (tests point it at a temp dir)."""
    return QSettings(str(config_dir() / "gui.ini"), QSettings.Format.IniFormat)


def hide_identifiers() -> bool:
    return bool(settings().value(HIDE_KEY, True, type=bool))


def set_hide_identifiers(on: bool) -> None:
    settings().setValue(HIDE_KEY, bool(on))


def kind_words(path: str | Path) -> str:
    """'CT volume (.nii.gz)', 'DICOM folder', ...: what `path` is, without its name."""
    try:
        kind = classify(path)
    except VertAppError:
        return "file no longer there"
    words = KIND_WORDS.get(kind, "file")
    suffix = "".join(Path(path).suffixes[-2:]).lower() if kind in ("volume", "radiograph") else ""
    return f"{words} ({suffix})" if suffix else words


def shown_path(path: str | Path) -> str:
    """The name the window may show for `path` (its kind while identifiers are hidden)."""
    return kind_words(path) if hide_identifiers() else display_name(path)


def shown_title(title: str, saved: bool, kind: str) -> str:
    """The open project's name as shown; `kind` ('mip', 'radiograph') names an untitled one."""
    if not title or not hide_identifiers():
        return title
    if saved:
        return "project"
    return "untitled radiograph" if kind == "radiograph" else "untitled CT"


def anonymous(text: str, name: str, instead: str = "this project") -> str:
    """`text` with `name` (a file or folder name) replaced while identifiers are hidden."""
    return text.replace(name, instead) if name and hide_identifiers() else text


def recent_files() -> list[str]:
    value = settings().value("recent", [])
    return [str(v) for v in (value if isinstance(value, list) else [value] if value else [])]


def remember_recent(path: str) -> None:
    items = [p for p in recent_files() if p != path]
    settings().setValue("recent", [path, *items][:MAX_RECENT])


def fill_recent(menu: QMenu, open_path: Any) -> None:
    """The recent-files menu: names and full paths only when identifiers are shown."""
    menu.clear()
    hide = hide_identifiers()
    for n, path in enumerate(recent_files(), start=1):
        act = menu.addAction(f"&{n % 10}  {kind_words(path)}" if hide else display_name(path))
        if not hide:
            act.setToolTip(path)
        act.triggered.connect(lambda _c=False, p=path: open_path(p))
    if not menu.actions():
        menu.addAction("(none)").setEnabled(False)
