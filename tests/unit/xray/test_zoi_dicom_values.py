"""`vertapp xray zoi` on DICOM films: the cut-outs hold the film's stored values (not the
whole film stretched over 16 bits) and zois.json records how to get the modality values
back (modality = PNG value x rescale_slope + rescale_intercept), so the ZOIs of two films
are on one scale. 8/16-bit PNG films keep their values as they are."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pydicom
import pytest

from tests.unit.io.iotest_helpers import rewrite, write_dx
from vertapp.annotations.geometry import segmentation_to_mask
from vertapp.cli import main
from vertapp.xray import images
from vertapp.xray.images import read_pixels

H, W = 60, 48
BOXES = {"L1": (8, 6, 20, 14), "L2": (10, 30, 22, 16)}  # x, y, w, h


def _film(seed: int = 0) -> np.ndarray:
    """12-bit stored values, bone (the boxes) brighter than around it."""
    rng = np.random.default_rng(seed)
    film = rng.integers(300, 900, size=(H, W)).astype(np.uint16)
    for x, y, w, h in BOXES.values():
        film[y : y + h, x : x + w] += 2000
    return film


def _coco(path: Path) -> Path:
    anns = []
    for i, (x, y, w, h) in enumerate(BOXES.values(), 1):
        ring = [x, y, x + w - 1, y, x + w - 1, y + h - 1, x, y + h - 1]
        anns.append({"id": i, "image_id": 1, "category_id": i, "segmentation": [ring]})
    coco = {
        "images": [{"id": 1, "file_name": "film.dcm", "height": H, "width": W}],
        "categories": [{"id": i, "name": n} for i, n in enumerate(BOXES, 1)],
        "annotations": anns,
    }
    path.write_text(json.dumps(coco))
    return path


def _zoi(image: Path, tmp_path: Path, name: str = "z") -> tuple[dict, Path]:
    out = tmp_path / name
    coco = _coco(tmp_path / "zois.coco.json")
    assert main(["xray", "zoi", str(image), "--zois", str(coco), "--out", str(out)]) == 0
    return json.loads((out / "zois.json").read_text()), out


def _cut_outs(index: dict, out: Path):  # type: ignore[no-untyped-def]
    """(level, cut-out, its mask inside the box, box) of each ZOI."""
    for z in index["zois"]:
        x, y, w, h = z["bbox"]
        full = segmentation_to_mask(z["mask"], index["height"], index["width"])
        mask = full[y : y + h, x : x + w].astype(bool)
        yield z["level"], cv2.imread(str(out / z["file"]), cv2.IMREAD_UNCHANGED), mask, (x, y, w, h)


def _modality(cut: np.ndarray, record: dict) -> np.ndarray:
    return cut.astype(np.float64) * record["rescale_slope"] + record["rescale_intercept"]


def _dx(path: Path, stored: np.ndarray, slope: float = 1.0, intercept: float = 0.0, **kw) -> Path:  # type: ignore[no-untyped-def]
    write_dx(path, stored, pixel_spacing=(0.5, 0.5), **kw)

    def edit(ds: pydicom.Dataset) -> None:
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept

    rewrite(path, edit)
    return path


def test_rescaled_film_keeps_its_stored_values_and_records_the_rescale(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The audit's case: a DX with RescaleIntercept -1000 was cut out stretched over the
    whole film's range (24063..41307 where the film holds 20..751) with no word of how."""
    stored = _film()
    path = _dx(tmp_path / "film.dcm", stored, intercept=-1000)
    source = read_pixels(path)  # the modality values, what alignment works on
    index, out = _zoi(path, tmp_path)
    rec = index["pixel_values"]
    assert rec["rescale_slope"] == 1.0 and rec["rescale_intercept"] == -1000.0
    assert rec["photometric_interpretation"] == "MONOCHROME2" and rec["bone_bright"] is True
    assert rec["modality"] == "DX" and rec["bits_stored"] == 12
    for _level, cut, mask, (x, y, w, h) in _cut_outs(index, out):
        assert cut.dtype == np.uint16
        np.testing.assert_array_equal(cut[mask], stored[y : y + h, x : x + w][mask])
        np.testing.assert_array_equal(_modality(cut, rec)[mask], source[y : y + h, x : x + w][mask])
        assert not cut[~mask].any()


