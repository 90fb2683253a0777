"""The axial view comes back at the slice the user left, after reopening the project
(it always opened at the middle slice)."""

from __future__ import annotations

import pytest

from tests.e2e.window_driver import open_and_wait as _open

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def test_reopened_project_shows_the_slice_left(qtbot, window, phantom_nifti, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, phantom_nifti)
    nz = window.axial.volume.shape[0]
    assert window.axial.index == nz // 2 not in (5, 7)  # a first look starts at the middle
    window.axial.set_slice(5)
    folder = tmp_path / "project"
    assert window.save(folder, wait=True)
    window.axial.set_slice(7)  # looking is no edit: nothing to save
    assert not window.isWindowModified()
    _open(qtbot, window, folder)
    assert window.axial.volume is not None and window.axial.index == 7
    # the settings name the project by a digest, never by its folder
    from vertapp.gui.window.names import settings

    keys = [k for k in settings().allKeys() if k.startswith("axial_slice/")]
    assert keys and not any(part in k for k in keys for part in folder.parts[1:])
