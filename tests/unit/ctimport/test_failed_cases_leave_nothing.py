"""`vertapp import ... --out PROJECT`: what failed leaves nothing behind. An import whose
cases all failed left a project skeleton (PROJECT/images/, PROJECT/.vertapp/) that looked
like a project, and the .vertapp/ folder in an existing project; a case that failed once
its files were written left them in the project, named by nothing."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest

from tests.unit.ctimport.conftest import PhantomFiles, label_image
from tests.unit.ml.spines import spine_samples, write_coco_dataset
from vertapp.annotations import store
from vertapp.annotations.store import load_project
from vertapp.cli import main


@pytest.fixture
def broken_dataset(tmp_path: Path) -> Path:
    """Two cases, each CT a download cut short."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("a", "b"):
        (data / f"{name}_ct.nii.gz").write_bytes(b"cut short" * 20)
        (data / f"{name}_seg.nii.gz").write_bytes(b"cut short too")
    return data


def _import(data: Path, out: Path) -> int:
    return main(["import", str(data), "--out", str(out), "--quiet"])


def _tree(folder: Path) -> dict[str, bytes | None]:
    """Every path below `folder`: a file's bytes, None for a folder."""
    return {
        p.relative_to(folder).as_posix(): None if p.is_dir() else p.read_bytes()
        for p in folder.rglob("*")
    }


def test_every_case_failing_leaves_no_project(
    broken_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new" / "proj"
    assert _import(broken_dataset, out) == 1
    assert not (tmp_path / "new").exists()  # nor the folder made above it
    said = capsys.readouterr()
    assert "FAILED a_ct.nii.gz: " in said.err and "FAILED b_ct.nii.gz: " in said.err
    assert "corrupt or truncated gzip data" in said.err and "Traceback" not in said.err
    assert (
        f"nothing imported: all 2 cases failed (each said above); no project was created "
        f"({out} is not there)"
    ) in said.err
    assert "0 imported, 2 failed" in said.out


@pytest.mark.parametrize("kind", ["project", "empty folder"])
def test_every_case_failing_leaves_an_existing_folder_as_it_was(
    broken_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    out = tmp_path / "proj"
    if kind == "project":
        write_coco_dataset(out, spine_samples(1))
    else:
        out.mkdir()
    before = _tree(out)
    assert _import(broken_dataset, out) == 1
    assert _tree(out) == before
    what = "the project " if kind == "project" else ""
    assert f"; {what}{out} was left as it was" in capsys.readouterr().err


def test_a_case_failing_after_writing_its_files_leaves_none(
    phantom_files: PhantomFiles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Case b's disk filled up after its CT was written: that file goes; case a is
    imported, saved and kept as before."""
    import SimpleITK as sitk

    import vertapp.ctimport.case as case_module

    data = tmp_path / "data"
    data.mkdir()
    for name in ("a", "b"):
        shutil.copy(phantom_files.ct, data / f"{name}_ct.nii.gz")
        sitk.WriteImage(label_image(phantom_files.phantom), str(data / f"{name}_seg.nii.gz"))
    write = case_module.write_case_files

    def fill_disk_for_b(root: Path, name: str, volume, *rest):  # type: ignore[no-untyped-def]
        if name != "b":
            return write(root, name, volume, *rest)
        store.atomic_write_bytes(root / "volumes" / "b.nii.gz", b"half a CT")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(case_module, "write_case_files", fill_disk_for_b)
    out = tmp_path / "proj"
    assert _import(data, out) == 1
    said = capsys.readouterr()
    assert "FAILED b_ct.nii.gz: OSError: [Errno 28] No space left on device" in said.err
    assert "1 imported, 1 failed" in said.out and "nothing imported" not in said.err
    project = load_project(out, require_images=True)
    assert [img.file_name for img in project.images.values()] == ["images/a_mip.png"]
    assert sorted(p.name for p in (out / "volumes").iterdir()) == [
        "a.nii.gz",
        "a_labels.nii.gz",
    ]
    assert [p.name for p in (out / "images").iterdir()] == ["a_mip.png"]
    assert [p.name for p in (out / "preprocess").iterdir()] == ["a_mip"]


def test_the_parts_removed_are_the_ones_the_import_writes() -> None:
    """import_ spells the project's names itself (annotations.store is slow to load)."""
    from vertapp.commands.import_ import PROJECT_PARTS

    assert PROJECT_PARTS == (
        store.PROJECT_FILE,
        store.IMAGES_DIR,
        store.SOURCES_DIR,
        store.PREPROCESS_DIR,
        store.STATE_DIR,
    )
