"""A CT named only by its folder ('DOE_JOHN/ct.nii.gz') gets no patient's name: its image,
files, project.json and COCO export carry a digest, as a DICOM input does. Dataset
pseudonyms (VerSe's `sub-verse005`, TotalSegmentator's `s0001`) keep their readable
names, and a name the user chose (`--name`) is used as given (made file-safe)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from tests.unit.ctimport.conftest import PhantomFiles, label_image, verse_ids
from vertapp.annotations.coco import project_to_coco
from vertapp.annotations.store import load_project
from vertapp.cli import main
from vertapp.ctimport import CaseSpec, case_name, find_cases, image_name, prepare_case_job
from vertapp.ctimport.case import case_patient
from vertapp.io.neutral_names import neutral_stem
from vertapp.jobs import run_job
from vertapp.labels import VERTEBRA_ID

PATIENT = "DOE_JOHN"


def test_a_generic_ct_in_a_patient_folder_is_named_by_a_digest(tmp_path: Path) -> None:
    name = case_name(tmp_path / PATIENT / "ct.nii.gz")
    assert name.startswith("ct-") and "DOE" not in name and "JOHN" not in name
    assert case_name(tmp_path / PATIENT / "ct.nii.gz") == name  # the same CT: the same name
    assert case_name(tmp_path / "ROE_JANE" / "ct.nii.gz") != name  # two patients: two names
    assert "DOE" not in case_name(tmp_path / PATIENT / "image.nii.gz")
    assert "DOE" not in case_name(tmp_path / PATIENT / "CT.nii.gz")


def test_dataset_pseudonyms_and_file_names_stay_readable(tmp_path: Path) -> None:
    assert case_name(tmp_path / "sub-verse005" / "ct.nii.gz") == "sub-verse005_ct"
    assert case_name(tmp_path / "s0001" / "ct.nii.gz") == "s0001_ct"
    assert case_name(tmp_path / PATIENT / "sub-verse006_ct.nii.gz") == "sub-verse006"
    chosen = CaseSpec(tmp_path / PATIENT / "ct.nii.gz", tmp_path / "seg.nii.gz", name="case 7")
    assert image_name(chosen) == "case_7"  # the user's choice, one file-name component
    assert image_name(CaseSpec(tmp_path / "ct.nii.gz", tmp_path, name="../x")) == "x"


def _patient_case(ph: PhantomFiles, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True)
    shutil.copy(ph.ct, folder / "ct.nii.gz")
    sitk.WriteImage(label_image(ph.phantom), str(folder / "ct_seg.nii.gz"))
    return folder / "ct.nii.gz", folder / "ct_seg.nii.gz"


def _no_patient_name_in(project_dir: Path) -> None:
    for path in project_dir.rglob("*"):
        assert PATIENT not in path.relative_to(project_dir).as_posix(), path
    assert PATIENT not in (project_dir / "project.json").read_text()
    coco = json.dumps(project_to_coco(load_project(project_dir)))
    assert PATIENT not in coco


def test_cli_import_from_a_patient_folder_writes_no_patient_name(
    phantom_files: PhantomFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ct, labels = _patient_case(phantom_files, tmp_path / "phi" / PATIENT)
    out = tmp_path / "p"
    assert main(["import", str(ct), "--labels", str(labels), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert PATIENT not in printed.replace(str(tmp_path), "")  # the summary line too
    _no_patient_name_in(out)
    (image,) = load_project(out).images.values()
    assert Path(image.file_name).name.startswith("ct-") and image.instances


def test_dataset_folders_named_after_patients_get_digests(
    phantom_files: PhantomFiles, tmp_path: Path
) -> None:
    """Both layouts a generic ct.nii.gz comes in: a pair matched by name, and
    TotalSegmentator's case folder (the folder named the image before)."""
    data = tmp_path / "data"
    _patient_case(phantom_files, data / PATIENT)
    seg = data / "ROE_JANE" / "segmentations"
    seg.mkdir(parents=True)
    shutil.copy(phantom_files.ct, seg.parent / "ct.nii.gz")
    ph = phantom_files.phantom
    for level in ph.levels:
        mask = (ph.vertebra_labels == VERTEBRA_ID[level]).astype(np.uint8)
        sitk.WriteImage(label_image(ph, mask), str(seg / f"vertebrae_{level}.nii.gz"))
    cases = find_cases(data).cases
    assert len(cases) == 2
    names = [image_name(c) for c in cases]
    assert all(n.startswith("ct-") for n in names), names
    assert not any("DOE" in n or "ROE" in n for n in names)
    out = tmp_path / "p"
    assert main(["import", str(data), "--out", str(out), "--quiet"]) == 0
    _no_patient_name_in(out)
    assert len(load_project(out).images) == 2


