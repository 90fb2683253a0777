"""The two image types every other layer consumes.

`Volume`: a CT in DICOM LPS patient coordinates. The array is indexed
`[z, y, x]` (numpy order) and holds int16 Hounsfield units. Geometry follows
ITK's convention, given in *x, y, z* order because it describes patient space:

    lps_mm = origin + direction @ (spacing * [i, j, k])     with i=x, j=y, k=z index

After loading, the volume is reoriented so `direction` is the identity or
close to it (an oblique or tilted acquisition keeps its small rotation):
index x grows to the patient's left, y to posterior, z to superior.

`warnings` are doubts about the data that the user must look at before annotating (not a
CT, odd geometry, slices missing); `notes` are facts that change nothing for the user
(float values rounded to whole HU, a PNG that records no pixel size): the window logs
them and says them in the status bar, never in its warning bar or a message box.

No patient identifiers live here. Readers fill `identifiers` only when the
caller opts in (`keep_identifiers=True`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class Volume:
    array: np.ndarray  # (z, y, x) int16 HU
    spacing: tuple[float, float, float]  # (x, y, z) mm
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)  # LPS mm of voxel [0, 0, 0]
    direction: np.ndarray = field(default_factory=lambda: np.eye(3))  # columns: i, j, k axes
    modality: str = "CT"
    series_description: str = ""
    source: str = ""  # path it was read from (never used in exports)
    warnings: list[str] = field(default_factory=list)  # doubts the user must look at
    notes: list[str] = field(default_factory=list)  # information only: log and status bar
    other_series: list[str] = field(default_factory=list)  # descriptions, no identifiers
    identifiers: dict[str, Any] = field(default_factory=dict)  # empty unless opted in

    def __post_init__(self) -> None:
        self.direction = np.asarray(self.direction, dtype=float).reshape(3, 3)
        self.spacing = tuple(float(s) for s in self.spacing)  # type: ignore[assignment]
        self.origin = tuple(float(o) for o in self.origin)  # type: ignore[assignment]
        if self.array.ndim != 3:
            raise ValueError(f"Volume array must be 3-D (z, y, x), got shape {self.array.shape}")

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.array.shape)  # type: ignore[return-value]

    @property
    def spacing_zyx(self) -> tuple[float, float, float]:
        x, y, z = self.spacing
        return (z, y, x)

    @property
    def orientation_code(self) -> str:
        """Three letters naming where index x, y, z point (e.g. 'LPS')."""
        letters = (("L", "R"), ("P", "A"), ("S", "I"))
        code = []
        for axis in range(3):
            v = self.direction[:, axis]
            dom = int(np.argmax(np.abs(v)))
            code.append(letters[dom][0] if v[dom] > 0 else letters[dom][1])
        return "".join(code)

    def affine(self) -> np.ndarray:
        """4x4 matrix mapping homogeneous index (x, y, z, 1) to LPS mm."""
        a = np.eye(4)
        a[:3, :3] = self.direction @ np.diag(self.spacing)
        a[:3, 3] = self.origin
        return a

    def index_to_lps(self, zyx: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """(..., 3) voxel indices in (z, y, x) order -> (..., 3) LPS mm (x, y, z)."""
        idx = np.asarray(zyx, dtype=float)[..., ::-1]
        return idx @ (self.direction @ np.diag(self.spacing)).T + np.asarray(self.origin)

    def lps_to_index(self, xyz: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """(..., 3) LPS mm -> (..., 3) continuous voxel indices in (z, y, x) order."""
        m = np.linalg.inv(self.direction @ np.diag(self.spacing))
        idx = (np.asarray(xyz, dtype=float) - np.asarray(self.origin)) @ m.T
        return idx[..., ::-1]

    def describe(self) -> str:
        z, y, x = self.shape
        sx, sy, sz = self.spacing
        return (
            f"{self.modality} {x}x{y}x{z} @ {sx:.2f}x{sy:.2f}x{sz:.2f} mm {self.orientation_code}"
        )


@dataclass
class Radiograph:
    """A 2D projection image (DX/CR/plain image file).

    `array` is (rows, cols), float32, with *higher values = more attenuation*
    (bone bright), whatever the file's photometric interpretation was.
    """

    array: np.ndarray
    pixel_spacing: tuple[float, float] | None = None  # (row, col) mm, None when unknown
    modality: str = "DX"
    bits_stored: int = 8
    source: str = ""
    warnings: list[str] = field(default_factory=list)  # doubts the user must look at
    notes: list[str] = field(default_factory=list)  # information only: log and status bar
    identifiers: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.array.ndim != 2:
            raise ValueError(f"Radiograph array must be 2-D, got shape {self.array.shape}")

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.array.shape[0]), int(self.array.shape[1]))


def display_name(path: str | Path) -> str:
    """A name for window titles and logs that carries no identifier: the file or folder name."""
    return Path(path).name
