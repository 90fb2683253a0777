"""The parts of a cervical vertebra (C1..C7) that differ from T1..L5, as `bar` specs.

A cervical canal is triangular and much wider than deep: an ellipse `CANAL_ELLIPTICITY`
times its inscribed radius laterally. The spinous processes are short and split in two
tips (bifid) from C2 to C6; C7's is long and single (vertebra prominens). The transverse
processes leave the side of the body and pedicle and point forwards and outwards; each is
pierced by the foramen transversarium (the vertebral artery), a hole of radius < 3 mm that
the preprocessing's canal search (Rmin 3.5 mm) must not take for the canal, as on real
necks. Uncinate processes rise from the lateral edges of each upper endplate from C3 down;
C2 carries the dens, and C1 (anatomy.py) is a ring round it with no body of its own
but the anterior arch. Shapes are in the vertebra's local frame (u lateral, v posterior,
w superior), like those of vertebra.py, which paints them.
"""

from __future__ import annotations

import numpy as np

from vertapp.synth.anatomy import DENS_RADIUS, DENS_TILT_DEG, VertebraGeometry

BODY, SPINOUS, TRANSVERSE = 1, 3, 4  # vertebra.py's part ids
CANAL_ELLIPTICITY = 1.5  # C2-C7: ~24 mm wide by ~15 mm deep
ATLAS_ELLIPTICITY = 1.2  # C1's ring: ~29 mm wide by ~24 mm deep
BIFID_DEG = 14.0  # each tip turns this far off the midline
UNCINATE_MM = 2.5  # how far an uncinate process rises above the endplate


def ellipticity(g: VertebraGeometry) -> float:
    return ATLAS_ELLIPTICITY if g.name == "C1" else CANAL_ELLIPTICITY


def spinous_specs(g: VertebraGeometry, start: np.ndarray) -> list[dict]:
    """One bar (C7) or two diverging ones that share a root (bifid C2-C6)."""
    a = np.deg2rad(g.spinous_slope_deg)
    spec = {"start": start, "length": g.spinous_len, "half_b": g.spinous_half_h, "taper": 0.2}
    if not g.bifid:
        return [{**spec, "direction": np.array([0.0, np.cos(a), -np.sin(a)]), "half_a": 3.5}]
    b = np.deg2rad(BIFID_DEG)
    return [
        {
            **spec,
            "direction": np.array(
                [side * np.sin(b), np.cos(a) * np.cos(b), -np.sin(a) * np.cos(b)]
            ),
            "half_a": 2.3,
        }
        for side in (-1.0, 1.0)
    ]


def transverse_spec(g: VertebraGeometry, side: int) -> dict:
    """From the posterolateral corner of the body, outwards and forwards (C7: outwards);
    deep front to back, where the anterior and posterior tubercles enclose the foramen."""
    b = np.deg2rad(g.transverse_back_deg)
    return {
        "start": np.array([side * (g.width / 2 - 2.0), g.depth / 2 - 3.0, 0.1 * g.height]),
        "direction": np.array([side * np.cos(b), np.sin(b), -0.1]),
        "length": g.transverse_len,
        "half_a": 6.0,
        "half_b": 3.5,
        "taper": 0.2,
    }


def foramina(g: VertebraGeometry, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Voxels of the two foramina transversaria: vertical holes through the transverse
    processes, 4.5 mm lateral to the body's wall."""
    out = np.zeros(np.broadcast_shapes(u.shape, v.shape, w.shape), dtype=bool)
    if g.foramen_r <= 0:
        return out
    for side in (-1, 1):
        spec = transverse_spec(g, side)
        d = spec["direction"] / np.linalg.norm(spec["direction"])
        c = spec["start"] + d * (6.5 / abs(d[0]))  # where it passes u = +-(width/2 + 4.5)
        near = np.abs(w - c[2]) <= spec["half_b"] + 1.5
        out |= near & ((u - c[0]) ** 2 + (v - c[1]) ** 2 < g.foramen_r**2)
    return out


def uncinate_specs(g: VertebraGeometry) -> list[dict]:
    """Lips along the posterolateral edges of the upper endplate (C3-C7), reaching into
    the disc; on a lateral projection they overlap the back half of the disc space."""
    if g.name in ("C1", "C2"):
        return []
    return [
        {
            "start": np.array(
                [side * (g.width / 2 - 1.8), 0.0, g.height / 2 + UNCINATE_MM / 2 - 0.5]
            ),
            "direction": np.array([0.0, 1.0, 0.0]),
            "length": 0.4 * g.depth,
            "half_a": 1.8,  # lateral
            "half_b": UNCINATE_MM / 2 + 1.0,  # from 1.5 mm inside the body to UNCINATE_MM out
        }
        for side in (-1.0, 1.0)
    ]


def dens_spec(g: VertebraGeometry) -> dict:
    """C2's odontoid process: a peg on the body, tilted slightly back."""
    t = np.deg2rad(DENS_TILT_DEG)
    return {
        "start": np.array([0.0, 0.0, g.height / 2 - 3.0]),
        "direction": np.array([0.0, np.sin(t), np.cos(t)]),
        "length": g.dens_len,
        "half_a": DENS_RADIUS,
        "half_b": DENS_RADIUS,
        "taper": 0.1,
    }


def cervical_specs(g: VertebraGeometry, spinous_start: np.ndarray) -> list[tuple[int, dict]]:
    """(part id, bar spec) of every bar of a cervical vertebra but its articular pillars."""
    specs = [(SPINOUS, s) for s in spinous_specs(g, spinous_start)]
    specs += [(TRANSVERSE, transverse_spec(g, side)) for side in (-1, 1)]
    specs += [(BODY, s) for s in uncinate_specs(g)]
    if g.dens_len > 0:
        specs.append((BODY, dens_spec(g)))
    return specs
