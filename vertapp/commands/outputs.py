"""Up-front checks of a command's output paths, run first in each command's `run()`.

An --out through an existing file (`--out notes.txt/x.json`), onto a folder where a file
goes, onto a file where a folder goes, or onto one of the command's own inputs was found
only when written: after minutes of work, as "unexpected error ...; this is a bug", or
not at all (the input silently replaced). These checks read the file system only; they
refuse in words, naming the option, the path and what is wrong, before anything is read
or written.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

from vertapp.errors import InputError
from vertapp.io.out_paths import check_out_folder, check_parents

PROJECT_FILE = "project.json"  # the project folder's file (annotations.store.PROJECT_FILE)


def check_file_out(out: Path, option: str = "--out") -> None:
    """A file to write: not an existing folder, and not a path through an existing file."""
    out = Path(out)
    if out.is_dir():
        raise InputError(f"{option} {out}: is an existing folder; name a file to write")
    check_parents(out, option)


def check_folder_out(
    out: Path,
    option: str = "--out",
    *,
    files: Iterable[str] = (),
    folders: Iterable[str] = (),
) -> None:
    """A folder to write into (created when missing): not an existing file, not a path
    through one; `files` / `folders`: names the command writes inside it, which must not
    already be there as the other kind (a folder named like a file it writes...)."""
    out = Path(out)
    check_out_folder(out, option)
    for name in files:
        if (out / name).is_dir():
            raise InputError(f"{option} {out}: {out / name} is a folder; it must be a file here")
    for name in folders:
        inner = out / name
        if inner.exists() and not inner.is_dir():
            raise InputError(f"{option} {out}: {inner} is a file; it must be a folder here")


def same_path(a: Path, b: Path) -> bool:
    """Whether two paths name one file: by the file itself when both exist (hard links,
    symbolic links, another spelling), else by their resolved names."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return _normal(a) == _normal(b)


def _normal(path: Path) -> str:
    return os.path.normcase(os.path.realpath(path))


def check_not_input(
    out: Path, inputs: Iterable[tuple[str, Path | None]], option: str = "--out"
) -> None:
    """Refuse an output that is one of the inputs: writing it would replace that input.

    `inputs`: (what it is, in words; its path or None)."""
    for what, path in inputs:
        if path is not None and same_path(Path(out), Path(path)):
            raise InputError(
                f"{option} {out}: is {what}; writing there would replace it: name another file"
            )


def check_distinct(outputs: Iterable[tuple[str, Path | None]]) -> None:
    """Refuse two outputs of one run that are the same file: the second would replace
    the first. `outputs`: (option, path or None)."""
    given = [(option, Path(path)) for option, path in outputs if path is not None]
    for k, (option, path) in enumerate(given):
        for other, earlier in given[:k]:
            if same_path(path, earlier):
                raise InputError(
                    f"{option} {path}: is also {other}; each output needs a file of its own"
                )


def input_file(path: Path) -> Path:
    """The file a path argument reads: a project folder's project.json, else itself."""
    path = Path(path)
    return path / PROJECT_FILE if (path / PROJECT_FILE).is_file() else path


def input_entry(what: str, path: Path) -> tuple[str, Path]:
    """(what, file) for `check_not_input`: a project folder stands for its project.json."""
    file = input_file(path)
    said = f"the project file of {what} {path}" if file != Path(path) else f"{what} {path}"
    return said, file


def check_not_project_file(out: Path, option: str = "--out") -> None:
    """Refuse an existing project.json: it holds a project's annotations and review, which
    a command's output (predictions, a converted copy) would replace."""
    out = Path(out)
    if out.name == PROJECT_FILE and out.is_file():
        raise InputError(
            f"{option} {out}: is a project's file (its annotations would be replaced); "
            "write to another file"
        )


def looks_like_checkpoint(path: Path) -> bool:
    """A PyTorch file, judged by its container without loading it: torch.save writes a
    zip holding data.pkl (old torch versions: a pickle, which starts with byte 0x80)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return any(name.endswith("data.pkl") for name in archive.namelist())
        with open(path, "rb") as fh:
            return fh.read(1) == b"\x80"
    except (OSError, zipfile.BadZipFile):
        return False


def looks_like_json_object(path: Path) -> bool:
    """Whether a file starts like a JSON object (a COCO file): `{` after any spaces."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return head[:1] == b"{"


def check_not_in_held_project(out: Path, option: str = "--out") -> None:
    """Refuse an output inside a project folder another VertApp window holds (its lock,
    `annotations.project_lock`), as `vertapp import` refuses one: that window writes the
    same files (its trained model, models/model.pt) and does not know of ours.

    Checked once, before the work: holding the lock for an hour of training would make
    every window opening the project meanwhile ask whether to take it over."""
    from vertapp.annotations.project_lock import in_use_words, live_holder

    folder = enclosing_project(Path(out).parent)
    holder = live_holder(folder) if folder is not None else None
    if folder is not None and holder is not None:
        raise InputError(
            f"{option} {out}: is in the project {folder}, and {in_use_words(holder)}; close "
            "it in the window first, then run this again, or write elsewhere (nothing was written)"
        )


def enclosing_project(folder: Path) -> Path | None:
    """The nearest project folder (one with project.json) at or above `folder`, or None."""
    here = Path(os.path.realpath(folder))  # the folder the lock is in
    for candidate in (here, *here.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    return None
