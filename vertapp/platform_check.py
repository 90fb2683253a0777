"""Pre-flight check of Qt's platform plugin, run by `make run` before the window opens.

PySide6 wheels bring Qt but not the X11 client libraries that Qt's xcb plugin loads from
the system. On a fresh Debian or Ubuntu machine several are missing, and Qt then aborts
with "no Qt platform plugin could be initialized". This module finds what is missing
(with `ldd` on the plugin and the Qt libraries it pulls in, plus libxcb-cursor, which Qt
>= 6.5 requires but opens itself at run time) and maps each library to its Debian
package. As root with apt it installs them; otherwise it prints the exact command.

It imports no Qt: importing PySide6 is what fails when libraries are missing.

    python -m vertapp.platform_check            # report; exit 1 if something is missing
    python -m vertapp.platform_check --install  # also install (root + apt-get) or print how
"""

from __future__ import annotations

import argparse
import ctypes.util
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

# soname -> Debian/Ubuntu package (bookworm / jammy names; the same on later releases).
DEBIAN_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}

# Opened by Qt with dlopen, so ldd does not list it; Qt refuses to start without it.
RUNTIME_LOADED = ("libxcb-cursor.so.0",)

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)


def qt_xcb_binaries() -> list[Path]:
    """The xcb platform plugin and the Qt library that implements it, if PySide6 is installed."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return []
    qt = Path(spec.origin).parent / "Qt"
    candidates = [qt / "plugins" / "platforms" / "libqxcb.so", *qt.glob("lib/libQt6XcbQpa.so*")]
    return [p for p in candidates if p.is_file()]


def _run_ldd(path: Path) -> str:
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False)
    return out.stdout


def missing_sonames(
    binaries: Iterable[Path],
    ldd: Callable[[Path], str] = _run_ldd,
    find_library: Callable[[str], str | None] = ctypes.util.find_library,
) -> list[str]:
    """Shared libraries the binaries need that the dynamic loader cannot find, sorted."""
    missing: set[str] = set()
    for binary in binaries:
        missing.update(_NOT_FOUND.findall(ldd(binary)))
    for soname in RUNTIME_LOADED:
        short = soname.removeprefix("lib").split(".so")[0]
        if find_library(short) is None:
            missing.add(soname)
    return sorted(missing)


def packages_for(sonames: Iterable[str]) -> tuple[list[str], list[str]]:
    """(Debian packages to install, sonames with no known package)."""
    packages, unknown = set(), []
    for soname in sonames:
        if soname in DEBIAN_PACKAGES:
            packages.add(DEBIAN_PACKAGES[soname])
        else:
            unknown.append(soname)
    return sorted(packages), unknown


def install_command(packages: list[str], as_root: bool) -> list[str]:
    prefix = [] if as_root else ["sudo"]
    return [*prefix, "apt-get", "install", "-y", "--no-install-recommends", *packages]


def _can_install() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get") is not None


def _install(packages: list[str]) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    steps = [["apt-get", "update"], install_command(packages, as_root=True)]
    return all(subprocess.run(step, env=env, check=False).returncode == 0 for step in steps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--install", action="store_true", help="install what is missing (root)")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux") or shutil.which("ldd") is None:
        return 0  # the check is for Linux desktops; Windows and macOS wheels are complete
    missing = missing_sonames(qt_xcb_binaries())
    if not missing:
        print("Qt platform check: the xcb plugin finds all its system libraries.")
        return 0
    packages, unknown = packages_for(missing)
    print("Qt platform check: missing system libraries: " + ", ".join(missing))
    if unknown:
        print("  no known Debian package for: " + ", ".join(unknown))
    if not packages:
        return 1
    if args.install and _can_install():
        print("Installing: " + " ".join(packages))
        if _install(packages) and not missing_sonames(qt_xcb_binaries()):
            print("Qt platform check: fixed.")
            return 0
    print("Install them with:\n  " + " ".join(install_command(packages, as_root=False)))
    return 1


if __name__ == "__main__":
    sys.exit(main())
