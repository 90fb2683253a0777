"""The check across vertebrae (`consistency`) applied to an alignment's records: by
`align_job` once every vertebra is aligned, and again by the pair view after every hand
correction and its undo (`pair.PairState`). A vertebra moved by hand changes what its
neighbours' checks find (it lands on one of them, or no longer does), so each run says
what every vertebra's placement and its neighbours' are now, not what they were.

What the check said before is taken off first: its warnings (they start with its words,
`INCONSISTENT` or `OVERLAPPED`), the `failed` it gave (the status before it is kept in
`VertebraAlignment.own_status`) and its film-level words (`Alignment.film_placement`).
What each vertebra's own alignment said (score, outline, fallback; a hand correction's
score, and its `automatic` result) stays.

Torsion (`torsion.py`) is a check across vertebrae too: a vertebra's score and part
spreads are judged against the others' median, so a hand correction (a new score, a new
scale, a failed vertebra placed and so counted) can give or take another vertebra's
torsion warning. Given the low-dose ZOIs (the pair view does), it is run again as well,
on the vertebrae as their own alignment left them, as `align_job` runs it: an undo gives
back exactly the warnings there were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from vertapp.labels import VERTEBRA_ID
from vertapp.xray.consistency import INCONSISTENT, OVERLAPPED, Verdict, check_placements
from vertapp.xray.torsion import WORDS as TORSION_WORDS
from vertapp.xray.torsion import torsion_warnings
from vertapp.xray.zoi import Zoi

if TYPE_CHECKING:  # align imports this module
    from vertapp.xray.align import Alignment, VertebraAlignment

CHECK_WORDS = (f"{INCONSISTENT}: ", f"{OVERLAPPED}: ")  # how its warnings start


def check_alignment(
    alignment: Alignment,
    high_zois: Mapping[str, Zoi],
    shape: tuple[int, ...],
    tall: Mapping[str, float] | None = None,
    low_zois: Mapping[str, Zoi] | None = None,
) -> None:
    """Run the check across vertebrae on `alignment` as its placements are now: every
    record's status and warnings, and the top-level warnings, replaced (new lists and
    records: a copy of `alignment` made by `dataclasses.replace` keeps the old ones).
    `tall`: the vertebrae's heights where known (`consistency.check_placements`).
    `low_zois`: the torsion check is run again too (see the module doc)."""
    records = [_unchecked(v) for v in alignment.vertebrae]
    if low_zois is not None:
        records = _torsion_again(records, high_zois, low_zois)
    verdict = check_placements(records, high_zois, alignment.film_motion, shape, tall)
    alignment.vertebrae = [_checked(v, verdict) for v in records]
    alignment.warnings = _top_level(alignment, verdict.film)
    alignment.film_placement = list(verdict.film)


def _unchecked(v: VertebraAlignment) -> VertebraAlignment:
    """`v` as its own alignment (or hand correction) left it."""
    own = [w for w in v.warnings if not w.startswith(CHECK_WORDS)]
    return replace(v, status=v.own_status or v.status, own_status=None, warnings=own)


def _torsion_again(
    records: list[VertebraAlignment], high_zois: Mapping[str, Zoi], low_zois: Mapping[str, Zoi]
) -> list[VertebraAlignment]:
    """`records` (unchecked) with their torsion warnings found again; `align_job` appends
    them after the vertebra's own, and so does this (an undo gives the same list back)."""
    own = [
        replace(v, warnings=[w for w in v.warnings if not w.startswith(TORSION_WORDS)])
        for v in records
    ]
    found = torsion_warnings(own, high_zois, low_zois)
    return [replace(v, warnings=v.warnings + found[v.level]) for v in own]


def _checked(v: VertebraAlignment, verdict: Verdict) -> VertebraAlignment:
    failed = v.level in verdict.failed
    return replace(
        v,
        warnings=v.warnings + verdict.warnings.get(v.level, []),
        status="failed" if failed else v.status,
        own_status=v.status if failed else None,
    )


def _top_level(alignment: Alignment, film: list[str]) -> list[str]:
    """The inputs' notes, the check's film-level words, the notes of levels only on the
    low-dose image, then every vertebra's warnings as its record says now (prefixed)."""
    levels = {v.level for v in alignment.vertebrae}
    old = set(alignment.film_placement)
    kept = [w for w in alignment.warnings if w not in old and _level_of(w) not in levels]
    # the film's words where `align_job` put them: before the first level's note
    at = next((i for i, w in enumerate(kept) if _level_of(w) in VERTEBRA_ID), len(kept))
    said = [f"{v.level}: {w}" for v in alignment.vertebrae for w in v.warnings]
    return kept[:at] + film + kept[at:] + said


def _level_of(warning: str) -> str:
    return warning.split(": ", 1)[0]
