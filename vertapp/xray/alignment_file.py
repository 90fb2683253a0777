"""`alignment.json`, the contract other tools read (DESIGN.md, `vertapp xray align`):

{"vertebrae": [{"level", "matrix": [[a, b, tx], [c, d, ty]], "rotation_deg", "scale",
"tx_px", "ty_px", "score", "status", "warnings", "center_px"}], "warnings": [...]}

`matrix` maps a high-dose pixel (col, row, 1) to its low-dose position (col, row).
`rotation_deg` is counter-clockwise as displayed (OpenCV's sign), `scale` the uniform scale,
and (`tx_px`, `ty_px`) the shift of the high-dose ZOI centroid `center_px` (col, row): the
similarity is "turn and scale about `center_px`, then shift". `score` is the normalised
correlation of the aligned ZOIs (1 = identical up to grey scale), for the matrix written
(recomputed after a hand correction).

Added keys (readers of the contract's keys are not affected):
- per vertebra `by_hand` (placed by a hand correction; its `status` is then `aligned`,
  and `automatic` holds what the alignment itself found: `status`, `score`, `warnings`),
  `fused` (false: it kept its low-dose pixels in fused.png) and, when not fused,
  `not_fused_because` ("failed", "possible torsion", "inconsistent placement").
Top-level `warnings` are the records' as they are now (after a hand correction, the check
across vertebrae as it finds every placement then), prefixed with their level, after the
film's and the inputs'.
"""

from __future__ import annotations

from typing import Any

from vertapp.xray.align import Alignment, VertebraAlignment
from vertapp.xray.fuse import left_out, left_out_note


def vertebra_record(v: VertebraAlignment, fuse_warned: bool = False) -> dict[str, Any]:
    sim = v.similarity
    why = left_out(v, fuse_warned)
    out: dict[str, Any] = {
        "level": v.level,
        "matrix": [[round(float(x), 6) for x in row] for row in v.matrix],
        "rotation_deg": round(sim.angle_deg, 4),
        "scale": round(sim.scale, 6),
        "tx_px": round(sim.shift[0], 3),
        "ty_px": round(sim.shift[1], 3),
        "score": round(float(v.score), 4),
        "status": v.status,
        "warnings": list(v.warnings),
        "center_px": [round(v.center[0], 3), round(v.center[1], 3)],
        "by_hand": v.by_hand,
        "fused": not why,
    }
    if why:
        out["not_fused_because"] = why
    if v.automatic is not None:
        out["automatic"] = {
            "status": v.automatic.status,
            "score": round(float(v.automatic.score), 4),
            "warnings": list(v.automatic.warnings),
        }
    return out


def current_warnings(result: Alignment) -> list[str]:
    """The top-level warnings with every vertebra's as its record says now: the film's and
    the inputs' first, then each vertebra's prefixed with its level."""
    levels = {v.level for v in result.vertebrae}
    kept = [w for w in result.warnings if w.split(": ", 1)[0] not in levels]
    return kept + [f"{v.level}: {w}" for v in result.vertebrae for w in v.warnings]


def alignment_record(result: Alignment, fuse_warned: bool = False) -> dict[str, Any]:
    note = left_out_note(result, fuse_warned)
    return {
        "vertebrae": [vertebra_record(v, fuse_warned) for v in result.vertebrae],
        "warnings": current_warnings(result) + ([note] if note else []),
    }


def summary(result: Alignment, fuse_warned: bool = False) -> str:
    """One line for a person: `8 vertebrae: 6 aligned, 1 by hand, 1 failed; 2 warned, 2 not
    in the fused image` (a corrected one counts as by hand, not as its automatic status;
    warned: aligned or fallback with a warning beyond the fallback's own note)."""
    counts: dict[str, int] = {}
    warned = 0
    for v in result.vertebrae:
        status = "by hand" if v.by_hand else v.status
        counts[status] = counts.get(status, 0) + 1
        if v.status != "failed" and v.warnings[1 if v.status == "fallback" else 0 :]:
            warned += 1
    text = ", ".join(f"{n} {status}" for status, n in counts.items())
    left = sum(1 for v in result.vertebrae if left_out(v, fuse_warned))
    extra = [f"{warned} warned"] * (warned > 0) + [f"{left} not in the fused image"] * (left > 0)
    return f"{len(result.vertebrae)} vertebrae: {text}" + ("; " + ", ".join(extra) if extra else "")
