"""A CT named only by its folder ('DOE_JOHN/ct.nii.gz') gets no patient's name: its image,
files, project.json and COCO export carry a digest, as a DICOM input does. Dataset
pseudonyms (VerSe's `sub-verse005`, TotalSegmentator's `s0001`) keep their readable
names, and a name the user chose (`--name`) is used as given (made file-safe)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from tests.unit.ctimport.conftest import PhantomFiles, label_image
from vertapp.annotations.coco import project_to_coco
from vertapp.annotations.store import load_project
from vertapp.cli import main
from vertapp.ctimport import CaseSpec, case_name, find_cases, image_name
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
