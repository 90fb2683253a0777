"""Low-/high-dose alignment: per vertebra (paired by level), the 2D similarity that maps the
high-dose ZOI onto the low-dose image, with the paper's failure modes handled.

- Paired vertebrae start from the shift between the two ZOI centroids and are refined by
  `register.register_zoi` (image content, never the outlines' vertices).
- A vertebra missing on the low-dose image is placed where its aligned neighbours' motions
  put it, searched around there, refined, and marked `fallback`.
- A low score marks a vertebra `failed`; a result that the low-dose outline contradicts
  (`outline_check.py`) and torsion (`torsion.py`) add warnings.
- A check across vertebrae (`consistency.py`): two vertebrae mapped onto one place (the
  less likely one `failed`), and vertebrae placed away from where the film's overall
  motion (`film_motion.py`, from the image content) puts them: a film numbered a level off.
  It is run again after every hand correction (`placement_verdict.py`).

`align_job` is a job (`vertapp.jobs`): it yields one `Progress` per vertebra and returns an
`Alignment`; closing it between vertebrae cancels it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from vertapp.errors import InputError
from vertapp.jobs import Job, Progress
from vertapp.labels import VERTEBRA_ID
from vertapp.xray.film_motion import film_motion
from vertapp.xray.outline_check import DOUBTFUL, outline_warnings
from vertapp.xray.outline_overlap import shared_outline_note
from vertapp.xray.placement_verdict import check_alignment
from vertapp.xray.register import Registration, register_zoi, translation_search
from vertapp.xray.similarity import Similarity, apply_matrix
from vertapp.xray.torsion import torsion_warnings
from vertapp.xray.zoi import Zoi

FAIL_SCORE = 0.35  # below this correlation a vertebra is `failed`, not aligned
RETRY_SCORE = 0.7  # below this, also try a start found by a masked template search
RETRY_MARGIN = 0.05  # ... and take it only when it scores this much better
SEARCH_FRACTION = 0.25  # refinement may move a ZOI this share of its size from the start
FALLBACK_SEARCH_FRACTION = 0.35  # wider: neighbours only roughly predict a missing one
# how every refusal of films of different sizes ends (here, `pair_files`, `project_pair`,
# the command line): the window knows by it that aligning again cannot help
SAME_SIZE = "alignment needs both at the same size"


@dataclass(frozen=True)
class Automatic:
    """A vertebra's automatic result, kept beside a hand correction of it."""

    status: str
    score: float
    warnings: tuple[str, ...]


@dataclass
class VertebraAlignment:
    level: str
    matrix: np.ndarray  # 2x3, high-dose (col, row, 1) -> low-dose (col, row)
    center: tuple[float, float]  # the high-dose ZOI centroid (col, row)
    score: float
    status: str  # "aligned" | "fallback" | "failed"
    warnings: list[str] = field(default_factory=list)
    by_hand: bool = False  # placed by a hand correction (`pair.PairState.set_similarity`)
    # what the alignment itself found, kept when corrected by hand (None until then)
    automatic: Automatic | None = None
    # its status before the check across vertebrae failed it (None: that check did not),
    # given back when the check runs again (`placement_verdict`)
    own_status: str | None = None

    @property
    def similarity(self) -> Similarity:
        return Similarity.from_matrix(self.matrix, self.center)


@dataclass
class Alignment:
    vertebrae: list[VertebraAlignment]
    warnings: list[str] = field(default_factory=list)
    # the film's overall motion from the image content (`film_motion`), None when unknown
    film_motion: np.ndarray | None = None
    # the check across vertebrae's film-level words, as in `warnings` (`placement_verdict`)
    film_placement: list[str] = field(default_factory=list)

    def by_level(self) -> dict[str, VertebraAlignment]:
        return {v.level: v for v in self.vertebrae}


