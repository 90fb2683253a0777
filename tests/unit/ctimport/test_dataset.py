"""Dataset folders: BIDS and flat layouts are found; one broken case never stops the others."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from tests.unit.ctimport.conftest import PhantomFiles, label_image
from vertapp.annotations.store import load_project
from vertapp.cli import main
from vertapp.ctimport import find_cases, import_to_folder_job
from vertapp.errors import InputError
from vertapp.jobs import Progress, run_job
from vertapp.labels import VERTEBRA_ID


def _case(ph: PhantomFiles, folder: Path, name: str, labels: sitk.Image | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ph.ct, folder / f"{name}_ct.nii.gz")
    image = label_image(ph.phantom) if labels is None else labels
    sitk.WriteImage(sitk.DICOMOrient(image, "PIR"), str(folder / f"{name}_seg-vert_msk.nii.gz"))


@pytest.fixture(scope="module")
def bids(phantom_files: PhantomFiles, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """VerSe's layout: rawdata/sub-*/ CTs, derivatives/sub-*/ masks; sub-b's CT is damaged."""
    root = tmp_path_factory.mktemp("bids")
    for sub in ("sub-a", "sub-b", "sub-c"):
        _case(phantom_files, root / "rawdata" / sub, sub)
        (root / "derivatives" / sub).mkdir(parents=True)
        mask = root / "rawdata" / sub / f"{sub}_seg-vert_msk.nii.gz"
        mask.rename(root / "derivatives" / sub / mask.name)
    broken = root / "rawdata" / "sub-b" / "sub-b_ct.nii.gz"
    broken.write_bytes(broken.read_bytes()[:5000])  # a download cut short
    return root


def test_bids_layout_pairs_each_ct_with_its_mask(bids: Path) -> None:
    scan = find_cases(bids)
    pairs = {c.ct.name: c.labels.relative_to(bids).as_posix() for c in scan.cases}
    assert pairs == {
        f"{s}_ct.nii.gz": f"derivatives/{s}/{s}_seg-vert_msk.nii.gz"
        for s in ("sub-a", "sub-b", "sub-c")
    }


def test_one_broken_case_is_named_and_the_others_are_imported(bids: Path, tmp_path: Path) -> None:
    events: list[Progress] = []
    report = run_job(import_to_folder_job(tmp_path / "p", find_cases(bids).cases), events.append)
    assert [c.name for c in report.imported] == ["sub-a", "sub-c"]
    assert list(report.failed) == ["sub-b_ct.nii.gz"]
    assert "sub-b_ct.nii.gz" in report.failed["sub-b_ct.nii.gz"]  # the message names the file
    assert any("FAILED" in e.message and "sub-b" in e.message for e in events)
    fractions = [e.fraction for e in events if e.stage == "import" and e.fraction is not None]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    project = load_project(tmp_path / "p", require_images=True)
    assert sorted(img.patient_key for img in project.images.values()) == ["sub-a", "sub-c"]
    assert all(img.extra["vertapp"]["source"] == "imported" for img in project.images.values())
    # preprocessing looked for the pelvis (these phantoms end at L2: none) and said so
    assert all(
        img.extra["vertapp"]["landmarks"] == {"hip_top_row": None}
        for img in project.images.values()
    )


def test_flat_pairs_by_name_and_a_ct_without_labels(
    phantom_files: PhantomFiles, tmp_path: Path
) -> None:
    _case(phantom_files, tmp_path, "sub-x_dir-ax")
    shutil.copy(phantom_files.ct, tmp_path / "lonely_ct.nii.gz")
    scan = find_cases(tmp_path)
    assert [c.ct.name for c in scan.cases] == ["sub-x_dir-ax_ct.nii.gz"]
    assert [p.name for p in scan.unmatched] == ["lonely_ct.nii.gz"]


def test_cli_imports_a_dataset_and_exits_1_naming_the_broken_case(
    bids: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["import", str(bids), "--out", str(tmp_path / "p"), "--quiet"])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "FAILED sub-b_ct.nii.gz" in err
    assert "2 imported, 1 failed" in out
    # importing again adds to the same project under fresh names
    rc = main(
        [
            "import",
            str(bids / "rawdata/sub-a/sub-a_ct.nii.gz"),
            "--labels",
            str(bids / "derivatives/sub-a/sub-a_seg-vert_msk.nii.gz"),
            "--out",
            str(tmp_path / "p"),
            "--quiet",
        ]
    )
    assert rc == 0
    names = sorted(Path(i.file_name).name for i in load_project(tmp_path / "p").images.values())
    assert names == ["sub-a-2_mip.png", "sub-a_mip.png", "sub-c_mip.png"]


def test_cli_refuses_labels_that_do_not_overlap_in_words(
    phantom_files: PhantomFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = label_image(phantom_files.phantom)
    image.SetOrigin(np.add(image.GetOrigin(), (400.0, 0.0, 0.0)).tolist())
    sitk.WriteImage(image, str(tmp_path / "far.nii.gz"))
    rc = main(
        [
            "import",
            str(phantom_files.ct),
            "--labels",
            str(tmp_path / "far.nii.gz"),
            "--out",
            str(tmp_path / "p"),
            "--quiet",
        ]
    )
    _, err = capsys.readouterr()
    assert rc == 1
    assert "far.nii.gz: the labels do not overlap the CT at all" in err
    assert "Traceback" not in err


def test_totalsegmentator_dataset_layout(phantom_files: PhantomFiles, tmp_path: Path) -> None:
    """<case>/ct.nii.gz + <case>/segmentations/vertebrae_<level>.nii.gz (and organ files)."""
    ph = phantom_files.phantom
    for case in ("s0001", "s0002"):
        seg = tmp_path / "data" / case / "segmentations"
        seg.mkdir(parents=True)
        shutil.copy(phantom_files.ct, seg.parent / "ct.nii.gz")
        for level in ph.levels:
            mask = (ph.vertebra_labels == VERTEBRA_ID[level]).astype(np.uint8)
            sitk.WriteImage(label_image(ph, mask), str(seg / f"vertebrae_{level}.nii.gz"))
        sitk.WriteImage(label_image(ph, np.zeros_like(mask)), str(seg / "liver.nii.gz"))
    scan = find_cases(tmp_path / "data")
    assert [(c.name, c.labels.name) for c in scan.cases] == [
        ("s0001", "segmentations"),
        ("s0002", "segmentations"),
    ]
    report = run_job(import_to_folder_job(tmp_path / "p", scan.cases[:1]))
    assert report.imported[0].levels == list(ph.levels)


def test_dataset_paths_that_are_no_dataset_are_refused_in_words(
    phantom_files: PhantomFiles, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="no such folder"):
        find_cases(tmp_path / "missing")
    with pytest.raises(InputError, match=r"is a file; a single CT needs its labels \(--labels"):
        find_cases(phantom_files.ct)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no CT with a label map found"):
        find_cases(tmp_path / "empty")
