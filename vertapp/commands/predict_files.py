"""The image files `vertapp predict` writes beside its --out file, and their names.

Two kinds: the MIP of each CT volume given (<name>_mip.png), and a lossless PNG copy of a
film (or image) whose own name may not go into the COCO file (`vertapp.xray.film_names`:
a DICOM film, a generic name in a patient's folder): the COCO file must name an image
file that opens again, and a path to the original named the patient
("../data/DOE_JOHN.dcm"). The copy is called as the window calls the film,
xray-<digest>.png. Its record says so under "vertapp": `copied` (and `kind` radiograph).

An image whose own name may be shown is named by that name alone only when it lies in
the --out folder itself: "../DOE_JOHN/lateral.png" carried the patient's name in a folder
above, "DOE_JOHN/lateral.png" in a folder below. Anywhere else it is copied beside --out
under its own name (<stem>.png, a lossless PNG as above). --keep-names points at the
original wherever it is, as before.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class OutNames:
    """File names for the images one predict run writes beside its --out file.

    Two volumes of one name (a/ct.nii.gz, b/ct.nii.gz) both wrote ct_mip.png, the second
    over the first, and any file of that name was replaced: a name is unique in the run,
    and an existing file is only replaced when it is ours, an image that the COCO file at
    --out (an earlier run of this command) names as written by it, and not an input of
    this run.
    """

    folder: Path
    ours: frozenset[str] = frozenset()
    inputs: frozenset[str] = frozenset()  # resolved paths of this run's inputs
    taken: set[str] = field(default_factory=set)
    # the names picked, in order, and those of them that were free (no file there): what
    # a failed input, or a failed run, removes again; an earlier run's file is left
    picked: list[str] = field(default_factory=list)
    new: set[str] = field(default_factory=set)

    @classmethod
    def for_out(cls, out: Path, inputs: list[str]) -> OutNames:
        resolved = frozenset(os.path.realpath(i) for i in inputs)
        return cls(out.parent, earlier_images(out), resolved)

    def pick(self, stem: str, suffix: str = "_mip.png") -> str:
        """`stem``suffix`, else `stem`_2`suffix`, ...: the first name free to write."""
        for n in itertools.count(1):
            name = f"{stem}{suffix}" if n == 1 else f"{stem}_{n}{suffix}"
            if name not in self.taken and self._free(name):
                self.taken.add(name)
                self.picked.append(name)
                if not os.path.lexists(self.folder / name):
                    self.new.add(name)
                return name
        raise AssertionError("unreachable")

    def mark(self) -> int:
        """Where `remove_since` starts: the names picked so far stay."""
        return len(self.picked)

    def remove_since(self, mark: int = 0) -> None:
        """Remove the files written under the names picked since `mark` that this run
        made (not an earlier run's it replaced), and free those names: what a failed
        input wrote (all of them, mark 0: what a failed run wrote) goes."""
        for name in self.picked[mark:]:
            if name in self.new:
                with contextlib.suppress(OSError):  # never in the way of the failure's words
                    (self.folder / name).unlink()
            self.taken.discard(name)
            self.new.discard(name)
        del self.picked[mark:]

    def keep(self) -> None:
        """The run succeeded (its COCO file names the files): nothing is removed now."""
        self.picked.clear()
        self.new.clear()

    def _free(self, name: str) -> bool:
        path = self.folder / name
        if os.path.realpath(path) in self.inputs:
            return False
        return not os.path.lexists(path) or (name in self.ours and path.is_file())


def earlier_images(out: Path) -> frozenset[str]:
    """The image files an earlier run's COCO file at `out` names as its own (records made
    from a volume carry vertapp.source_volume, copies vertapp.copied); none when there is
    none or it is unreadable."""
    if not out.is_file():
        return frozenset()
    try:
        images = json.loads(out.read_bytes()).get("images", [])
        return frozenset(
            str(rec["file_name"])
            for rec in images
            if isinstance(rec, dict)
            and _written_here(rec.get("vertapp"))
            and "/" not in str(rec.get("file_name", "/"))
        )
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        return frozenset()


def _written_here(app: Any) -> bool:
    return isinstance(app, dict) and ("source_volume" in app or app.get("copied") is True)


def rel_path(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path.resolve(), base.resolve())
    except ValueError:  # another drive on Windows
        return str(path.resolve())


def beside(relative: str, path: Path) -> bool:
    """Whether `path`, at `relative` from the --out folder, lies in that folder itself and
    by its own name: a sub-folder's name is as much the patient's as one above it, and a
    link's target is named by the path written, so the link's name must be the one judged."""
    return Path(relative).name == path.name and Path(relative).parent == Path(".")


def image_record(
    path: Path, pixels: Any, names: OutNames, *, film: bool, keep_names: bool
) -> dict[str, Any]:
    """The COCO record of an image input: its own name where that may be shown and it
    lies in the --out folder itself (with `keep_names`: its path from there, wherever it
    is), else a PNG copy of `pixels` (the file's own values, or a callable giving them:
    read only for a copy) beside --out, under the file's own name where that may be shown
    (a folder above or below named the patient: "../DOE_JOHN/lateral.png",
    "DOE_JOHN/lateral.png"), else its neutral one."""
    from vertapp.xray.film_names import name_shown, neutral_stem

    app: dict[str, Any] = {"kind": "radiograph"} if film else {}
    shown = keep_names or name_shown(path)
    relative = rel_path(path, names.folder) if shown else ""
    if keep_names or (shown and beside(relative, path)):
        if not keep_names:  # a copy made later in the run must not take its name
            names.taken.add(relative)
        rec: dict[str, Any] = {"file_name": relative}
        return {**rec, "vertapp": app} if app else rec
    if shown:  # its own name, without the folders above or below --out
        stem, suffix = path.stem, ".png"
    elif film:
        stem, suffix = neutral_stem(path), ".png"
    else:
        stem, suffix = neutral_stem(path, "ct"), "_mip.png"
    name = names.pick(stem, suffix)
    write_copy(names.folder / name, pixels() if callable(pixels) else pixels)
    return {"file_name": name, "vertapp": {**app, "copied": True}}


def write_copy(path: Path, pixels: np.ndarray) -> None:
    """A lossless PNG of an image's values (8/16 bit as they are; others into 16 bits,
    an affine map, which the film readers' windowing does not see), written atomically."""
    from vertapp.preprocess.result import write_image
    from vertapp.xray.zoi_files import png_pixels

    write_image(path, png_pixels(np.asarray(pixels)))