def align_job(
    low: np.ndarray, high: np.ndarray, low_zois: dict[str, Zoi], high_zois: dict[str, Zoi]
) -> Job[Alignment]:
    """Align every high-dose ZOI onto the low-dose image; see the module doc."""
    _check_inputs(low, high, low_zois, high_zois)
    low_f, high_f = np.asarray(low, np.float32), np.asarray(high, np.float32)
    levels = sorted(high_zois, key=lambda name: VERTEBRA_ID.get(name, 99))
    paired = [lv for lv in levels if lv in low_zois]
    missing = [lv for lv in levels if lv not in low_zois]
    done: dict[str, VertebraAlignment] = {}
    total = len(levels)
    for level in paired:
        done[level] = _align_paired(low_f, high_f, high_zois[level], low_zois)
        yield Progress("Aligning", len(done) / total, level)
    for level in missing:
        done[level] = _align_missing(low_f, high_f, high_zois[level], done)
        yield Progress("Aligning", len(done) / total, f"{level} (fallback)")
    result = [done[lv] for lv in levels]
    for level, notes in torsion_warnings(result, high_zois, low_zois).items():
        done[level].warnings += notes
    motion = film_motion(low_f, high_f, high_zois)
    only_low = [
        f"{lv}: only on the low-dose image (no high-dose twin to align)"
        for lv in sorted(set(low_zois) - set(high_zois), key=lambda n: VERTEBRA_ID.get(n, 99))
    ]
    alignment = Alignment(result, only_low, None if motion is None else motion.matrix)
    check_alignment(alignment, high_zois, low.shape)  # its warnings, every vertebra's too
    return alignment


def _check_inputs(
    low: np.ndarray, high: np.ndarray, low_zois: dict[str, Zoi], high_zois: dict[str, Zoi]
) -> None:
    if low.shape != high.shape:
        raise InputError(
            f"the low-dose image is {low.shape[1]}x{low.shape[0]} pixels and the high-dose one "
            f"{high.shape[1]}x{high.shape[0]}: {SAME_SIZE}"
        )
    if not high_zois or not low_zois:
        side = "high" if not high_zois else "low"
        raise InputError(f"no vertebra was found on the {side}-dose image")
    if not set(low_zois) & set(high_zois):
        raise InputError(
            f"no vertebra in common: low-dose {', '.join(low_zois)}; "
            f"high-dose {', '.join(high_zois)} (two different patients or regions?)"
        )


def _align_paired(
    low: np.ndarray, high: np.ndarray, hz: Zoi, low_zois: Mapping[str, Zoi]
) -> VertebraAlignment:
    lz = low_zois[hz.level]
    hc, lc = hz.centroid, lz.centroid
    start = Similarity(0.0, 1.0, (lc[0] - hc[0], lc[1] - hc[1]), hc)
    reg = _best_of(high, low, hz, start, SEARCH_FRACTION, RETRY_SCORE)
    status, warnings = "aligned", []
    if reg.score < FAIL_SCORE:
        status = "failed"
        warnings.append(f"alignment score {reg.score:.2f} is below {FAIL_SCORE}: not aligned")
        # the cause a reviewer can fix, where the outlines show it (audit r16)
        warnings += [n for n in [shared_outline_note(hz.level, low_zois)] if n]
    else:
        warnings += outline_warnings(reg.matrix, hz, lz)
    return VertebraAlignment(hz.level, reg.matrix, hc, reg.score, status, warnings)