def test_two_films_of_one_patient_come_out_on_one_scale(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Same modality values stored two ways (rescale -1000 / none, slope 2 / 1): the ZOIs'
    recorded rescale brings them to the same numbers."""
    stored = _film(1)
    a = _dx(tmp_path / "a.dcm", stored + 1000, intercept=-1000)
    b = _dx(tmp_path / "b.dcm", stored)
    c = _dx(tmp_path / "c.dcm", stored // 2, slope=2.0)
    values = {}
    for name, path in (("a", a), ("b", b), ("c", c)):
        index, out = _zoi(path, tmp_path, name)
        values[name] = {
            level: _modality(cut, index["pixel_values"])[mask]
            for level, cut, mask, _box in _cut_outs(index, out)
        }
    for level in BOXES:
        np.testing.assert_array_equal(values["a"][level], values["b"][level])
        np.testing.assert_array_equal(values["c"][level], values["b"][level] // 2 * 2)


def test_monochrome1_film_is_cut_as_stored_and_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    stored = 4095 - _film(2)
    path = _dx(tmp_path / "m1.dcm", stored, photometric="MONOCHROME1")
    index, out = _zoi(path, tmp_path)
    rec = index["pixel_values"]
    assert rec["photometric_interpretation"] == "MONOCHROME1" and rec["bone_bright"] is False
    for _level, cut, mask, (x, y, w, h) in _cut_outs(index, out):
        np.testing.assert_array_equal(cut[mask], stored[y : y + h, x : x + w][mask])
    film = images.read_film(path)  # what the ZOIs are found on stays bone bright
    x, y, w, h = BOXES["L1"]
    assert film.pixels[y : y + h, x : x + w].mean() > film.pixels.mean()


def test_signed_stored_values_are_shifted_and_the_intercept_says_by_how_much(tmp_path) -> None:  # type: ignore[no-untyped-def]
    signed = _film(3).astype(np.int16) - 2048
    path = write_dx(tmp_path / "s.dcm", np.zeros((H, W), np.uint16), pixel_spacing=(0.5, 0.5))

    def edit(ds: pydicom.Dataset) -> None:
        ds.PixelRepresentation = 1
        ds.PixelData = signed.tobytes()
        ds.RescaleSlope, ds.RescaleIntercept = 1, 0

    rewrite(path, edit)
    source = read_pixels(path)
    np.testing.assert_array_equal(source, signed)
    index, out = _zoi(path, tmp_path)
    rec = index["pixel_values"]
    assert rec["rescale_intercept"] == -2048.0 and "+ 2048" in rec["pixels"]
    for _level, cut, mask, (x, y, w, h) in _cut_outs(index, out):
        assert cut.dtype == np.uint16
        np.testing.assert_array_equal(_modality(cut, rec)[mask], signed[y : y + h, x : x + w][mask])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_png_films_are_cut_as_they_are_and_recorded_as_such(tmp_path, dtype) -> None:  # type: ignore[no-untyped-def]
    film = _film(4)
    film = (film >> 4).astype(np.uint8) if dtype == np.uint8 else film * 16
    path = tmp_path / "film.png"
    cv2.imwrite(str(path), film)
    index, out = _zoi(path, tmp_path)
    rec = index["pixel_values"]
    assert rec["rescale_slope"] == 1.0 and rec["rescale_intercept"] == 0.0
    assert rec["bits_stored"] == (8 if dtype == np.uint8 else 16)
    for _level, cut, mask, (x, y, w, h) in _cut_outs(index, out):
        assert cut.dtype == dtype
        np.testing.assert_array_equal(cut[mask], film[y : y + h, x : x + w][mask])


def test_the_readers_doubts_about_a_film_are_said(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    """`xray zoi` / `xray align` read films through here: the reader's warnings (frames
    dropped, spacing unknown) reach the console instead of being dropped."""
    from tests.unit.io.iotest_helpers import write_dx
    from vertapp.xray.images import read_pixels

    film = write_dx(tmp_path / "film.dcm", np.full((20, 30), 100))
    read_pixels(film)
    assert "film.dcm: pixel spacing unknown" in caplog.text


def test_the_pair_windows_export_keeps_the_stored_values_too(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The pair view's Export… wrote DICOM ZOIs from the bone-bright values, stretched."""
    from vertapp.jobs import run_job
    from vertapp.xray.pair import export_job
    from vertapp.xray.pair_files import PairPaths, load_and_align_job

    stored = _film(2)
    low = _dx(tmp_path / "low.dcm", stored, intercept=-1000)
    high = _dx(tmp_path / "high.dcm", stored, intercept=-1000)
    coco = _coco(tmp_path / "zois.coco.json")
    state = run_job(load_and_align_job(PairPaths(low, high, coco, coco)))
    run_job(export_job(state, tmp_path / "out"))
    out = tmp_path / "out" / "zois_low"
    index = json.loads((out / "zois.json").read_text())
    assert index["pixel_values"]["rescale_intercept"] == -1000.0
    for _level, cut, mask, (x, y, w, h) in _cut_outs(index, out):
        np.testing.assert_array_equal(cut[mask], stored[y : y + h, x : x + w][mask])


