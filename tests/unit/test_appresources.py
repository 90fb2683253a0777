"""The shipped resources (icon, desktop entry) are found through importlib.resources,
from the checkout and from a wheel installed elsewhere."""

from __future__ import annotations

import configparser
import io
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from vertapp import appresources

ROOT = Path(__file__).resolve().parents[2]


def test_every_icon_size_is_a_png_of_that_size() -> None:
    paths = appresources.icon_paths()
    assert len(paths) == len(appresources.ICON_SIZES)
    for size, path in zip(appresources.ICON_SIZES, paths, strict=True):
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size == (size, size)
            assert image.mode == "RGBA"
            # drawn, not blank: the tile is opaque in the middle, the corners transparent
            assert image.getpixel((size // 2, size // 2))[3] == 255
            assert image.getpixel((0, 0))[3] < 64


def test_ico_holds_every_size_and_svg_is_an_svg() -> None:
    with Image.open(io.BytesIO(appresources.read_bytes(appresources.ICON_ICO))) as ico:
        assert ico.format == "ICO"
        assert {s for s, _ in ico.info["sizes"]} == set(appresources.ICON_SIZES)
    root = ET.fromstring(appresources.read_bytes(appresources.ICON_SVG))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 256 256"


def test_desktop_entry_starts_vertapp_with_its_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read_string(appresources.read_bytes(appresources.DESKTOP_ENTRY).decode("utf-8"))
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] == "vertapp"
    assert section["Icon"] == "vertapp"


def test_a_missing_resource_is_an_error_in_words() -> None:
    with pytest.raises(appresources.ResourceMissingError, match="nothing.png is missing"):
        appresources.resource("icons/nothing.png")
    with pytest.raises(ValueError, match="no 17 px icon"):
        appresources.icon_png(17)


@pytest.mark.slow
def test_an_installed_wheel_finds_its_icon(tmp_path: Path) -> None:
    """Build the wheel, unpack it away from the source tree, look the icon up there.

    Fails if package-data misses a resource folder, or if the lookup used a path
    relative to the checkout instead of the package.
    """
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "--wheel-dir", str(wheels), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    site = tmp_path / "site"
    with zipfile.ZipFile(next(wheels.glob("vertapp-*.whl"))) as wheel:
        wheel.extractall(site)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import vertapp, vertapp.appresources as r\n"
        "print(vertapp.__file__)\n"
        "print('\\n'.join(str(p) for p in r.icon_paths()))\n"
        "print(len(r.read_bytes(r.ICON_ICO)), len(r.read_bytes(r.DESKTOP_ENTRY)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code, str(site)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert Path(out[0]).is_relative_to(site)
    icons = [Path(line) for line in out[1:-1]]
    assert len(icons) == len(appresources.ICON_SIZES)
    assert all(p.is_relative_to(site) and p.stat().st_size > 0 for p in icons)
    assert all(int(n) > 0 for n in out[-1].split())
