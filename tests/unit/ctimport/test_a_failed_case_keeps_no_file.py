"""ctimport.prepare_case_job: a case that fails once some of its files are written takes
them away again (the window's File > Import labelled CT… left them in the project, named
by nothing), never a file that was there before; try_prepare_case_job says the failure
without the CT's name while names are hidden."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest
import SimpleITK as sitk

from tests.unit.ctimport.conftest import PhantomFiles, label_image
from vertapp.ctimport import CaseSpec, FailedCase, PreparedCase, try_prepare_case_job
from vertapp.ctimport.case import prepare_case_job
from vertapp.jobs import run_job
from vertapp.preprocess import MipResult


@pytest.fixture
def case(phantom_files: PhantomFiles, tmp_path: Path) -> CaseSpec:
    data = tmp_path / "DOE_JOHN"
    data.mkdir()
    ct = data / "DOE_JOHN_ct.nii.gz"
    shutil.copy(phantom_files.ct, ct)
    sitk.WriteImage(label_image(phantom_files.phantom), str(data / "DOE_JOHN_seg.nii.gz"))
    return CaseSpec(ct, data / "DOE_JOHN_seg.nii.gz")


def _disk_full_in_preprocessing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CT, its labels and the MIP are written; the disk fills up during the rest."""

    def save(self: MipResult, folder: str | Path) -> Path:
        Path(folder).mkdir(parents=True)
        (Path(folder) / "mip.npy").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(MipResult, "save", save)


def _tree(folder: Path) -> dict[str, bytes | None]:
    return {
        p.relative_to(folder).as_posix(): None if p.is_dir() else p.read_bytes()
        for p in folder.rglob("*")
    }


def test_a_case_failing_after_its_ct_is_written_leaves_no_file(
    case: CaseSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    (root / "images").mkdir(parents=True)  # the project's own: stays
    (root / "images" / "other.png").write_bytes(b"another image")
    # a file of the case's name, left by an earlier crash: overwritten, not this run's
    (root / "volumes").mkdir()
    (root / "volumes" / "c_labels.nii.gz").write_bytes(b"older")
    _disk_full_in_preprocessing(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        run_job(prepare_case_job(case, root, "c"))
    # its CT, its MIP and its preprocessing folder are gone
    assert set(_tree(root)) == {"images", "images/other.png", "volumes", "volumes/c_labels.nii.gz"}
    assert (root / "images" / "other.png").read_bytes() == b"another image"
    assert not os.path.lexists(root / "preprocess")  # the folder it made, once empty


def test_its_failure_is_its_result_said_without_the_patients_name(
    case: CaseSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    hidden = CaseSpec(case.ct, case.labels, hide_names=True)
    with monkeypatch.context() as patch:
        _disk_full_in_preprocessing(patch)
        full = run_job(try_prepare_case_job(hidden, root, "ct-1"))
    assert full == FailedCase("ct-1", "OSError: [Errno 28] No space left on device")
    assert _tree(root) == {}
    case.ct.write_bytes(b"cut short" * 20)
    failed = run_job(try_prepare_case_job(hidden, root, "ct-1"))
    assert isinstance(failed, FailedCase)
    assert failed.reason.startswith("the CT: corrupt or truncated gzip data"), failed.reason
    assert "DOE_JOHN" not in failed.reason
    shown = run_job(try_prepare_case_job(case, root, "ct-1"))  # names shown: its path
    assert isinstance(shown, FailedCase) and str(case.ct) in shown.reason


def test_a_case_that_succeeds_is_its_result(case: CaseSpec, tmp_path: Path) -> None:
    prepared = run_job(try_prepare_case_job(case, tmp_path, "c"))
    assert isinstance(prepared, PreparedCase)
    assert (tmp_path / prepared.files["ct"]).is_file()
