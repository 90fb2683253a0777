"""vertapp.commands.new_paths: only what a run made goes, a folder only once empty."""

from __future__ import annotations

from pathlib import Path

from vertapp.commands.new_paths import Before, first_missing, remove_new_folders


def test_only_the_new_paths_under_the_named_entries_go(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "old.png").write_bytes(b"the user's")
    (tmp_path / "notes.txt").write_text("not an entry the command writes")
    before = Before.of(tmp_path, ("images", "volumes", ".vertapp"))
    (tmp_path / "images" / "new.png").write_bytes(b"ours")
    (tmp_path / "volumes" / "case").mkdir(parents=True)
    (tmp_path / "volumes" / "case" / "ct.nii.gz").write_bytes(b"ours")
    (tmp_path / "elsewhere.txt").write_text("not looked at")
    assert before.new() == ["volumes/case/ct.nii.gz", "volumes/case", "images/new.png", "volumes"]
    before.remove_new(keep=lambda rel: rel.startswith("volumes/case"))
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "elsewhere.txt",
        "images",
        "images/old.png",
        "notes.txt",
        "volumes",  # holds what is kept
        "volumes/case",
        "volumes/case/ct.nii.gz",
    ]


def test_the_folders_made_go_up_to_the_first_made_when_empty(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "c"
    top = first_missing(out)
    assert top == tmp_path / "a" and first_missing(tmp_path) is None
    out.mkdir(parents=True)
    (tmp_path / "a" / "theirs.txt").write_text("put there meanwhile")
    remove_new_folders(out, top)
    assert not (tmp_path / "a" / "b").exists() and (tmp_path / "a" / "theirs.txt").exists()
    remove_new_folders(tmp_path, None)  # a folder that was there stays
    assert tmp_path.is_dir()
