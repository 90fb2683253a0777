"""A CT whose header spacing is in the wrong unit (metres or micrometres written as mm) is
warned about in words: it read as a 0.35 mm "body", and preprocess then wrote a 1 x 1 px
MIP and predict found nothing, with no word on why. Real scans, crops included, are not."""

from __future__ import annotations

from pathlib import Path

import pytest
from iotest_helpers import make_volume

from vertapp.cli import main
from vertapp.io import read_volume, write_volume
from vertapp.io.plausibility import volume_warnings
from vertapp.io.volume import Volume

DATA = Path(__file__).resolve().parents[2] / "data"
REAL_CTS = [
    DATA / "totalseg-example" / "ct.nii.gz",  # a 37 cm trunk at 3 mm
    DATA / "totalseg-example" / "dicom_series_20slices" / "dicom",  # 20 slices
    DATA / "verse" / "sub-verse006_ct.nii.gz",  # a VerSe crop, about 11 cm
    DATA / "verse005-crop" / "sub-verse005-L2-L5_ct.nii.gz",  # four vertebrae only
]


def _scaled(factor: float, vol: Volume | None = None) -> Volume:
    vol = vol or make_volume(nz=40, ny=120, nx=100)  # 75 x 96 x 100 mm
    x, y, z = vol.spacing
    return Volume(vol.array, (x * factor, y * factor, z * factor), vol.origin)


def _size_warnings(vol: Volume) -> list[str]:
    return [w for w in volume_warnings(vol) if "scanned box" in w]


def test_spacing_in_metres_or_micrometres_is_named_as_the_likely_cause() -> None:
    (small,) = _size_warnings(_scaled(1 / 1000))
    assert "far smaller than a vertebra" in small and "metres written as millimetres" in small
    assert "0.00075 x 0.0008 x 0.0025 mm" in small  # the spacing the user has to fix
    (big,) = _size_warnings(_scaled(1000))
    assert "far larger than a patient" in big and "micrometres written as millimetres" in big
    assert _size_warnings(_scaled(1)) == []


@pytest.mark.parametrize("path", REAL_CTS, ids=lambda p: p.name)
def test_real_scans_and_crops_get_no_size_warning(path: Path) -> None:
    assert not any("scanned box" in w for w in read_volume(path).warnings)
    # and the same scan in metres does
    vol = read_volume(path)
    assert _size_warnings(_scaled(1 / 1000, vol))


def test_vertapp_info_prints_the_warning(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ct_metres.nii.gz"
    write_volume(_scaled(1 / 1000), path)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "scanned box is" in out and "metres written as millimetres" in out
