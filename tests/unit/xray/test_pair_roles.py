"""Which film of a pair is the low dose: dose tags, exposure, then names; said in words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.unit.io.iotest_helpers import rewrite, write_dx
from vertapp.xray.pair_roles import (
    DOSE_AREA,
    EXPOSURE,
    HIGH,
    LOW,
    NAMES,
    DoseClue,
    Roles,
    clue_of,
    decide,
    name_word,
    verdict,
)


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("patient/low.dcm", LOW),
        ("LowDose_lateral.png", LOW),
        ("scan_low-dose.png", LOW),
        ("HIGHDOSE/img0001.dcm", HIGH),
        ("high_dose.png", HIGH),
        ("lower_spine.png", None),  # "lower" is no clue
        ("follow_up.png", None),
        ("highres.png", None),
        ("low_vs_high.png", None),  # both: says nothing
        ("lateral.dcm", None),
    ],
)
def test_a_name_says_low_or_high_only_in_a_word_of_its_own(name: str, word: str | None) -> None:
    assert name_word(name) == word


def test_the_dose_area_product_decides_before_the_exposure_and_the_names() -> None:
    low = DoseClue(HIGH, dose_area=0.5, mas=20.0)
    high = DoseClue(LOW, dose_area=4.0, mas=2.0)
    assert decide(low, high) == Roles(0, DOSE_AREA)
    assert decide(high, low) == Roles(1, DOSE_AREA)


def test_exposure_weighs_kv_squared_where_both_films_record_their_kv() -> None:
    # 10 mAs at 60 kV gives less dose than 8 mAs at 90 kV (36000 against 64800)
    a, b = DoseClue(mas=10.0, kvp=60.0), DoseClue(mas=8.0, kvp=90.0)
    assert decide(a, b) == Roles(0, EXPOSURE)
    assert decide(DoseClue(mas=10.0, kvp=60.0), DoseClue(mas=8.0)) == Roles(1, EXPOSURE)


def test_alike_measures_say_nothing_and_the_names_decide() -> None:
    a, b = DoseClue(HIGH, mas=10.0), DoseClue(None, mas=11.0)  # within 20 %
    assert decide(a, b) == Roles(1, NAMES)
    assert decide(DoseClue(), DoseClue()) == Roles(0, "")
    assert decide(DoseClue(LOW), DoseClue(LOW)) == Roles(0, "")


def test_the_verdict_says_what_decided_and_warns_the_wrong_way_round() -> None:
    low, high = DoseClue(mas=2.5, kvp=70.0), DoseClue(mas=20.0, kvp=70.0)
    right = verdict(low, high)
    assert right.agrees is True
    assert "exposure" in right.text and "2.5 mAs at 70 kV" in right.text
    wrong = verdict(high, low)
    assert wrong.agrees is False and "wrong way round" in wrong.text and "swap" in wrong.text
    unknown = verdict(DoseClue(), DoseClue())
    assert unknown.agrees is None and "Nothing in the files" in unknown.text
    named = verdict(DoseClue(HIGH, mas=2.0), DoseClue(LOW, mas=20.0))
    assert named.agrees is True and "names say the opposite" in named.text


def _film(path: Path, **tags: object) -> Path:
    write_dx(path, np.zeros((8, 8), np.uint16))
    rewrite(path, lambda ds: [setattr(ds, k, v) for k, v in tags.items()])
    return path


def test_clues_are_read_from_dicom_tags_and_the_names(tmp_path: Path) -> None:
    (tmp_path / "HighDose").mkdir()
    a = clue_of(_film(tmp_path / "HighDose" / "a.dcm", Exposure=20, KVP=70))
    b = clue_of(_film(tmp_path / "b.dcm", XRayTubeCurrent=250, ExposureTime=10))
    c = clue_of(
        _film(tmp_path / "c.dcm", ExposureInuAs=1500, ImageAndFluoroscopyAreaDoseProduct=0.8)
    )
    assert a == DoseClue(HIGH, None, 20.0, 70.0)
    assert b.mas == pytest.approx(2.5) and b.word is None
    assert c.mas == pytest.approx(1.5) and c.dose_area == pytest.approx(0.8)
    png = tmp_path / "low.png"
    png.write_bytes(b"not read")
    assert clue_of(png) == DoseClue(LOW)
    assert clue_of(png, name="1: lateral.png") == DoseClue()  # a project's list name
    assert clue_of(tmp_path / "missing_high.dcm") == DoseClue(HIGH)
