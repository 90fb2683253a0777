"""Random but plausible spine anatomy: per-vertebra sizes, positions and local frames.

Everything a phantom needs is drawn here from one seed, in a fixed order that does not
depend on which levels are rendered, so a partial field of view of seed S shows exactly
the same anatomy as the full T1..L5 phantom of seed S.

Coordinates are LPS millimetres (+x patient left, +y posterior, +z superior). Each
vertebra has a local frame (u lateral, v posterior, w superior) centred on its body;
`frame` holds the world directions of u, v, w as columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vertapp.labels import VERTEBRAE

# Anatomical tables, T1..L5 (mm). Heights 17-28 mm, discs 4-10 mm (disc below each level),
# widths/depths of the body, canal radius (thoracic narrower than lumbar).
BODY_HEIGHT = np.array(
    [17, 17.5, 18, 18.5, 19, 19.5, 20, 20.5, 21, 22, 23, 24, 25, 26, 27, 27.5, 28.0]
)
DISC_BELOW = np.array([4, 4, 4.2, 4.5, 4.8, 5, 5.3, 5.6, 6, 6.3, 6.6, 7, 8, 9, 9.5, 10, 10.0])
BODY_WIDTH = np.array([28, 28, 29, 30, 31, 32, 33, 34, 35, 37, 39, 41, 43, 45, 47, 49, 50.0])
BODY_DEPTH = np.array([16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 28, 29, 30, 31, 33, 34.0])
CANAL_RADIUS = np.array([8, 7.5, 7, 7, 7, 7, 7, 7, 7.2, 7.5, 7.8, 8, 8.5, 9, 9.5, 10, 10.0])
# Spinous process: length (mm) and downward slope (deg): steep and shingled mid-thoracic,
# nearly horizontal and tall in the lumbar spine.
SPINOUS_LENGTH = np.array([32, 34, 35, 35, 35, 35, 35, 34, 33, 32, 31, 30, 30, 31, 31, 29, 26.0])
SPINOUS_SLOPE = np.array([20, 30, 40, 50, 55, 58, 58, 55, 50, 42, 32, 24, 12, 10, 8, 8, 10.0])
# Transverse process: length from the arch (mm) and backward angle (deg).
TRANSVERSE_LENGTH = np.array([22, 21, 20, 20, 19, 19, 18, 18, 17, 16, 13, 10, 16, 20, 25, 22, 20.0])
TRANSVERSE_BACK = np.array([30, 32, 35, 38, 40, 40, 40, 40, 38, 35, 30, 20, 5, 5, 5, 5, 8.0])
DISC_ABOVE_T1 = 4.0
N_LEVELS = len(VERTEBRAE)


@dataclass(frozen=True)
class VertebraGeometry:
    """One vertebra (or a sacral segment when `name` starts with 'S')."""

    name: str
    index: int  # 0..16 for T1..L5, 17.. for sacral segments
    center: np.ndarray  # (3,) LPS mm, centre of the body
    frame: np.ndarray  # (3, 3) columns u, v, w in LPS
    height: float
    width: float
    depth: float
    canal_r: float
    disc_above: float
    disc_below: float
    lamina_t: float  # thickness of the posterior ring (mm)
    spinous_len: float
    spinous_slope_deg: float
    spinous_half_h: float
    transverse_len: float
    transverse_back_deg: float
    cortical_hu: float
    cancellous_hu: float

    @property
    def canal_v(self) -> float:
        """Local v of the canal axis: the canal touches the back of the body."""
        return self.depth / 2 + 0.8 * self.canal_r

    def canal_point(self) -> np.ndarray:
        return self.center + self.frame[:, 1] * self.canal_v

    def to_world(self, uvw: np.ndarray | list[float]) -> np.ndarray:
        return self.center + np.asarray(uvw, dtype=float) @ self.frame.T

    @property
    def is_lumbar(self) -> bool:
        return self.name.startswith("L")

    @property
    def is_sacral(self) -> bool:
        return self.name.startswith("S")


@dataclass(frozen=True)
class Anatomy:
    vertebrae: tuple[VertebraGeometry, ...]  # T1..L5, always all 17
    sacrum: tuple[VertebraGeometry, ...]  # S1..S3
    kyphosis_mm: float
    lordosis_mm: float
    scoliosis_mm: float
    trunk_scale: float
    hu_jitter: float


def _curve(z_top: float, z_bottom: float, z_tl: float, kyph: float, lord: float, scol: float):
    """Body-centre track x(z), y(z) and its slope: scoliosis (one lateral arc over T1..L5),
    thoracic kyphosis (posterior bulge) and lumbar lordosis (anterior bulge)."""

    def xy(z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        t = np.clip((z_top - z) / (z_top - z_bottom), 0.0, 1.0)
        x = scol * np.sin(np.pi * t)
        tt = np.clip((z_top - z) / (z_top - z_tl), 0.0, 1.0)
        tl = np.clip((z_tl - z) / (z_tl - z_bottom), 0.0, 1.0)
        y = 40.0 + kyph * np.sin(np.pi * tt) - lord * np.sin(np.pi * tl) - 15.0 * tl
        return np.stack([x, y], axis=-1)

    return xy


def _frame(tangent: np.ndarray, axial_deg: float) -> np.ndarray:
    """Columns u, v, w: w along the spine, u as close to +x as possible, then rotated
    about w by the axial rotation (scoliotic vertebrae turn towards the convexity)."""
    w = tangent / np.linalg.norm(tangent)
    u0 = np.array([1.0, 0.0, 0.0]) - w[0] * w
    u0 /= np.linalg.norm(u0)
    v0 = np.cross(w, u0)
    g = np.deg2rad(axial_deg)
    u = np.cos(g) * u0 + np.sin(g) * v0
    v = -np.sin(g) * u0 + np.cos(g) * v0
    return np.stack([u, v, w], axis=1)


def make_anatomy(seed: int, scoliosis_mm: float = 0.0) -> Anatomy:
    rng = np.random.default_rng([seed, 7331])
    scale = rng.uniform(0.94, 1.06)
    jitter = rng.normal(1.0, 0.025, size=(N_LEVELS, 4))
    kyph = rng.uniform(8.0, 26.0)
    lord = rng.uniform(6.0, 16.0)
    trunk_scale = rng.uniform(0.92, 1.1)
    hu_jitter = rng.uniform(-40.0, 40.0)
    cort = rng.normal(850.0, 40.0, size=N_LEVELS) + hu_jitter
    canc = rng.normal(0.0, 15.0, size=N_LEVELS) + np.linspace(260.0, 190.0, N_LEVELS)
    axial_noise = rng.normal(0.0, 1.0, size=N_LEVELS)

    heights = BODY_HEIGHT * scale * jitter[:, 0]
    discs = DISC_BELOW * scale * jitter[:, 1]
    # z of body centres, T1 superior endplate at z = 0 and going down
    tops = -np.concatenate([[0.0], np.cumsum(heights + discs)[:-1]])
    centers_z = tops - heights / 2
    z_top, z_bottom = 0.0, tops[-1] - heights[-1]
    z_tl = centers_z[11] - heights[11] / 2 - discs[11] / 2  # thoracolumbar junction
    xy = _curve(z_top, z_bottom, z_tl, kyph, lord, scoliosis_mm)

    verts = []
    for i, name in enumerate(VERTEBRAE):
        z = centers_z[i]
        c = np.array([*xy(z), z])
        d = (xy(z + 0.5) - xy(z - 0.5)) / 1.0
        axial = float(np.clip(0.15 * c[0], -12.0, 12.0) + axial_noise[i])
        lumbar = i >= 12
        verts.append(
            VertebraGeometry(
                name=name,
                index=i,
                center=c,
                frame=_frame(np.array([d[0], d[1], 1.0]), axial),
                height=float(heights[i]),
                width=float(BODY_WIDTH[i] * scale * jitter[i, 2]),
                depth=float(BODY_DEPTH[i] * scale * jitter[i, 3]),
                canal_r=float(CANAL_RADIUS[i] * scale),
                disc_above=float(DISC_ABOVE_T1 * scale if i == 0 else discs[i - 1]),
                disc_below=float(discs[i]),
                lamina_t=6.5 if lumbar else 5.0,
                spinous_len=float(SPINOUS_LENGTH[i] * scale),
                spinous_slope_deg=float(SPINOUS_SLOPE[i]),
                spinous_half_h=9.0 if lumbar else 4.5,
                transverse_len=float(TRANSVERSE_LENGTH[i] * scale),
                transverse_back_deg=float(TRANSVERSE_BACK[i]),
                cortical_hu=float(cort[i]),
                cancellous_hu=float(canc[i]),
            )
        )
    sacrum = _make_sacrum(verts[-1], scale, float(cort[-1]), hu_jitter)
    return Anatomy(tuple(verts), sacrum, kyph, lord, scoliosis_mm, trunk_scale, hu_jitter)


def _make_sacrum(l5: VertebraGeometry, scale: float, cort: float, jit: float):
    """S1..S3: shrinking fused segments whose axis tilts ever more posteriorly going down."""
    dims = [
        (24.0, 46.0, 30.0, 8.0, 30.0),
        (20.0, 36.0, 22.0, 7.0, 45.0),
        (16.0, 28.0, 16.0, 6.0, 58.0),
    ]
    segs = []
    prev_c, prev_w, prev_h = l5.center, l5.frame[:, 2], l5.height
    gap = l5.disc_below
    for k, (h, wd, dp, r, tilt) in enumerate(dims):
        h, wd, dp, r = h * scale, wd * scale, dp * scale, r * scale
        t = np.deg2rad(tilt)
        w_axis = np.array([l5.frame[0, 2], -np.sin(t), np.cos(t)])
        c = prev_c - prev_w * (prev_h / 2 + gap) - w_axis / np.linalg.norm(w_axis) * (h / 2)
        frame = _frame(w_axis, 0.0)
        segs.append(
            VertebraGeometry(
                name=f"S{k + 1}",
                index=N_LEVELS + k,
                center=c,
                frame=frame,
                height=h,
                width=wd,
                depth=dp,
                canal_r=r,
                disc_above=gap,
                disc_below=2.0,
                lamina_t=5.0,
                spinous_len=12.0,
                spinous_slope_deg=20.0,
                spinous_half_h=h / 2 - 1,
                transverse_len=0.0,
                transverse_back_deg=0.0,
                cortical_hu=cort - 100,
                cancellous_hu=180.0 + jit / 4,
            )
        )
        prev_c, prev_w, prev_h, gap = c, frame[:, 2], h, 2.0
    return tuple(segs)
