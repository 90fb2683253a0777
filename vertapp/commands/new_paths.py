"""What a command run created on disk, so that a run that produced nothing removes it.

`vertapp predict A B --out res/pred.json` that failed on B left A's MIP or copy (and
the folder res/) without a COCO file naming them; `vertapp import DATASET --out PROJ`
whose cases all failed left PROJ/images/ and PROJ/.vertapp/, a skeleton that looked
like a project. A run must leave nothing of its own behind for what failed, and never
touch what was there before: these helpers note what existed before the run and remove
only what is new since, a folder only once it is empty (anything else found in it is
kept).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


def first_missing(folder: Path | str) -> Path | None:
    """The outermost of `folder` and its parents that does not exist yet (where
    mkdir(parents=True) starts creating), or None when `folder` exists."""
    here = Path(os.path.abspath(folder))
    top = None
    for candidate in (here, *here.parents):
        if os.path.lexists(candidate):
            break
        top = candidate
    return top


def remove_new_folders(folder: Path | str, top: Path | None) -> None:
    """Remove `folder` and its parents up to `top` (`first_missing` before the run),
    each only when it is empty; nothing when `top` is None (the folder was there)."""
    if top is None:
        return
    here, top = Path(os.path.abspath(folder)), Path(os.path.abspath(top))
    while here.is_relative_to(top):
        try:
            here.rmdir()  # only an empty folder
        except OSError:
            return
        here = here.parent


def _nothing(_: str) -> bool:
    return False


@dataclass(frozen=True)
class Before:
    """What the entries `names` of `folder` held before a run (relative POSIX paths of
    their files and folders), and the outermost folder the run creates, if any.

    Only those entries are looked at: the ones the command writes, never the rest of a
    folder that may be the user's (a home folder given as --out)."""

    folder: Path
    names: tuple[str, ...]
    paths: frozenset[str]
    top: Path | None

    @classmethod
    def of(cls, folder: Path | str, names: Iterable[str]) -> Before:
        folder, names = Path(folder), tuple(names)
        return cls(folder, names, frozenset(_paths(folder, names)), first_missing(folder))

    def new(self) -> list[str]:
        """The paths there now that were not before, deepest first."""
        added = set(_paths(self.folder, self.names)) - self.paths
        return sorted(added, key=lambda rel: (rel.count("/"), rel), reverse=True)

    def remove_new(self, keep: Callable[[str], bool] = _nothing) -> None:
        """Remove the new paths that `keep` does not keep: files and links, then folders
        left empty; then the folder itself and its parents, where this run made them."""
        for rel in self.new():
            if not keep(rel):
                _remove(self.folder / rel)
        remove_new_folders(self.folder, self.top)


def _paths(folder: Path, names: tuple[str, ...]) -> Iterator[str]:
    for name in names:
        entry = folder / name
        if not os.path.lexists(entry):
            continue
        yield name
        if entry.is_dir() and not entry.is_symlink():
            for parent, folders, files in os.walk(entry):
                for child in (*folders, *files):
                    yield Path(parent, child).relative_to(folder).as_posix()


def _remove(path: Path) -> None:
    # a folder holding what is kept (or was put there meanwhile) stays: rmdir refuses it
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()
