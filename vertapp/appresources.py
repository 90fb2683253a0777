"""The files the app ships in `vertapp/resources/` (icon, desktop entry), found at run time.

Everything goes through `importlib.resources`, never a path built from `__file__` or
the source tree, so the same calls work from a checkout, an installed wheel and the
PyInstaller build (which unpacks the package data next to the executable). Qt-free:
the window turns `icon_paths()` into a `QIcon` itself.
"""

from __future__ import annotations

from contextlib import ExitStack
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from vertapp.errors import VertAppError

PACKAGE = "vertapp.resources"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICON_SVG = "icons/vertapp.svg"
ICON_ICO = "icons/vertapp.ico"
DESKTOP_ENTRY = "vertapp.desktop"

# Files extracted from a zipped install stay valid until the interpreter exits.
_extracted = ExitStack()


class ResourceMissingError(VertAppError):
    """A file the app ships with is not where the package says it is (a broken install)."""


def resource(name: str) -> Traversable:
    """The shipped file `name` (e.g. "icons/vertapp.svg"); raises if the install lacks it."""
    item = resources.files(PACKAGE)
    for part in name.split("/"):
        item = item.joinpath(part)
    if not item.is_file():
        raise ResourceMissingError(f"VertApp resource {name} is missing: reinstall VertApp")
    return item


def read_bytes(name: str) -> bytes:
    return resource(name).read_bytes()


def resource_path(name: str) -> Path:
    """A real file path for `name`, for APIs that want one (QIcon, desktop entries).

    On a normal install or the frozen build this is the file itself; from a zip it is
    a temporary copy that lives as long as the process.
    """
    return _extracted.enter_context(resources.as_file(resource(name)))


def icon_png(size: int) -> str:
    """Resource name of the icon rendered at `size` pixels (one of ICON_SIZES)."""
    if size not in ICON_SIZES:
        raise ValueError(f"no {size} px icon; sizes: {ICON_SIZES}")
    return f"icons/vertapp-{size}.png"


def icon_paths() -> list[Path]:
    """Every PNG size, smallest first: what `QIcon.addFile` wants for a crisp window icon."""
    return [resource_path(icon_png(size)) for size in ICON_SIZES]
