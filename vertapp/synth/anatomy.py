"""Random but plausible spine anatomy: per-vertebra sizes, positions and local frames.

Everything a phantom needs is drawn here from one seed, in a fixed order that does not
depend on which levels are rendered, so a partial field of view of seed S shows exactly
the same anatomy as the full T1..L5 phantom of seed S.

Coordinates are LPS millimetres (+x patient left, +y posterior, +z superior). Each
vertebra has a local frame (u lateral, v posterior, w superior) centred on its body;
`frame` holds the world directions of u, v, w as columns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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

# Cervical tables, C2..C7 (mm; adult CT morphometry): bodies low, narrow and shallow (the
# C2 body without its dens), discs ~5 mm (C7/T1 is T1's disc above), a canal wider than
# deep (its inscribed circle `canal_r`, laterally x1.5), short bifid spinous processes up
# to C6 and the long single one of C7 (vertebra prominens), short transverse processes
# pierced by the foramen transversarium (small at C7, which carries no artery). C1, a ring
# round C2's dens, is built from C2 (`_atlas`).
NECK = ("C1", "C2", "C3", "C4", "C5", "C6", "C7")
NECK_HEIGHT = np.array([20.0, 14.5, 14.0, 14.0, 14.0, 15.0])
NECK_DISC_BELOW = np.array([4.5, 5.0, 5.5, 5.5, 5.5])  # C2/C3..C6/C7
NECK_WIDTH = np.array([17.0, 16.5, 17.0, 18.0, 20.0, 23.0])
NECK_DEPTH = np.array([15.5, 15.5, 15.5, 16.0, 16.5, 16.5])
NECK_CANAL_R = np.array([8.5, 8.0, 7.8, 7.8, 7.8, 7.8])
NECK_SPINOUS_LENGTH = np.array([25.0, 14.0, 15.0, 17.0, 22.0, 30.0])
NECK_SPINOUS_SLOPE = np.array([25.0, 30.0, 30.0, 28.0, 25.0, 22.0])
NECK_TRANSVERSE_LENGTH = np.array([10.0, 14.0, 15.0, 16.0, 17.0, 22.0])
NECK_FORAMEN_R = np.array([2.8, 2.8, 2.8, 2.8, 2.8, 1.8])
DENS_LENGTH = 12.0  # C2's dens above its body (plus a rounded tip)
DENS_RADIUS, DENS_TILT_DEG = 5.0, 8.0  # the dens leans back a little
ATLAS_JOINT = 2.5  # C1/C2: joints (the dens and the lateral masses), no disc
NECK_INDEX0 = 20  # index of "C0": C1..C7 are 21..27 (seeds their osteophytes apart)


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
    # cervical only (0 / False elsewhere)
    foramen_r: float = 0.0  # foramen transversarium in each transverse process
    dens_len: float = 0.0  # C2's odontoid process above the body
    bifid: bool = False  # a spinous process split in two tips (C2-C6)

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

    @property
    def is_cervical(self) -> bool:
        return self.name.startswith("C")


@dataclass(frozen=True)
class Anatomy:
    vertebrae: tuple[VertebraGeometry, ...]  # T1..L5, always all 17
    sacrum: tuple[VertebraGeometry, ...]  # S1..S3
    kyphosis_mm: float
    lordosis_mm: float
    scoliosis_mm: float
    trunk_scale: float
    hu_jitter: float
    neck: tuple[VertebraGeometry, ...] = ()  # C1..C7 above T1, drawn only when asked for
    neck_lordosis_deg: float = 0.0  # how far the neck's axis turns back from C7/T1 to C2


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
    neck, neck_lord = _make_neck(seed, verts[0], scale, hu_jitter)
    return Anatomy(
        tuple(verts), sacrum, kyph, lord, scoliosis_mm, trunk_scale, hu_jitter, neck, neck_lord
    )


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


def _make_neck(seed: int, t1: VertebraGeometry, scale: float, jit: float):
    """C2..C7 stacked up from T1's upper endplate along a lordotic arc, C1 round C2's dens,
    and the arc's angle.

    Drawn from a generator of its own, so every draw of `make_anatomy` (and with it every
    phantom without a neck) stays what it was before the neck existed. The arc starts
    leaning forwards: T1's axis (the top of the thoracic kyphosis) plus a kyphotic
    cervicothoracic junction of 6-16 deg, which real necks need because T1 slopes ~25 deg
    where the phantom's T1 leans only 6-13 deg. It then turns back by the lordosis at
    constant curvature (convex anteriorly), so C2 ends up leaning about -15..+15 deg and
    0-30 mm in front of C7, as C2 slope and the C2-C7 offset do in adults.
    """
    rng = np.random.default_rng([seed, 2718])
    n = len(NECK) - 1  # C2..C7 from the tables
    jitter = rng.normal(1.0, 0.03, size=(n, 4))
    lordosis = float(rng.uniform(8.0, 30.0))
    junction = np.deg2rad(rng.uniform(6.0, 16.0))
    cort = rng.normal(880.0, 40.0, size=n) + jit
    canc = rng.normal(0.0, 15.0, size=n) + 275.0  # cervical marrow is denser than lumbar
    axial = rng.normal(0.0, 1.5, size=n)
    heights = NECK_HEIGHT * scale * jitter[:, 0]
    discs = np.append(NECK_DISC_BELOW * scale * jitter[:-1, 1], t1.disc_above)
    # arc length from T1's upper endplate up to each body centre (C7 first)
    s_mid = np.cumsum((discs + heights)[::-1]) - heights[::-1] / 2
    base = t1.center + t1.frame[:, 2] * t1.height / 2
    theta0 = float(np.arctan2(-t1.frame[1, 2], t1.frame[2, 2])) + junction  # forward lean
    kappa = np.deg2rad(lordosis) / float(s_mid[-1])
    verts = []
    for k in range(n):  # C7 (k = 0) up to C2
        i = n - 1 - k
        c, tangent = _arc_point(base, theta0, kappa, float(s_mid[k]))
        verts.append(
            VertebraGeometry(
                name=NECK[i + 1],
                index=NECK_INDEX0 + i + 2,
                center=c,
                frame=_frame(tangent, float(axial[i])),
                height=float(heights[i]),
                width=float(NECK_WIDTH[i] * scale * jitter[i, 2]),
                depth=float(NECK_DEPTH[i] * scale * jitter[i, 3]),
                canal_r=float(NECK_CANAL_R[i] * scale),
                disc_above=float(discs[i - 1]) if i > 0 else ATLAS_JOINT,
                disc_below=float(discs[i]),
                lamina_t=3.5,
                spinous_len=float(NECK_SPINOUS_LENGTH[i] * scale),
                spinous_slope_deg=float(NECK_SPINOUS_SLOPE[i]),
                spinous_half_h=6.0 if i == 0 else (5.0 if i == n - 1 else 3.5),
                transverse_len=float(NECK_TRANSVERSE_LENGTH[i] * scale),
                transverse_back_deg=-20.0 if i < n - 1 else 5.0,  # forwards, C7 lateral
                cortical_hu=float(cort[i]),
                cancellous_hu=float(canc[i]),
                foramen_r=float(NECK_FORAMEN_R[i]),
                dens_len=DENS_LENGTH * scale if i == 0 else 0.0,
                bifid=i < n - 1,
            )
        )
    return (_atlas(verts[-1], scale), *verts[::-1]), lordosis


def _atlas(c2: VertebraGeometry, scale: float) -> VertebraGeometry:
    """C1: a ring without a body round C2's dens. Its "body" is the anterior arch, a short
    elliptic bar in front of the dens at mid-dens height; its canal the ring's opening (the
    dens in front, the cord behind, ~28 mm front to back); lateral masses on C2's superior
    facets (its articular columns), the longest transverse processes of the neck and a
    small posterior tubercle for a spinous process."""
    depth, canal_r = 7.0 * scale, 12.0 * scale
    t = np.deg2rad(DENS_TILT_DEG)  # the dens leans back; the arch sits at its middle
    along = c2.dens_len / 2 + 5.0  # the arch's lower edge ~3 mm above C2's body
    dens_mid = c2.to_world([0.0, np.sin(t) * along, c2.height / 2 - 3.0 + np.cos(t) * along])
    front = depth / 2 + 0.8 * canal_r - canal_r  # the canal's front, from the arch centre
    center = dens_mid - c2.frame[:, 1] * (front + ATLAS_JOINT + DENS_RADIUS)
    return replace(
        c2,
        name="C1",
        index=NECK_INDEX0 + 1,
        center=center,
        height=10.0 * scale,
        width=16.0 * scale,
        depth=depth,
        canal_r=canal_r,
        disc_above=3.0,  # the joints with the skull
        disc_below=ATLAS_JOINT,
        lamina_t=4.5,
        spinous_len=6.0 * scale,
        spinous_slope_deg=0.0,
        spinous_half_h=4.0,
        transverse_len=26.0 * scale,
        transverse_back_deg=0.0,
        foramen_r=0.0,  # its foramina sit in the lateral masses, not modelled
        dens_len=0.0,
        bifid=False,
    )


def _arc_point(base: np.ndarray, theta0: float, kappa: float, s: float):
    """Point and unit tangent at arc length s on the neck arc: in the sagittal plane, the
    tangent leans forwards (towards -y) by theta0 at the base and turns back at curvature
    kappa > 0 (a circle: the integrals of sin and cos of the angle in closed form)."""
    t = theta0 - kappa * s
    dy = (np.cos(theta0) - np.cos(t)) / kappa
    dz = (np.sin(theta0) - np.sin(t)) / kappa
    return base + np.array([0.0, dy, dz]), np.array([0.0, -np.sin(t), np.cos(t)])
