"""A low-/high-dose pair under review: its inputs, alignment and fused image, the per-vertebra
table a window shows, hand corrections, and the export (Qt-free; `vertapp.gui.xray` shows it).

A hand correction replaces one vertebra's similarity and fuses again only the region it
covered and covers, redoing its own layer and reusing its neighbours' (`fuse_layers`), so a
nudge redraws without redoing the whole fused image. The corrected record says so: status
`aligned`, `by_hand`, the score recomputed for its new matrix, the automatic result kept
beside it (`align.Automatic`) and its warnings those of the placement it has now (the
automatic placement's are in `automatic`). The check across vertebrae then runs again on
every vertebra (`placement_verdict`), after the correction and after its undo: a
neighbour's "X lands on it" goes when X no longer does (and comes when X is moved onto
it), a neighbour failed for X's place is aligned again. So does the torsion check, which
judges each vertebra against the others' median: a neighbour's torsion warning comes or
goes with X's new score and scale, and the corrected vertebra's own are those of where it
is now. A vertebra it now fuses or leaves out otherwise is fused again in its region too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vertapp.errors import InputError
from vertapp.jobs import Job, Progress
from vertapp.xray.align import FAIL_SCORE, Alignment, Automatic, VertebraAlignment, align_job
from vertapp.xray.alignment_file import alignment_record, summary
from vertapp.xray.film_motion import heights
from vertapp.xray.fuse import TORSION, checkerboard, fuse, left_out, outline, same_scale, to_display
from vertapp.xray.fuse_layers import fuse_layers, padded_box, refuse
from vertapp.xray.images import Film
from vertapp.xray.placement_verdict import check_alignment
from vertapp.xray.register import match_score, zoi_patch
from vertapp.xray.similarity import Similarity, apply_matrix, box_corners
from vertapp.xray.zoi import Zoi
from vertapp.xray.zoi_files import write_json, write_png, write_zois

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (pixels, end excluded)


@dataclass
class PairInputs:
    low: np.ndarray
    high: np.ndarray
    low_zois: dict[str, Zoi]
    high_zois: dict[str, Zoi]
    pixel_mm: tuple[float, float] | None = None  # (row, col) spacing, None when unknown
    notes: list[str] = field(default_factory=list)  # warnings from reading the ZOIs
    # the files' stored values, where read from files: what the exported ZOIs hold (a
    # DICOM's stored values and their rescale, as `vertapp xray zoi` writes them)
    low_film: Film | None = None
    high_film: Film | None = None


@dataclass(frozen=True)
class Row:
    """One vertebra as the table shows it."""

    level: str
    dx_px: float
    dy_px: float
    dx_mm: float | None
    dy_mm: float | None
    rotation_deg: float
    scale: float
    score: float
    status: str
    reason: str  # its warnings, joined; "" when none
    torsion: bool
    corrected: bool
    not_fused: str = ""  # why it kept its low-dose pixels in the fused image ("" if fused)

    @property
    def flagged(self) -> bool:
        """Shown highlighted: not plainly aligned, or warned."""
        return self.status != "aligned" or bool(self.reason)


class PairState:
    """The alignment of one pair and its fused image, kept in step."""

    def __init__(self, inputs: PairInputs, alignment: Alignment, fuse_warned: bool = False):
        self.inputs = inputs
        self.alignment = alignment
        self.fuse_warned = fuse_warned  # warned vertebrae fused too (`fuse.left_out`)
        self._high = np.asarray(inputs.high, np.float32)
        self._low: np.ndarray | None = None  # float32 copy, made for the first hand score
        self.fused, self._layers = fuse_layers(
            inputs.low, self._high, alignment.vertebrae, inputs.high_zois, fuse_warned
        )
        self.corrected: set[str] = set()
        self._tall = heights(inputs.high_zois)  # for the check run again at every nudge

    def set_fuse_warned(self, fuse_warned: bool) -> None:
        """Fuse the warned vertebrae too (or not): the fused image made again."""
        if fuse_warned != self.fuse_warned:
            self.fuse_warned = fuse_warned
            inp = self.inputs
            self.fused, self._layers = fuse_layers(
                inp.low, self._high, self.alignment.vertebrae, inp.high_zois, fuse_warned
            )

    def summary(self) -> str:
        """`8 vertebrae: 7 aligned, 1 by hand; ...` as the alignment is now."""
        return summary(self.alignment, self.fuse_warned)

    def rows(self) -> list[Row]:
        return [self._row(v) for v in self.alignment.vertebrae]

    def _row(self, v: VertebraAlignment) -> Row:
        sim = v.similarity
        mm = self.inputs.pixel_mm
        return Row(
            v.level,
            sim.shift[0],
            sim.shift[1],
            sim.shift[0] * mm[1] if mm else None,
            sim.shift[1] * mm[0] if mm else None,
            sim.angle_deg,
            sim.scale,
            float(v.score),
            v.status,
            "; ".join(_reasons(v)),
            any(TORSION in w for w in v.warnings),
            v.level in self.corrected,
            left_out(v, self.fuse_warned),
        )

    def similarity(self, level: str) -> Similarity:
        return self.alignment.by_level()[level].similarity

    def set_similarity(self, level: str, sim: Similarity, corrected: bool = True) -> Box:
        """Put `level` where `sim` says (a hand correction), check every vertebra again and
        re-fuse where it changed; returns that region (x0, y0, x1, y1)."""
        old = self.record(level)
        new = self._by_hand(old, sim.matrix) if corrected else replace(old, matrix=sim.matrix)
        (self.corrected.add if corrected else self.corrected.discard)(level)
        return self._put(new)

    def _by_hand(self, old: VertebraAlignment, matrix: np.ndarray) -> VertebraAlignment:
        """The record of a hand correction: aligned, by hand, scored where it is now; the
        automatic result kept beside it (from before the first correction)."""
        auto = old.automatic or Automatic(old.status, float(old.score), tuple(old.warnings))
        score = self.score_at(old.level, matrix)
        notes = []
        if score < FAIL_SCORE:
            notes.append(
                f"placed by hand where the images correlate at {score:.2f} only "
                f"(below {FAIL_SCORE})"
            )
        return replace(
            old,
            matrix=np.asarray(matrix, np.float64),
            status="aligned",
            score=score,
            warnings=notes,
            by_hand=True,
            automatic=auto,
            own_status=None,
        )

    def score_at(self, level: str, matrix: np.ndarray) -> float:
        """The alignment's score (`register.match_score`) for `level` placed by `matrix`."""
        if self._low is None:
            self._low = np.asarray(self.inputs.low, np.float32)
        zoi = self.inputs.high_zois[level]
        mask, fbox = zoi_patch(zoi, int(0.1 * zoi.size_px) + 4, self._high.shape)
        return match_score(self._high, self._low, mask, fbox, matrix)

    def restore(self, level: str, previous: VertebraAlignment, was_corrected: bool) -> Box:
        """Undo a correction: the vertebra's record as it was before, every vertebra
        checked again (as they were then: the placements are)."""
        (self.corrected.add if was_corrected else self.corrected.discard)(level)
        return self._put(previous)

    def _put(self, new: VertebraAlignment) -> Box:
        """`new` in place of its level's record, the check across vertebrae run again, and
        fused again where `new` was and is, and where a vertebra is now fused or left out
        otherwise (one the check failed or no longer fails); returns that region."""
        before = self.alignment.by_level()
        self.alignment.vertebrae = [
            new if v.level == new.level else v for v in self.alignment.vertebrae
        ]
        inp = self.inputs
        check_alignment(self.alignment, inp.high_zois, inp.low.shape, self._tall, inp.low_zois)
        after = self.alignment.by_level()
        warned = self.fuse_warned
        changed = [
            level
            for level in after
            if level == new.level
            or left_out(before[level], warned) != left_out(after[level], warned)
        ]
        boxes = [self._box(v[level]) for level in changed for v in (before, after)]
        return self._refuse(changed, boxes)

    def record(self, level: str) -> VertebraAlignment:
        return self.alignment.by_level()[level]

    def box(self, level: str) -> Box:
        """The region a change of this vertebra redraws: where its high-dose ZOI lands on the
        low-dose image, padded for the feathered edge (not what to frame: `landing`)."""
        return self._box(self.record(level))

    def zoi_corners(self, level: str) -> np.ndarray:
        """The 4 corners (col, row) of the vertebra's high-dose ZOI box, on the high dose."""
        return box_corners(self.inputs.high_zois[level].bbox)

    def landing(self, level: str) -> np.ndarray:
        """`zoi_corners` mapped by the vertebra's matrix: where its high-dose ZOI lands on
        the low-dose image (turned and scaled with it), the frame a reviewer compares."""
        return apply_matrix(self.record(level).matrix, self.zoi_corners(level))

    def _box(self, v: VertebraAlignment) -> Box:
        return padded_box(self.inputs.high_zois[v.level], v.matrix, self.inputs.low.shape)

    def _refuse(self, levels: list[str], boxes: list[Box]) -> Box:
        """Fuse again where the vertebrae `levels` were and are (`fuse_layers.refuse`:
        their layers redone, the others' kept); returns that region."""
        area = _union(boxes)
        if area[2] > area[0] and area[3] > area[1]:
            inp = self.inputs
            vertebrae = self.alignment.vertebrae
            refuse(
                self.fused,
                inp.low,
                self._high,
                vertebrae,
                inp.high_zois,
                self._layers,
                levels,
                area,
                self.fuse_warned,
            )
        return area


