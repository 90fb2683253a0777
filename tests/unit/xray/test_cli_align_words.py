"""What `vertapp xray align LOW HIGH` says on stderr about its two films.

It never checked which film is the low dose (the window does, `xray.pair_roles`): the
films' exposure says when they were given the wrong way round (a warning), or what
decided when they agree (a note); alignment.json stays as the order given. A doubt both
films share (millimetres at the detector) was said twice, once per film, in DICOM
jargon; it is said once now, in words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.io.iotest_helpers import rewrite, write_dx
from tests.unit.xray.test_zoi_dicom_values import _coco, _film
from vertapp.cli import main

DETECTOR = (
    "millimetres are measured at the detector, about 10-20 % larger than in the patient "
    "(the film records no magnification)"
)


def _dx(path: Path, seed: int, mas: float | None = None, detector: bool = True) -> Path:
    spacing = {"imager_spacing" if detector else "pixel_spacing": (0.2, 0.2)}
    write_dx(path, _film(seed), **spacing)  # type: ignore[arg-type]
    if mas is not None:
        rewrite(path, lambda ds: setattr(ds, "Exposure", mas))
    return path


def _align(tmp_path: Path, low: Path, high: Path, out: str = "a") -> dict:  # type: ignore[type-arg]
    coco = str(_coco(tmp_path / "zois.coco.json"))
    args = ["xray", "align", str(low), str(high), "--zois-low", coco, "--zois-high", coco]
    assert main([*args, "--out", str(tmp_path / out)]) == 0
    return json.loads((tmp_path / out / "alignment.json").read_text())


def test_films_given_the_wrong_way_round_are_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = _dx(tmp_path / "a.dcm", 1, mas=10), _dx(tmp_path / "b.dcm", 2, mas=2.5)
    wrong = _align(tmp_path, a, b, "wrong")
    said = capsys.readouterr()
    assert (
        "warning: by the exposure these are the wrong way round (chosen as low dose 10 mAs, "
        "as high dose 2.5 mAs): swap LOW and HIGH on the command line, unless you know better"
    ) in said.err.splitlines()
    assert "wrong way" not in said.out
    right = _align(tmp_path, b, a, "right")
    said = capsys.readouterr()
    assert "note: low dose 2.5 mAs, high dose 10 mAs: decided by the exposure" in said.err
    assert "wrong way" not in said.err
    # alignment.json is the order given, and says nothing of the roles
    for data in (wrong, right):
        assert set(data) == {"vertebrae", "warnings"}
        assert not any("dose" in w for w in data["warnings"])


def test_nothing_is_said_of_the_roles_when_nothing_tells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _align(tmp_path, _dx(tmp_path / "a.dcm", 1), _dx(tmp_path / "b.dcm", 2))
    err = capsys.readouterr().err
    assert "low dose" not in err and "wrong way" not in err


def test_a_doubt_both_films_share_is_said_once_and_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _align(tmp_path, _dx(tmp_path / "a.dcm", 1), _dx(tmp_path / "b.dcm", 2))
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if "detector" in line] == [f"warning: both films: {DETECTOR}"]
    assert not any("ImagerPixelSpacing" in line for line in err)
    _align(tmp_path, _dx(tmp_path / "c.dcm", 1), _dx(tmp_path / "d.dcm", 2, detector=False))
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if "detector" in line] == [f"warning: c.dcm: {DETECTOR}"]
