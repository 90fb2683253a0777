"""Reading a low-/high-dose pair for review: both images, their pixel spacing and their ZOIs
(from COCO files or from the radiograph model), as a job a window can run in a worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vertapp.errors import InputError, VertAppError
from vertapp.jobs import Job, Progress
from vertapp.xray.images import read_film
from vertapp.xray.pair import PairInputs, PairState, pair_job
from vertapp.xray.zoi import Zoi


@dataclass(frozen=True)
class PairPaths:
    low: Path
    high: Path
    low_zois: Path | None = None  # COCO files; or a model for both
    high_zois: Path | None = None
    model: Path | None = None


def load_and_align_job(paths: PairPaths) -> Job[PairState]:
    """Read the pair and its ZOIs, then align and fuse it (`pair.pair_job`)."""
    inputs = yield from load_job(paths)
    return (yield from pair_job(inputs))


def load_job(paths: PairPaths) -> Job[PairInputs]:
    for side, path in (("low", paths.low), ("high", paths.high)):
        if not str(path) or not Path(path).is_file():
            raise InputError(
                f"choose the {side}-dose image (no file at {path.name or 'none given'})"
            )
    if paths.model is None and (paths.low_zois is None or paths.high_zois is None):
        raise InputError("give a ZOI file (COCO) for each image, or a radiograph model")
    yield Progress("Reading", None, "low-/high-dose images")
    low_film, high_film = read_film(paths.low), read_film(paths.high)
    low, high = low_film.pixels, high_film.pixels
    if low.shape != high.shape:
        raise InputError(
            f"the low-dose image is {low.shape[1]}x{low.shape[0]} pixels and the high-dose one "
            f"{high.shape[1]}x{high.shape[0]}: alignment needs both at the same size"
        )
    yield Progress("Finding vertebrae", None, "low-dose image")
    low_zois, low_notes = _zois(low, paths.low, paths.model, paths.low_zois)
    yield Progress("Finding vertebrae", None, "high-dose image")
    high_zois, high_notes = _zois(high, paths.high, paths.model, paths.high_zois)
    notes = [f"low-dose: {w}" for w in low_notes] + [f"high-dose: {w}" for w in high_notes]
    spacing = _spacing(paths.low)
    notes += spacing_notes(spacing, _spacing(paths.high))
    return PairInputs(low, high, low_zois, high_zois, spacing, notes, low_film, high_film)


def film_notes(inputs: PairInputs) -> list[str]:
    """The films' read warnings ("low-dose film: file holds 3 frames; the first one was
    read"), for the window's notes under the table; only logged before, unseen. Kept out
    of `notes`, which alignment.json records: `vertapp xray align` says these on stderr
    and records them nowhere. Sides are named, never files (a file name may be the
    patient's)."""
    films = (("low-dose", inputs.low_film), ("high-dose", inputs.high_film))
    return [f"{side} film: {w}" for side, film in films if film for w in film.warnings]


def spacing_notes(low: tuple[float, float] | None, high: tuple[float, float] | None) -> list[str]:
    """A word when the two films record different pixel spacings: the mm shown are the
    low-dose film's, and a scale between the films is then partly the detectors', not the
    patient's."""
    if low is None or high is None or np.allclose(low, high, rtol=0.01):
        return []
    return [
        f"the films record different pixel spacings (low-dose {low[0]:g} x {low[1]:g} mm, "
        f"high-dose {high[0]:g} x {high[1]:g} mm): mm are the low-dose film's"
    ]


def _zois(
    image: np.ndarray, path: Path, model: Path | None, coco_path: Path | None
) -> tuple[dict[str, Zoi], list[str]]:
    from vertapp.xray.zoi_coco import read_coco_file, zois_from_coco

    if model is not None:
        from vertapp.xray.detect import predict_zoi_coco

        coco, where = predict_zoi_coco(model, path, image=image), f"{model.name} on {path.name}"
    else:
        assert coco_path is not None
        coco, where = read_coco_file(coco_path), str(coco_path)
    zois, notes = zois_from_coco(coco, image.shape[:2], path.name, where)
    return zois, list(notes)


def _spacing(path: Path) -> tuple[float, float] | None:
    """Pixel spacing (row, col) mm where the file records one (DICOM); else None."""
    from vertapp.io.readers import read_radiograph

    try:
        return read_radiograph(path).pixel_spacing
    except VertAppError:  # unreadable as a radiograph: no spacing, the pixels were read
        return None
