"""A film's file name may be the patient's (DOE_JOHN.dcm): `vertapp predict` wrote
"../data/DOE_JOHN.dcm" into its COCO file and `vertapp xray zoi` "DOE_JOHN.dcm" into
zois.json. Now a DICOM film (or a generic name in a patient's folder) is written under
the name the window gives it, xray-<digest>.png, and predict points its COCO file at a
lossless PNG copy of the film by that name; --keep-names keeps the original. PNG films
with names of their own work as before."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.unit.cli.test_predict_outputs import fake_preprocessing  # noqa: F401 (fixture)
from tests.unit.io.iotest_helpers import write_dx
from tests.unit.xray.test_predict_images import tiny_checkpoint
from tests.unit.xray.test_zoi_dicom_values import _coco, _film
from vertapp.cli import main
from vertapp.xray.film_names import film_name, name_shown, neutral_stem
from vertapp.xray.images import read_noted
from vertapp.xray.parts import MODEL_VOCABULARIES
from vertapp.xray.training import grey_u8

PARTS = list(MODEL_VOCABULARIES["parts"])


def _dicom(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_dx(path, _film(seed), pixel_spacing=(0.5, 0.5))


def _png(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), _film(seed))
    return path


def _everything_written(folder: Path) -> str:
    """Every file name under `folder` and the text of its JSON files."""
    paths = sorted(folder.rglob("*"))
    texts = [p.read_text() for p in paths if p.suffix == ".json"]
    return " ".join([*(p.name for p in paths), *texts])


def test_which_film_names_an_output_may_carry(tmp_path: Path) -> None:
    dicom = _dicom(tmp_path / "DOE_JOHN.dcm")
    bare = _dicom(tmp_path / "IM0001")  # a DICOM without a suffix is one too
    assert not name_shown(dicom) and not name_shown(bare)
    assert name_shown(_png(tmp_path / "films" / "low.png"))
    assert not name_shown(_png(tmp_path / "DOE_JOHN" / "image.png"))  # the folder names it
    assert name_shown(_png(tmp_path / "sub-verse005" / "image.png"))  # a dataset's pseudonym
    assert film_name(dicom) == f"{neutral_stem(dicom)}.png"
    assert film_name(dicom, keep_names=True) == "DOE_JOHN.dcm"
    # the window's name for the same film: xray-<sha256 of the real path, 12 hex digits>
    assert neutral_stem(dicom).startswith("xray-") and len(neutral_stem(dicom)) == 17
    assert neutral_stem(dicom) == neutral_stem(tmp_path / "." / "DOE_JOHN.dcm")


def _predict(model: Path, film: Path, out: Path, *flags: str) -> int:
    args = ["predict", str(model), str(film), "--out", str(out), "--device", "cpu", *flags]
    return main(args)


@pytest.fixture(scope="module")
def parts_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # nothing scores 0.99 on a random model: no instance, the summary's hint
    folder = tmp_path_factory.mktemp("model")
    return tiny_checkpoint(folder / "parts.pt", PARTS, score_thresh=0.99)


def test_predict_points_at_a_png_copy_of_a_dicom_film(
    tmp_path: Path, parts_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    film = _dicom(tmp_path / "data" / "dicom" / "DOE_JOHN.dcm")
    out = tmp_path / "preds" / "pred.json"
    assert _predict(parts_model, film, out) == 0
    capsys.readouterr()
    [record] = json.loads(out.read_text())["images"]
    assert record["file_name"] == f"{neutral_stem(film)}.png"
    assert record["vertapp"] == {"kind": "radiograph", "copied": True}
    assert "DOE" not in _everything_written(out.parent)
    copy = cv2.imread(str(out.parent / record["file_name"]), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(copy, read_noted(film)[0])  # the film's values, lossless
    np.testing.assert_array_equal(grey_u8(copy), grey_u8(read_noted(film)[0]))
    # read again, the copy is the same film to the model as the original
    assert _predict(parts_model, out.parent / record["file_name"], tmp_path / "again.json") == 0
    # a rerun replaces its own copy, and makes no second one
    assert _predict(parts_model, film, out) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(
        ["pred.json", record["file_name"]]
    )


def test_keep_names_and_named_png_films_point_at_the_original(
    tmp_path: Path, parts_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    film = _dicom(tmp_path / "DOE_JOHN.dcm")
    out = tmp_path / "kept" / "pred.json"
    assert _predict(parts_model, film, out, "--keep-names") == 0
    [record] = json.loads(out.read_text())["images"]
    assert record["file_name"] == "../DOE_JOHN.dcm"
    assert [p.name for p in out.parent.iterdir()] == ["pred.json"]
    png = _png(tmp_path / "films" / "lateral.png")
    out = tmp_path / "png" / "pred.json"
    assert _predict(parts_model, png, out, "--keep-names") == 0  # asked: the path to it
    [record] = json.loads(out.read_text())["images"]
    assert record["file_name"] == "../films/lateral.png"
    assert [p.name for p in out.parent.iterdir()] == ["pred.json"]
    beside = _png(tmp_path / "png" / "lateral.png")  # in --out's folder itself
    assert _predict(parts_model, beside, out) == 0  # as before: the file by its name
    [record] = json.loads(out.read_text())["images"]
    assert record["file_name"] == "lateral.png"
    assert record["vertapp"] == {"kind": "radiograph"}  # not a copy
    assert sorted(p.name for p in out.parent.iterdir()) == ["lateral.png", "pred.json"]


def test_a_named_film_in_a_sub_folder_of_out_is_copied_under_its_own_name_only(
    tmp_path: Path, parts_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """OUT/DOE_JOHN/lateral.png was written as "DOE_JOHN/lateral.png": the sub-folder's
    name, the patient's, went into the COCO file. Copied beside it as a film outside is;
    a film of that name already there is neither replaced nor named twice."""
    out = tmp_path / "preds" / "pred.json"
    film = _png(out.parent / "DOE_JOHN" / "lateral.png")
    assert _predict(parts_model, film, out) == 0
    [record] = json.loads(out.read_text())["images"]
    assert record["file_name"] == "lateral.png"  # was "DOE_JOHN/lateral.png"
    assert record["vertapp"] == {"kind": "radiograph", "copied": True}
    assert "DOE" not in out.read_text()
    copy = cv2.imread(str(out.parent / "lateral.png"), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(copy, cv2.imread(str(film), cv2.IMREAD_UNCHANGED))
    # beside --out already, another film of that name: an input, kept and named as it is
    own = _png(out.parent / "lateral.png", seed=1)
    own_pixels = cv2.imread(str(own), cv2.IMREAD_UNCHANGED)
    other = _png(out.parent / "DOE_JANE" / "lateral.png", seed=2)
    for inputs in ([film, own, other], [own, film, other]):  # either order
        args = ["predict", str(parts_model), *map(str, inputs), "--out", str(out)]
        assert main([*args, "--device", "cpu"]) == 0
        records = {r["file_name"]: r["vertapp"] for r in json.loads(out.read_text())["images"]}
        assert sorted(records) == ["lateral.png", "lateral_2.png", "lateral_3.png"]
        assert records["lateral.png"] == {"kind": "radiograph"}  # the film there, not a copy
        assert "DOE" not in out.read_text()
        np.testing.assert_array_equal(cv2.imread(str(own), cv2.IMREAD_UNCHANGED), own_pixels)
    # --keep-names: the path to the original, as documented
    assert _predict(parts_model, film, out, "--keep-names") == 0
    [record] = json.loads(out.read_text())["images"]
    assert record["file_name"] == "DOE_JOHN/lateral.png"


def test_a_named_film_in_a_patients_folder_is_copied_under_its_own_name_only(
    tmp_path: Path, parts_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`lateral.png` is a name of its own, but "../DOE_JOHN/lateral.png" named the patient
    through the folder above --out: the COCO file names no folder outside its own unless
    --keep-names; the film is copied beside it under its own name."""
    film = _png(tmp_path / "data" / "DOE_JOHN" / "lateral.png")
    out = tmp_path / "preds" / "pred.json"
    assert _predict(parts_model, film, out) == 0
    [record] = json.loads(out.read_text())["images"]
    assert record["file_name"] == "lateral.png"
    assert record["vertapp"] == {"kind": "radiograph", "copied": True}
    assert "DOE" not in out.read_text() and "DOE" not in _everything_written(out.parent)
    copy = cv2.imread(str(out.parent / "lateral.png"), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(copy, cv2.imread(str(film), cv2.IMREAD_UNCHANGED))
    # a rerun replaces its own copy; a second film of that name gets a name of its own
    other = _png(tmp_path / "data" / "DOE_JANE" / "lateral.png", seed=1)
    args = ["predict", str(parts_model), str(film), str(other), "--out", str(out)]
    assert main([*args, "--device", "cpu"]) == 0
    names = [r["file_name"] for r in json.loads(out.read_text())["images"]]
    assert names == ["lateral.png", "lateral_2.png"]
    assert sorted(p.name for p in out.parent.iterdir()) == [*names, "pred.json"]
    assert "DOE" not in _everything_written(out.parent)
    # --keep-names: the path to the original, as documented
    assert _predict(parts_model, film, out, "--keep-names") == 0
    [record] = json.loads(out.read_text())["images"]
    assert record["file_name"] == "../data/DOE_JOHN/lateral.png"


def test_a_link_inside_the_out_folder_is_judged_by_its_own_name(tmp_path: Path) -> None:
    """A link `lateral.png` beside --out to DOE_JOHN.png: the path written would be the
    target's ("../DOE_JOHN.png" or its name); it is copied under the link's name."""
    from vertapp.commands.predict_files import OutNames, beside, image_record

    target = _png(tmp_path / "DOE_JOHN.png")
    out = tmp_path / "out" / "pred.json"
    out.parent.mkdir()
    link = out.parent / "lateral.png"
    try:
        link.symlink_to(target)
    except OSError:
        pytest.skip("no symbolic links here")
    names = OutNames.for_out(out, [str(link)])
    record = image_record(link, _film(0), names, film=True, keep_names=False)
    assert record["file_name"] == "lateral_2.png" and "DOE" not in json.dumps(record)
    assert beside("x.png", Path("x.png")) and not beside("x.png", Path("DOE_JOHN.png"))
    assert not beside("../x.png", Path("x.png")) and not beside("DOE_JOHN/x.png", Path("x.png"))
    assert not beside(str(tmp_path / "x.png"), Path("x.png"))


def test_predict_says_image_in_the_singular_and_what_to_try_when_nothing_is_found(
    tmp_path: Path, parts_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "0 instances in 1 images ... (0 labels changed by ordering)", and no why."""
    out = tmp_path / "pred.json"
    assert _predict(parts_model, _png(tmp_path / "low.png"), out) == 0
    said = capsys.readouterr()
    assert said.out.splitlines() == [
        f"0 instances in 1 image -> {out} (0 labels changed by ordering)"
    ]
    assert said.err.splitlines()[-1] == (
        "warning: nothing found: no detection scored above the model's threshold 0.99; try "
        "--score 0.33, or check that the input is a spine radiograph"
    )
    assert _predict(parts_model, _png(tmp_path / "low.png"), out, "--score", "0.95") == 0
    assert "above --score 0.95; try --score 0.32" in capsys.readouterr().err


def test_xray_zoi_writes_no_dicom_name_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    film = _dicom(tmp_path / "DOE_JOHN.dcm")
    coco = str(_coco(tmp_path / "zois.coco.json"))
    out = tmp_path / "zois"
    assert main(["xray", "zoi", str(film), "--zois", coco, "--out", str(out)]) == 0
    index = json.loads((out / "zois.json").read_text())
    assert index["source_image"] == f"{neutral_stem(film)}.png"
    assert "DOE" not in _everything_written(out)
    assert main(["xray", "zoi", str(film), "--zois", coco, "--out", str(out), "--keep-names"]) == 0
    assert json.loads((out / "zois.json").read_text())["source_image"] == "DOE_JOHN.dcm"


def test_xray_align_writes_no_film_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    low, high = _dicom(tmp_path / "DOE_JOHN_1.dcm", 1), _dicom(tmp_path / "DOE_JOHN_2.dcm", 2)
    coco = str(_coco(tmp_path / "zois.coco.json"))
    out = tmp_path / "aligned"
    args = ["xray", "align", str(low), str(high), "--zois-low", coco, "--zois-high", coco]
    assert main([*args, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["alignment.json", "check.png", "fused.png"]
    assert "DOE" not in _everything_written(out)


def test_a_mip_image_in_a_patient_folder_is_copied_under_a_neutral_name(tmp_path: Path) -> None:
    """A CT model's PNG input: the same rule, named as the window names CT images."""
    from vertapp.commands.predict import collect_images

    mip = _png(tmp_path / "DOE_JOHN" / "image.png")
    out = tmp_path / "out" / "pred.json"
    out.parent.mkdir()
    _, [record] = collect_images([str(mip)], out)
    assert record["file_name"] == f"{neutral_stem(mip, 'ct')}_mip.png"
    assert record["vertapp"] == {"copied": True}
    copy = cv2.imread(str(out.parent / record["file_name"]), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(copy, cv2.imread(str(mip), cv2.IMREAD_UNCHANGED))


@pytest.mark.usefixtures("fake_preprocessing")
def test_keep_names_keeps_a_volumes_own_name_too(tmp_path: Path) -> None:
    from vertapp.commands.predict import collect_images

    volume = tmp_path / "DOE_JOHN" / "ct.nii.gz"
    volume.parent.mkdir()
    volume.write_text("100")
    out = tmp_path / "out" / "pred.json"
    out.parent.mkdir()
    _, [hidden] = collect_images([str(volume)], out)
    _, [kept] = collect_images([str(volume)], tmp_path / "kept.json", keep_names=True)
    assert hidden["vertapp"]["source_volume"].startswith("ct-")
    assert kept["file_name"] == "ct_mip.png" and kept["vertapp"]["source_volume"] == "ct.nii.gz"


def test_the_hint_proposes_no_threshold_below_the_floor() -> None:
    from vertapp.commands.predict import nothing_found

    assert nothing_found(0.1, True, "ct") == (
        "nothing found: no detection scored above --score 0.10; check that the input is a "
        "CT volume or its sagittal MIP"
    )
    assert nothing_found(0.0, True, None) == "nothing found: no detection scored above --score 0.00"
