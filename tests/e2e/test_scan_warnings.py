"""Scans that are not CT, or of odd geometry, open with their warnings in view.

Each case is a real phantom CT changed the way a wrong file would be (an 8-bit picture,
an MR-like range, no bone, 10 mm slices, a single slice) and opened through the
window: the warning bar above the image must say what is wrong (a single slice may also
be refused, in words), and a good CT must not get the bar.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytestmark = pytest.mark.gui


def _changed(volume, case: str):  # type: ignore[no-untyped-def]
    hu = volume.array.astype(np.int32)
    if case == "uint8":  # a screenshot-like export: 0..255
        return replace(volume, array=np.clip((hu + 1000) // 8, 0, 255).astype(np.int16))
    if case == "mr_like":  # no air anywhere: not Hounsfield units
        return replace(volume, array=(hu + 1400).astype(np.int16))
    if case == "no_bone":
        return replace(volume, array=np.clip(hu, -1000, 120).astype(np.int16))
    if case == "thick_slices":  # every 5th slice of 2 mm spacing: 10 mm apart
        x, y, z = volume.spacing
        return replace(volume, array=volume.array[::5].copy(), spacing=(x, y, z * 5))
    if case == "single_slice":
        k = volume.shape[0] // 2
        return replace(volume, array=volume.array[k : k + 1].copy())
    return volume


EXPECTED = {
    "uint8": "8-bit picture",
    "mr_like": "no air",
    "no_bone": "no bone",
    "thick_slices": "mm apart",
    "single_slice": "a 3-D volume is needed",  # warned, or refused in these words
}
REFUSAL_IS_FINE = {"single_slice"}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_doubtful_scan_opens_with_its_warning_in_view(
    qtbot, window, phantom_nifti, tmp_path, case
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.io import read_volume, write_volume

    path = tmp_path / f"{case}.nii.gz"
    write_volume(_changed(read_volume(phantom_nifti), case), path)
    with qtbot.waitSignal(window.loaded, timeout=60_000) as blocker:
        window.open_path(path)
    bar = window.warning_bar
    if blocker.args == [True]:
        assert bar.isVisible(), f"{case}: opened with no warning in view"
        assert any(EXPECTED[case] in line for line in bar.lines), bar.lines
        assert EXPECTED[case] in bar.label.text()
    else:  # refused outright: only where the reason is said, in words
        assert case in REFUSAL_IS_FINE, f"{case}: not opened: {window._last_error}"
        assert EXPECTED[case] in window._last_error and "Traceback" not in window._last_error


def test_good_ct_gets_no_bar_and_the_bar_goes_with_the_next_scan(
    qtbot, window, phantom_nifti, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.io import read_volume, write_volume

    odd = tmp_path / "odd.nii.gz"
    write_volume(_changed(read_volume(phantom_nifti), "uint8"), odd)
    for path, shown in ((odd, True), (phantom_nifti, False)):
        with qtbot.waitSignal(window.loaded, timeout=60_000):
            window.open_path(path)
        window.doc.stack.setClean()  # no question about edits between the two
        assert window.warning_bar.isVisible() is shown, window.warning_bar.lines


def test_reader_warning_is_shown_loud(qtbot, window, real_dicom_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A real DICOM series with a slice gone: read (interpolated) and said in the bar."""
    import shutil

    series = tmp_path / "series"
    shutil.copytree(real_dicom_dir, series)
    sorted(series.iterdir())[9].unlink()
    with qtbot.waitSignal(window.loaded, timeout=60_000) as blocker:
        window.open_path(series)
    assert blocker.args == [True], window._last_error
    assert window.warning_bar.isVisible()
    assert any("missing slices" in line for line in window.warning_bar.lines)


def test_a_scan_of_about_one_vertebra_says_so(qtbot, window, real_dicom_dir) -> None:  # type: ignore[no-untyped-def]
    """The real 20-slice series (40 mm head to feet) opened as a 39 px strip, unexplained."""
    with qtbot.waitSignal(window.loaded, timeout=60_000) as blocker:
        window.open_path(real_dicom_dir)
    assert blocker.args == [True], window._last_error
    assert window.warning_bar.isVisible()
    line = next((x for x in window.warning_bar.lines if "head to feet" in x), "")
    assert line.startswith("covers only 40 mm head to feet"), window.warning_bar.lines