def _multi_frame(path: Path, first: np.ndarray) -> Path:
    """A DX holding three frames, `first` the first (the one the readers use)."""
    _dx(path, first)

    def edit(ds: pydicom.Dataset) -> None:
        ds.NumberOfFrames = 3
        ds.PixelData = np.concatenate([first, first + 5, first + 9]).astype(np.uint16).tobytes()

    rewrite(path, edit)
    return path


def test_xray_zoi_says_on_stderr_that_a_multi_frame_film_is_read_at_its_first(  # type: ignore[no-untyped-def]
    tmp_path, capsys
) -> None:
    """The reader's warning was only logged (a "WARNING vertapp.xray.images" log line, or
    nothing where the log is not shown); it is the command's own warning now, on stderr,
    once: stdout keeps the result line other tools read."""
    first = _film(5)
    path = _multi_frame(tmp_path / "film.dcm", first)
    index, out = _zoi(path, tmp_path)
    said = capsys.readouterr()
    warning = "warning: film.dcm: file holds 3 frames; the first one was read"
    assert said.err.splitlines().count(warning) == 1
    assert "warning:" not in said.out and said.out.startswith("2 ZOIs (L1, L2)")
    for _level, cut, mask, (x, y, w, h) in _cut_outs(index, out):
        np.testing.assert_array_equal(cut[mask], first[y : y + h, x : x + w][mask])


def test_xray_align_says_the_films_doubts_on_stderr(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    low = _multi_frame(tmp_path / "low.dcm", _film(6))
    high = write_dx(tmp_path / "high.dcm", _film(6))  # no spacing tags
    coco = str(_coco(tmp_path / "zois.coco.json"))
    args = ["xray", "align", str(low), str(high), "--zois-low", coco, "--zois-high", coco]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    said = capsys.readouterr()
    assert "warning: low.dcm: file holds 3 frames; the first one was read" in said.err
    assert "warning: high.dcm: pixel spacing unknown" in said.err
    assert "warning:" not in said.out and "vertebrae:" in said.out
    recorded = json.loads((tmp_path / "a" / "alignment.json").read_text())["warnings"]
    assert not any("frames" in w for w in recorded)  # alignment.json as before


def test_the_pair_windows_films_doubts_are_notes_not_alignment_warnings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`read_film` does not log (the command line says its warnings itself); the pair
    window's reader logged them, under the file's name, where nobody looked. They are the
    window's notes now, by side, and stay out of alignment.json as the command keeps them."""
    from vertapp.jobs import run_job
    from vertapp.xray.pair_files import PairPaths, film_notes, load_job

    low = _multi_frame(tmp_path / "low.dcm", _film(7))
    high = _dx(tmp_path / "high.dcm", _film(7))
    coco = _coco(tmp_path / "zois.coco.json")
    inputs = run_job(load_job(PairPaths(low, high, coco, coco)))
    assert "low-dose film: file holds 3 frames; the first one was read" in film_notes(inputs)
    assert not any("frames" in note for note in inputs.notes)  # alignment.json's
    assert not any("low.dcm" in note for note in film_notes(inputs))
