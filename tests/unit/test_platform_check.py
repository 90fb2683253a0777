"""The pre-flight check of Qt's xcb plugin that `make run` runs (issue: first run aborted)."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vertapp import platform_check as pc

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldd is Linux")


def _build_library_with_missing_dependency(tmp_path: Path) -> Path:
    """libuser.so linked against libgone.so, which is then deleted: what a user without
    libxcb-icccm4 has."""
    gone_c, user_c = tmp_path / "gone.c", tmp_path / "user.c"
    gone_c.write_text("int gone(void) { return 1; }\n")
    user_c.write_text("int gone(void);\nint user(void) { return gone(); }\n")
    gone, user = tmp_path / "libgone.so", tmp_path / "libuser.so"
    cc = ["gcc", "-shared", "-fPIC"]
    subprocess.run([*cc, "-o", str(gone), str(gone_c)], check=True)
    subprocess.run([*cc, "-o", str(user), str(user_c), f"-L{tmp_path}", "-lgone"], check=True)
    gone.unlink()
    return user


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler")
def test_a_library_missing_on_this_machine_is_reported(tmp_path: Path) -> None:
    user = _build_library_with_missing_dependency(tmp_path)
    missing = pc.missing_sonames([user], find_library=lambda name: "found")
    assert missing == ["libgone.so"]
    packages, unknown = pc.packages_for(missing)
    assert packages == [] and unknown == ["libgone.so"]


def test_runtime_loaded_xcb_cursor_is_checked_without_ldd() -> None:
    missing = pc.missing_sonames([], ldd=lambda p: "", find_library=lambda name: None)
    assert missing == ["libxcb-cursor.so.0"]
    assert pc.missing_sonames([], ldd=lambda p: "", find_library=lambda n: "x") == []


def test_report_on_the_real_plugin_matches_what_the_loader_can_open() -> None:
    binaries = pc.qt_xcb_binaries()
    assert binaries, "PySide6 ships libqxcb.so"
    reported = set(pc.missing_sonames(binaries))
    for soname in reported:
        with pytest.raises(OSError):
            ctypes.CDLL(soname)
    needed = set()
    for binary in binaries:
        out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
        needed.update(line.split()[0] for line in out.splitlines() if "=>" in line)
    for soname in needed - reported:
        if soname.startswith(("libxcb", "libX", "libxkb")):
            ctypes.CDLL(soname)  # loads: it was rightly not reported


def test_known_sonames_map_to_debian_packages_and_the_command_is_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0"]
    monkeypatch.setattr(pc, "missing_sonames", lambda binaries: missing)
    monkeypatch.setattr(pc, "_can_install", lambda: False)
    assert pc.main(["--install"]) == 1
    out = capsys.readouterr().out
    assert "sudo apt-get install -y --no-install-recommends" in out
    assert "libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in out


def test_nothing_missing_passes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pc, "missing_sonames", lambda binaries: [])
    assert pc.main([]) == 0
    assert "finds all its system libraries" in capsys.readouterr().out