# ---- the window with View > Hide names and paths on (CaseSpec.hide_names), round 13


def test_names_hidden_a_case_is_named_as_file_open_names_the_ct(tmp_path: Path) -> None:
    """The window named DOE_JOHN/DOE_JOHN.nii.gz 'DOE_JOHN' with names hidden; File > Open
    of the same file gave 'ct-<digest>'. `vertapp import` keeps the file's own name: a
    file name is the user's (docs/import.md), as `predict`'s names without --keep-names."""
    ct, labels = tmp_path / PATIENT / f"{PATIENT}.nii.gz", tmp_path / PATIENT / "seg.nii.gz"
    hidden = CaseSpec(ct, labels, hide_names=True)
    assert image_name(hidden) == neutral_stem(ct, "ct")  # gui.document.files.add_record's
    assert image_name(CaseSpec(ct, labels)) == PATIENT  # the CLI, as before
    assert image_name(replace(hidden, name="case 7")) == "case_7"  # typed: the user's
    assert case_patient(hidden, image_name(hidden) + "-2") == neutral_stem(ct, "ct")
    assert case_patient(replace(hidden, patient="p1"), "x") == "p1"


def test_names_hidden_one_subjects_scans_still_share_a_patient_key(tmp_path: Path) -> None:
    def key(file: str, hide: bool = True) -> str:
        spec = CaseSpec(tmp_path / file, tmp_path / "seg.nii.gz", hide_names=hide)
        return case_patient(spec, image_name(spec))

    axial, sagittal = key("sub-gl003_dir-ax_ct.nii.gz"), key("sub-gl003_dir-sag_ct.nii.gz")
    assert axial == sagittal and "gl003" not in axial  # one patient: one side of a split
    assert key("sub-gl004_ct.nii.gz") != axial
    assert key("sub-gl003_dir-ax_ct.nii.gz", hide=False) == "sub-gl003"  # names shown


def test_names_hidden_warnings_name_neither_file(
    phantom_files: PhantomFiles, tmp_path: Path
) -> None:
    """A warning about the labels named their file ('DOE_JOHN_seg.nii.gz: T12 lies below
    T11'): it reaches the status bar and the log."""
    ph = phantom_files.phantom
    swapped = verse_ids(ph).copy()
    t11, t12 = VERTEBRA_ID["T11"] + 7, VERTEBRA_ID["T12"] + 7
    swapped[verse_ids(ph) == t11], swapped[verse_ids(ph) == t12] = t12, t11
    case = tmp_path / "phi" / PATIENT
    case.mkdir(parents=True)
    ct, labels = case / f"{PATIENT}.nii.gz", case / f"{PATIENT}_seg.nii.gz"
    shutil.copy(phantom_files.ct, ct)
    sitk.WriteImage(label_image(ph, swapped), str(labels))

    def warnings(spec: CaseSpec) -> list[str]:
        root = tmp_path / f"p{spec.hide_names}"
        prepared = run_job(prepare_case_job(spec, root, image_name(spec)))
        assert PATIENT not in prepared.patient or not spec.hide_names
        return [*prepared.warnings, *prepared.notes]

    shown = warnings(CaseSpec(ct, labels))
    assert any("lies below" in w and f"{PATIENT}_seg" in w for w in shown), shown
    hidden = warnings(CaseSpec(ct, labels, hide_names=True))
    assert any("lies below" in w for w in hidden) and PATIENT not in str(hidden), hidden
