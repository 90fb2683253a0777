"""Output folders checked before any work: one implementation for every writer.

An output folder that is an existing file, or lies under one, was found only when
written: after minutes of work, as an OSError. The command line's checks
(`vertapp.commands.outputs`) and the X-ray writers (`vertapp.xray.zoi_files`) both call
these; they read the file system only, and refuse in words naming the option and path.
"""

from __future__ import annotations

from pathlib import Path

from vertapp.errors import InputError


def check_parents(out: Path, option: str = "--out") -> None:
    """The nearest existing parent of `out` must be a folder (`Path.exists` is False for a
    path through a file, so the first one that exists is the one that matters)."""
    for parent in Path(out).parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{option} {out}: {parent} is a file, not a folder")
            return


def check_out_folder(out: Path, option: str = "--out") -> None:
    """A folder to write into (created when missing): not an existing file, not a path
    through one."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(
            f"{option} {out}: is an existing file, not a folder; name a folder "
            "(it is created if missing)"
        )
    check_parents(out, option)


def make_out_folder(out: Path, option: str = "--out") -> None:
    """`check_out_folder`, then the folder is created (parents too), a refusal of the file
    system said in words."""
    check_out_folder(out, option)
    try:
        Path(out).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        reason = err.strerror or str(err)
        raise InputError(f"{option} {out}: cannot create the folder ({reason})") from None
