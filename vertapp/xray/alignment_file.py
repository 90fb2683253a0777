"""`alignment.json`, the contract other tools read (DESIGN.md, `vertapp xray align`):

{"vertebrae": [{"level", "matrix": [[a, b, tx], [c, d, ty]], "rotation_deg", "scale",
"tx_px", "ty_px", "score", "status", "warnings", "center_px"}], "warnings": [...]}

`matrix` maps a high-dose pixel (col, row, 1) to its low-dose position (col, row).
`rotation_deg` is counter-clockwise as displayed (OpenCV's sign), `scale` the uniform scale,
and (`tx_px`, `ty_px`) the shift of the high-dose ZOI centroid `center_px` (col, row): the
similarity is "turn and scale about `center_px`, then shift". `score` is the normalised
correlation of the aligned ZOIs (1 = identical up to grey scale).
"""

from __future__ import annotations

from typing import Any

from vertapp.xray.align import Alignment, VertebraAlignment


def vertebra_record(v: VertebraAlignment) -> dict[str, Any]:
    sim = v.similarity
    return {
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
    }


def alignment_record(result: Alignment) -> dict[str, Any]:
    return {
        "vertebrae": [vertebra_record(v) for v in result.vertebrae],
        "warnings": list(result.warnings),
    }