def _align_missing(
    low: np.ndarray, high: np.ndarray, hz: Zoi, done: dict[str, VertebraAlignment]
) -> VertebraAlignment:
    hc = hz.centroid
    guesses, used = _from_neighbours(hz, done)
    if not guesses:
        return VertebraAlignment(
            hz.level,
            Similarity(0.0, 1.0, (0.0, 0.0), hc).matrix,
            hc,
            0.0,
            "failed",
            ["not found on the low-dose image and no aligned neighbour to place it from"],
        )
    # vertebrae move independently: their mean can place this one a few pixels off where
    # one neighbour's own motion is nearer; each start is refined and the best match kept
    regs = [_best_of(high, low, hz, g, FALLBACK_SEARCH_FRACTION, RETRY_SCORE) for g in guesses]
    reg = max(regs, key=lambda r: r.score)
    # ... or all of them too far for the refinement: the best shift of a template search,
    # taken only if it matches clearly better (a neighbour, the sacrum, look alike)
    found = translation_search(high, low, hz, guesses[0], FALLBACK_SEARCH_FRACTION * hz.size_px)
    other = register_zoi(high, low, hz, found, SEARCH_FRACTION * hz.size_px)
    if other.score > reg.score + RETRY_MARGIN:
        reg = other
    if reg.score < FAIL_SCORE:
        return VertebraAlignment(
            hz.level,
            reg.matrix,
            hc,
            reg.score,
            "failed",
            [
                f"not found on the low-dose image; the search near where {used} place it "
                f"scored {reg.score:.2f} (below {FAIL_SCORE}): not aligned"
            ],
        )
    note = (
        f"not found on the low-dose image: placed from its high-dose twin, searched near where "
        f"{used} put it (score {reg.score:.2f})"
    )
    return VertebraAlignment(hz.level, reg.matrix, hc, reg.score, "fallback", [note])


def _best_of(
    high: np.ndarray, low: np.ndarray, hz: Zoi, start: Similarity, search: float, retry: float
) -> Registration:
    """Refine `start`; if that scores below `retry`, also refine the best shift of `start`
    found by a masked template search within `search` x the ZOI size, and keep that one if
    it scores clearly better (neighbouring vertebrae look alike: a far start that matches
    about as well is more likely a neighbour than the right place)."""
    reg = register_zoi(high, low, hz, start, SEARCH_FRACTION * hz.size_px)
    if reg.score >= retry:
        return reg
    found = translation_search(high, low, hz, start, search * hz.size_px)
    other = register_zoi(high, low, hz, found, SEARCH_FRACTION * hz.size_px)
    return other if other.score > reg.score + RETRY_MARGIN else reg


def _from_neighbours(hz: Zoi, done: dict[str, VertebraAlignment]) -> tuple[list[Similarity], str]:
    """Starts for a missing ZOI from the nearest aligned vertebra above and below: their
    motions averaged (weighted by closeness) and applied about this ZOI's own centroid,
    then each one's motion alone."""
    me = VERTEBRA_ID.get(hz.level, 0)
    aligned = [v for v in done.values() if v.status == "aligned"]
    # a neighbour flagged by the outline check would carry its error over
    good = [v for v in aligned if not any(w.startswith(DOUBTFUL) for w in v.warnings)] or aligned
    above = [v for v in good if VERTEBRA_ID.get(v.level, 0) < me]
    below = [v for v in good if VERTEBRA_ID.get(v.level, 0) > me]
    near = [max(above, key=_rank)] if above else []
    near += [min(below, key=_rank)] if below else []
    if not near:
        return [], ""
    weights = np.array([1.0 / abs(_rank(v) - me) for v in near])
    weights /= weights.sum()
    hc = np.array(hz.centroid)
    moved = sum(w * apply_matrix(v.matrix, hc)[0] for w, v in zip(weights, near, strict=True))
    sims = [v.similarity for v in near]
    angle = float(sum(w * s.angle_deg for w, s in zip(weights, sims, strict=True)))
    scale = float(sum(w * s.scale for w, s in zip(weights, sims, strict=True)))
    guess = Similarity(angle, scale, (moved[0] - hc[0], moved[1] - hc[1]), hz.centroid)
    own = [Similarity.from_matrix(v.matrix, hz.centroid) for v in near] if len(near) > 1 else []
    return [guess, *own], " and ".join(v.level for v in near)


def _rank(v: VertebraAlignment) -> int:
    return VERTEBRA_ID.get(v.level, 0)