def _reasons(v: VertebraAlignment) -> list[str]:
    """What the table's Reason column says: the warnings, and for a hand correction what
    the automatic result was (its own warnings are in `automatic`)."""
    if not v.by_hand or v.automatic is None:
        return list(v.warnings)
    auto = v.automatic
    said = f" ({'; '.join(auto.warnings)})" if auto.warnings else ""
    return [
        *v.warnings,
        f"corrected by hand; automatic: {auto.status}, score {auto.score:.2f}{said}",
    ]


def _union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def pair_job(inputs: PairInputs, fuse_warned: bool = False) -> Job[PairState]:
    """Align the pair (progress per vertebra, close() cancels), then fuse it."""
    alignment = yield from align_job(inputs.low, inputs.high, inputs.low_zois, inputs.high_zois)
    alignment.warnings[:0] = list(inputs.notes)
    yield Progress("Fusing", None, "fused image")
    return PairState(inputs, alignment, fuse_warned)


EXPORT_FILES = (
    "fused.png",
    "fused.tif",
    "check.png",
    "alignment.json",
    "zois_low/zois.json",
    "zois_high/zois.json",
)


def export_job(state: PairState, folder: Path) -> Job[list[Path]]:
    """Write the fused image (PNG in the low-dose file's type, 16-bit TIFF), alignment.json
    and both images' ZOIs with their index under fixed neutral names (no patient
    identifier reaches a file name).

    As one set: everything is written into a hidden staging folder inside `folder` first,
    then moved into place, alignment.json last. A full disk or a killed process while
    writing leaves the previous export whole, never a new fused.png beside an old
    alignment.json."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".export-", dir=folder))
    except OSError as err:
        raise InputError(f"cannot export into {folder.name}: {err.strerror or err}") from err
    try:
        names = yield from _write_set(state, stage)
        yield Progress("Exporting", 0.9, "moving into place")
        return [_move_into(stage / name, folder / name, stage) for name in names]
    except OSError as err:
        raise InputError(f"cannot export into {folder.name}: {err.strerror or err}") from err
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _write_set(state: PairState, stage: Path) -> Job[list[str]]:
    """The export's files in `stage`; their names, alignment.json last (the set's mark)."""
    inputs = state.inputs
    yield Progress("Exporting", 0.0, "fused image")
    # fused again whole: the view's hand corrections kept their neighbours' grey fits
    warned = state.fuse_warned
    fused = fuse(inputs.low, inputs.high, state.alignment, inputs.high_zois, warned)
    write_png(stage / "fused.png", same_scale(fused, inputs.low))
    _write_tiff16(stage / "fused.tif", fused, inputs.low)
    write_png(
        stage / "check.png",
        check_image(inputs.low, fused, state.alignment, inputs.high_zois, warned),
    )
    yield Progress("Exporting", 0.6, "ZOIs")
    pixels, values = _zoi_source(inputs.low, inputs.low_film)
    low = write_zois(pixels, inputs.low_zois, "low", stage / "zois_low", values).index
    pixels, values = _zoi_source(inputs.high, inputs.high_film)
    high = write_zois(pixels, inputs.high_zois, "high", stage / "zois_high", values).index
    yield Progress("Exporting", 0.8, "alignment.json")
    write_json(stage / "alignment.json", alignment_record(state.alignment, warned))
    return [
        "fused.png",
        "fused.tif",
        "check.png",
        str(low.relative_to(stage)),
        str(high.relative_to(stage)),
        "alignment.json",
    ]


def check_image(
    low: np.ndarray,
    fused: np.ndarray,
    alignment: Alignment,
    high_zois: dict[str, Zoi],
    fuse_warned: bool = False,
) -> np.ndarray:
    """`check.png`, as `vertapp xray align` writes it: tiles of a third of a vertebra of
    the low-dose and the fused image, each placed ZOI outlined (`fuse.outline`)."""
    tile = max(8, int(np.median([z.size_px for z in high_zois.values()]) // 3))
    check = to_display(checkerboard(low, fused, tile), low, 8)
    return outline(check, alignment, high_zois, fuse_warned)


def _zoi_source(pixels: np.ndarray, film: Film | None) -> tuple[np.ndarray, Any]:
    """What a side's ZOIs are cut from: the file's stored values with their record, or
    (pairs not read from files) the pixels, which `write_zois` records itself."""
    return (film.stored, film.values) if film is not None else (pixels, None)


def _move_into(src: Path, dest: Path, stage: Path) -> Path:
    """Rename `src` (a file, or a ZOI index inside its own folder) over `dest`; a folder
    it replaces goes aside into `stage` first (deleted with it)."""
    if src.parent != stage:  # a ZOI index: move its whole folder
        _move_into(src.parent, dest.parent, stage)
        return dest
    if src.is_dir() and dest.is_dir():
        dest.rename(stage / (".old-" + dest.name))
    os.replace(src, dest)
    return dest


def _write_tiff16(path: Path, fused: np.ndarray, low: np.ndarray) -> None:
    """16-bit TIFF: 16-bit inputs keep their values, others are stretched to 16 bits."""
    pixels = same_scale(fused, low) if low.dtype == np.uint16 else to_display(fused, low, 16)
    tmp = path.with_name(path.stem + ".tmp.tif")  # cv2 picks the format from the suffix
    if not cv2.imwrite(str(tmp), pixels):
        raise InputError(f"{path}: cannot write the image")
    os.replace(tmp, path)


def nudged(sim: Similarity, dx: float, dy: float, turn_deg: float, grow: float) -> Similarity:
    """`sim` moved by (dx, dy) px, turned by `turn_deg` and scaled by `grow` (1 = same)
    about the vertebra's own centre: a hand correction step. `grow` is a factor: 0 would
    shrink the vertebra to a point (its ZOI gone from the fused image), so it is refused."""
    if not grow > 0:
        raise ValueError(f"a correction scales by a factor above 0 (1 = same), not {grow}")
    return Similarity(
        sim.angle_deg + turn_deg,
        sim.scale * grow,
        (sim.shift[0] + dx, sim.shift[1] + dy),
        sim.center,
    )
