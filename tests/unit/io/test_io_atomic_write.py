"""write_volume is atomic (DESIGN: a killed save never leaves half a file).

One-file formats: temp file beside the target, then a rename. MetaImage .mhd is a header
plus the .raw it names: both are written whole under their final names in a temp folder,
then renamed in, the old header removed first and the new one last, so a write that dies
part-way never leaves a header beside data it does not describe.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import SimpleITK as sitk
from iotest_helpers import make_volume

from tests.unit.crash_points import fail_replace_of
from vertapp.errors import InputError
from vertapp.io import Volume, read_volume, write_volume


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def bigger() -> Volume:
    return make_volume(nz=15, ny=22, nx=18, seed=4)


def test_mhd_pair_names_its_data_file_and_round_trips(tmp_path: Path, volume: Volume) -> None:
    write_volume(volume, tmp_path / "v.mhd")
    assert files(tmp_path) == ["v.mhd", "v.raw"]
    assert "ElementDataFile = v.raw" in (tmp_path / "v.mhd").read_text()
    np.testing.assert_array_equal(read_volume(tmp_path / "v.mhd").array, volume.array)
    new = bigger()
    write_volume(new, tmp_path / "v.mhd")  # over an existing pair
    assert files(tmp_path) == ["v.mhd", "v.raw"]
    np.testing.assert_array_equal(read_volume(tmp_path / "v.mhd").array, new.array)


def test_mhd_renames_data_first_header_last(
    tmp_path: Path, volume: Volume, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = fail_replace_of(monkeypatch, "nothing")
    write_volume(volume, tmp_path / "v.mhd")
    assert seen == ["v.raw", "v.mhd"]


def test_mhd_write_failing_midway_keeps_the_old_pair(
    tmp_path: Path, volume: Volume, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer dies after part of the data: the old header and data are untouched."""
    write_volume(volume, tmp_path / "v.mhd")
    before = {n: (tmp_path / n).read_bytes() for n in files(tmp_path)}
    real = sitk.WriteImage

    def dies_midway(image: sitk.Image, name: str, *a: Any, **k: Any) -> None:
        real(image, name, *a, **k)
        raw = Path(name).with_suffix(".raw")
        raw.write_bytes(raw.read_bytes()[:100])  # half the data, then the crash
        raise RuntimeError("simulated crash while writing")

    with monkeypatch.context() as m:
        m.setattr(sitk, "WriteImage", dies_midway)
        with pytest.raises(InputError, match="v.mhd: cannot write volume"):
            write_volume(bigger(), tmp_path / "v.mhd")
    assert {n: (tmp_path / n).read_bytes() for n in files(tmp_path)} == before  # no temp left
    np.testing.assert_array_equal(read_volume(tmp_path / "v.mhd").array, volume.array)


@pytest.mark.parametrize("crash_at", ["v.raw", "v.mhd"])
def test_mhd_crash_between_renames_never_pairs_a_header_with_other_data(
    tmp_path: Path, volume: Volume, monkeypatch: pytest.MonkeyPatch, crash_at: str
) -> None:
    write_volume(volume, tmp_path / "v.mhd")
    old_raw = (tmp_path / "v.raw").read_bytes()
    new = bigger()
    with monkeypatch.context() as m:
        fail_replace_of(m, crash_at)
        with pytest.raises(InputError, match="cannot write volume"):
            write_volume(new, tmp_path / "v.mhd")
    # no header at all rather than the old header over new data
    assert files(tmp_path) == ["v.raw"]
    raw = (tmp_path / "v.raw").read_bytes()
    assert raw == old_raw if crash_at == "v.raw" else raw != old_raw
    write_volume(new, tmp_path / "v.mhd")  # the next write repairs it
    assert files(tmp_path) == ["v.mhd", "v.raw"]
    np.testing.assert_array_equal(read_volume(tmp_path / "v.mhd").array, new.array)


@pytest.mark.parametrize("suffix", [".nii.gz", ".mha", ".nrrd"])
def test_single_file_rename_failing_keeps_the_old_file(
    tmp_path: Path, volume: Volume, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    target = tmp_path / f"v{suffix}"
    write_volume(volume, target)
    before = target.read_bytes()
    with monkeypatch.context() as m:
        fail_replace_of(m, target.name)
        with pytest.raises(InputError, match="cannot write volume"):
            write_volume(bigger(), target)
    assert target.read_bytes() == before
    assert files(tmp_path) == [target.name]
    write_volume(bigger(), target)
    assert read_volume(target).shape == bigger().shape
    assert files(tmp_path) == [target.name]
