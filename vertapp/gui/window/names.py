"""What the window shows of names and paths: the identifiers switch and recent files.

Files and folders are often named after the patient ("DOE_JOHN/ct.nii.gz"). With the
switch on (the default), the window title, the project list's heading, progress texts,
questions and the recent-files menu say what kind of thing is open, never its name or
path. The user turns it off with View > Hide names and paths; the choice is kept in the
app's settings. Error messages still name the file they are about (the user must find it).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu

from vertapp.annotations.peek import image_kinds
from vertapp.annotations.store import PROJECT_FILE
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
IMAGE_KIND_WORDS = {"mip": "CT MIP", "radiograph": "X-ray"}  # as the project list says
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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


def _listed(key: str) -> list[str]:
    value = settings().value(key, [])
    return [str(v) for v in (value if isinstance(value, list) else [value] if value else [])]


def recent_files() -> list[str]:
    return _listed("recent")


def recent_opened() -> dict[str, float]:
    """When each recent entry was last opened (epoch seconds), where that was kept."""
    times = _listed("recent_opened")  # one per entry of "recent", in its order
    return {p: float(t) for p, t in zip(recent_files(), times, strict=False) if t.isdigit()}


def remember_recent(path: str) -> None:
    opened = recent_opened()
    opened[path] = time.time()
    kept = [path, *(p for p in recent_files() if p != path)][:MAX_RECENT]
    settings().setValue("recent", kept)
    settings().setValue("recent_opened", [f"{opened.get(p, 0):.0f}" for p in kept])


def when_words(when: float) -> str:
    """ "29 Nov 14:05" (the year instead of the time when it is not this one)."""
    t = time.localtime(when)
    day = f"{t.tm_mday} {MONTHS[t.tm_mon - 1]}"  # not %b: the locale's, in an English menu
    if t.tm_year != time.localtime().tm_year:
        return f"{day} {t.tm_year}"
    return f"{day} {t.tm_hour:02d}:{t.tm_min:02d}"


def opened_words(when: float) -> str:
    """ "opened 29 Nov 14:05"."""
    return f"opened {when_words(when)}"


def saved_words(path: str | Path) -> str:
    """ "saved 29 Nov 14:02": when the project file was last written; "" if unreadable."""
    try:
        return f"saved {when_words((Path(path) / PROJECT_FILE).stat().st_mtime)}"
    except OSError:
        return ""


def path_tag(path: str | Path) -> str:
    """ "#3f2a": the same entry always gets the same tag and two entries almost never
    share one (16 bits), yet it names nothing: a digest of the full path, not reversible."""
    return "#" + hashlib.sha1(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:4]


def project_words(path: str | Path) -> list[str]:
    """["4 images", "CT MIP + X-ray"] from the project's own file; [] if unreadable."""
    kinds = image_kinds(path)
    if kinds is None:
        return []
    count = f"{len(kinds)} image" + ("" if len(kinds) == 1 else "s")
    shown = [words for kind, words in IMAGE_KIND_WORDS.items() if kind in kinds]
    return [count, " + ".join(shown)] if shown else [count]


def recent_words(path: str, opened: float | None, open_now: bool = False) -> str:
    """A recent entry with names hidden: what it is and holds, when it was last saved and
    opened, and its tag. Nine copies of one project read alike with their kind, size and
    opening minute alone; still no folder or file name."""
    words = [kind_words(path)]
    if words[0] == KIND_WORDS["project"]:
        words += [*project_words(path), saved_words(path)]
    if open_now:
        words.append("open now")
    elif opened:
        words.append(opened_words(opened))
    words.append(path_tag(path))
    return " · ".join(w for w in words if w)


HIDDEN_TIP = (
    "Names and paths are hidden (View > Hide names and paths). The tag after the times "
    "stays with its file or folder, so an entry can be found again without its name."
)


def fill_recent(menu: QMenu, open_path: Any, open_now: str | Path | None = None) -> None:
    """The recent-files menu: names and full paths only when identifiers are shown.
    `open_now`: the project open in this window, marked and not offered again (opening
    it would only read it again, with the unsaved-edits question)."""
    menu.clear()
    menu.setToolTipsVisible(True)  # a menu shows none unless asked
    hide = hide_identifiers()
    opened = recent_opened() if hide else {}
    for n, path in enumerate(recent_files(), start=1):
        here = open_now is not None and _same_path(path, open_now)
        if hide:
            act = menu.addAction(f"&{n % 10}  {recent_words(path, opened.get(path), here)}")
            act.setToolTip(HIDDEN_TIP)
        else:
            act = menu.addAction(display_name(path) + ("  (open now)" if here else ""))
            act.setToolTip(path)
        act.setEnabled(not here)
        act.setData(path)  # an entry (`recent_entries`), not the separator or Clear list
        act.triggered.connect(lambda _c=False, p=path: open_path(p))
    if not menu.actions():
        menu.addAction("(none)").setEnabled(False)
        return
    # the list keeps full paths (it must, to reopen them), which may name patients
    menu.addSeparator()
    clear = menu.addAction("Clear list")
    clear.setToolTip("Forget these entries (the files themselves stay)")
    clear.triggered.connect(clear_recent)


def recent_entries(menu: QMenu) -> list[Any]:
    """The menu's entries (recent files), without the separator and Clear list."""
    return [a for a in menu.actions() if a.data() is not None]


def clear_recent() -> None:
    settings().remove("recent")
    settings().remove("recent_opened")


def _same_path(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError):
        return False
