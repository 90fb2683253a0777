"""`MipResult`: everything preprocessing produced, and its `preprocess.json` form.

Coordinates: patient LPS mm. The MIP's row 0 is the most superior slice of the crop,
column 0 the most anterior; the pixel spacing is the resampled spacing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vertapp.annotations.store import atomic_write_chunks
from vertapp.errors import FormatError, InputError
from vertapp.io.volume import Volume
from vertapp.preprocess.crop import Crop, crop_box_lps, mip_affine, to_display
from vertapp.preprocess.params import PreprocessParams
from vertapp.preprocess.resample import Grid

# A MIP pixel below this shows no bone: nothing on its ray reached the bone window (0 HU,
# black) or only a disc or a partial-volume edge did (100-150 HU, near black too). The
# brightest voxel of such a ray is noise in soft tissue, its depth meaningless: a click
# there put the linked cursor in the muscle at the slab's edge. The vertebral bodies'
# cancellous bone shows at 150-250 HU on the TotalSegmentator example: kept as bone.
SHOWN_BONE_HU = 150.0

FORMAT = "vertapp.preprocess"
VERSION = 1
JSON_NAME, PNG_NAME, NPY_NAME, DEPTH_NAME = "preprocess.json", "mip.png", "mip.npy", "mip_depth.npy"


def source_geometry(volume: Volume) -> dict[str, Any]:
    return {
        "shape_zyx": list(volume.shape),
        "spacing_xyz": list(volume.spacing),
        "origin_lps": list(volume.origin),
        "direction": np.asarray(volume.direction).tolist(),
    }


@dataclass
class MipResult:
    mip: np.ndarray  # (rows, cols) float32 HU, 0 outside the window
    mip_u8: np.ndarray  # (rows, cols) uint8 display version
    circles: np.ndarray  # (N, 5) z_mm, x_mm, y_mm, r_mm, cluster
    circle_slice: np.ndarray  # (N,) slice index on the resampled grid
    circle_capped: np.ndarray  # (N,) bool: free space larger than Rmax (not a canal)
    circle_on_track: np.ndarray  # (N,) bool: part of the spine's canal track
    spine_cluster: int  # k-means id chosen as the spine (-1: no canal found)
    cluster_scores: list[float]
    track: np.ndarray  # (nz, 3) z_mm, x_mm, y_mm: canal centre per slice, bridged
    track_detected: np.ndarray  # (nz,) bool: a circle was found on the track there
    crop: Crop
    grid: Grid
    params: PreprocessParams
    source: dict[str, Any]
    depth: np.ndarray | None = None  # (rows, cols) grid x index of the winning voxel
    warnings: list[str] = field(default_factory=list)
    hip_voxels_removed: int = 0  # hip-bone voxels cut out of the crop before projecting
    previews: dict[str, Any] = field(default_factory=dict)  # overview images, not saved

    # -- geometry -------------------------------------------------------------------
    @property
    def affine(self) -> np.ndarray:
        return mip_affine(self.crop, self.grid)

    @property
    def crop_box_lps(self) -> dict[str, list[float]]:
        return crop_box_lps(self.crop, self.grid)

    @property
    def spine_clusters(self) -> list[int]:
        """Every k-means id with a circle on the track (the spine may span several)."""
        return sorted({int(c) for c in self.circles[self.circle_on_track, 4]})

    def mip_to_lps(self, row: float, col: float, depth: str = "track") -> np.ndarray:
        """LPS mm of a MIP pixel; x from the canal track ("track"), the voxel that won the
        projection ("max"), the cuboid centre ("affine"), or what the pixel shows
        ("shown": the winning voxel where it is bone, else `dark_pixel_depth`)."""
        xyz = self.affine @ np.array([row, col, 1.0])
        if depth == "shown":
            depth = "max" if self.shows_bone(row, col) else self.dark_pixel_depth()
        if depth == "affine":
            return xyz
        k = float(np.clip(self.crop.k[1] - 1 - row, 0, self.grid.shape[0] - 1))
        if depth == "max" and self.depth is not None:
            r = int(np.clip(round(row), 0, self.depth.shape[0] - 1))
            c = int(np.clip(round(col), 0, self.depth.shape[1] - 1))
            xyz[0] = self.grid.origin[0] + self.grid.spacing * float(self.depth[r, c])
        else:
            xyz[0] = np.interp(k, np.arange(len(self.track)), self.track[:, 1])
        return xyz

    def shows_bone(self, row: float, col: float) -> bool:
        """Whether the MIP pixel nearest (row, col) shows bone (`SHOWN_BONE_HU`)."""
        r = int(np.clip(round(row), 0, self.mip.shape[0] - 1))
        c = int(np.clip(round(col), 0, self.mip.shape[1] - 1))
        return bool(self.mip[r, c] >= SHOWN_BONE_HU)

    def dark_pixel_depth(self) -> str:
        """The depth of a pixel that shows no bone: its slice's canal track, or the middle
        of the crop where no canal was found (the track is then the body's centre)."""
        return "track" if self.spine_cluster >= 0 and len(self.track) else "affine"

    def lps_to_mip(self, xyz: np.ndarray | tuple[float, float, float]) -> tuple[float, float]:
        """(row, col) of the MIP pixel an LPS point projects onto (x is dropped)."""
        a = self.affine
        x, y, z = (float(v) for v in xyz)
        return (z - a[2, 2]) / a[2, 0], (y - a[1, 2]) / a[1, 1]

    def mip_to_source_index(self, row: float, col: float, depth: str = "track") -> np.ndarray:
        """Continuous (k, j, i) index in the *input* volume of a MIP pixel: k is its slice."""
        xyz = self.mip_to_lps(row, col, depth)
        d = np.asarray(self.source["direction"], dtype=float)
        m = d @ np.diag(self.source["spacing_xyz"])
        ijk = np.linalg.solve(m, xyz - np.asarray(self.source["origin_lps"]))
        return ijk[::-1]

    # -- serialisation --------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        slices = []
        for k in range(len(self.track)):
            sel = np.flatnonzero(self.circle_slice == k)
            slices.append(
                {
                    "slice": k,
                    "z_mm": round(float(self.track[k, 0]), 3),
                    "track_x_mm": round(float(self.track[k, 1]), 3),
                    "track_y_mm": round(float(self.track[k, 2]), 3),
                    "detected": bool(self.track_detected[k]),
                    "circles": [
                        {
                            "x_mm": round(float(self.circles[i, 1]), 3),
                            "y_mm": round(float(self.circles[i, 2]), 3),
                            "r_mm": round(float(self.circles[i, 3]), 3),
                            "cluster": int(self.circles[i, 4]),
                            "capped": bool(self.circle_capped[i]),
                            "on_track": bool(self.circle_on_track[i]),
                        }
                        for i in sel
                    ],
                }
            )
        rows, cols = self.mip.shape
        return {
            "format": FORMAT,
            "version": VERSION,
            "params": self.params.to_dict(),
            "source": self.source,
            "grid": self.grid.to_dict(),
            "mip": {
                "shape": [rows, cols],
                "pixel_spacing_mm": self.grid.spacing,
                "rows": "z, head up (row 0 most superior)",
                "cols": "y, anterior left (col 0 most anterior)",
                "png": PNG_NAME,
                "npy": NPY_NAME,
                "depth_npy": DEPTH_NAME,
            },
            "affine": self.affine.tolist(),
            "affine_doc": "LPS mm (x, y, z) = affine @ (row, col, 1); x = crop centre",
            "crop_box_lps": self.crop_box_lps,
            "crop": self.crop.to_dict(),
            "k_clusters": self.params.k_clusters,
            "cluster_ids": "k-means ids ordered by mean x (patient right to left)",
            "cluster_scores": [round(float(s), 3) for s in self.cluster_scores],
            "spine_cluster": self.spine_cluster,
            "spine_clusters": self.spine_clusters,
            "hip_voxels_removed": self.hip_voxels_removed,
            "slices": slices,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(
        cls, data: dict[str, Any], mip: np.ndarray | None = None, depth: np.ndarray | None = None
    ) -> MipResult:
        if data.get("format") != FORMAT:
            raise FormatError(f"not a {FORMAT} file (format={data.get('format')!r})")
        params = PreprocessParams.from_dict(data["params"])
        rows = [(s["slice"], c) for s in data["slices"] for c in s["circles"]]
        circles = np.array(
            [[_slice_z(data, k), c["x_mm"], c["y_mm"], c["r_mm"], c["cluster"]] for k, c in rows]
        ).reshape(-1, 5)
        track = np.array([[s["z_mm"], s["track_x_mm"], s["track_y_mm"]] for s in data["slices"]])
        if mip is None:
            mip = np.zeros(tuple(data["mip"]["shape"]), np.float32)
        return cls(
            mip=mip.astype(np.float32),
            mip_u8=to_display(mip, params.hu_max),
            circles=circles,
            circle_slice=np.array([k for k, _ in rows], dtype=int),
            circle_capped=np.array([c["capped"] for _, c in rows], dtype=bool),
            circle_on_track=np.array([c["on_track"] for _, c in rows], dtype=bool),
            spine_cluster=int(data["spine_cluster"]),
            cluster_scores=[float(s) for s in data["cluster_scores"]],
            track=track.reshape(-1, 3),
            track_detected=np.array([s["detected"] for s in data["slices"]], dtype=bool),
            crop=Crop.from_dict(data["crop"]),
            grid=Grid.from_dict(data["grid"]),
            params=params,
            source=data["source"],
            depth=depth,
            warnings=list(data.get("warnings", [])),
            hip_voxels_removed=int(data.get("hip_voxels_removed", 0)),
        )

    def save(self, folder: str | Path) -> Path:
        """Write mip.png, mip.npy, mip_depth.npy and, last, preprocess.json into `folder`.

        Each file is written to a temp file beside it and renamed into place, so none is
        ever half-written. preprocess.json is the set's commit mark: an old one is removed
        before the first of the new files replaces an old file, and the new one is written
        only once all of them are in place. A save killed part-way therefore leaves either
        the previous set or a folder without preprocess.json, never a preprocess.json
        beside arrays it does not describe.
        """
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        meta = out / JSON_NAME

        def drop_old_json(_sha: str) -> None:  # before anything of the old set changes
            meta.unlink(missing_ok=True)

        write_image(out / PNG_NAME, self.mip_u8, before_replace=drop_old_json)
        _write_npy(out / NPY_NAME, self.mip.astype(np.float32))
        if self.depth is not None:
            _write_npy(out / DEPTH_NAME, self.depth)
        else:
            (out / DEPTH_NAME).unlink(missing_ok=True)  # an older run's, not this result's
        text = json.dumps(self.to_json(), indent=1)
        _write_bytes(meta, text.encode("utf-8"))
        return meta

    @classmethod
    def load(cls, folder: str | Path) -> MipResult:
        folder = Path(folder)
        path = folder / JSON_NAME
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise FormatError(f"{path}: cannot read preprocess JSON ({err})") from err
        mip = _read_npy(folder / NPY_NAME)
        depth = _read_npy(folder / DEPTH_NAME)
        try:
            shape = tuple(int(n) for n in data["mip"]["shape"])
        except (KeyError, TypeError, ValueError) as err:
            raise FormatError(f"{path}: malformed preprocess JSON ({err})") from err
        for name, arr in ((NPY_NAME, mip), (DEPTH_NAME, depth)):
            if arr is not None and arr.shape != shape:
                raise FormatError(
                    f"{folder / name}: shape {list(arr.shape)} does not match the MIP shape "
                    f"{list(shape)} in {JSON_NAME} (files of two different runs?); "
                    "run the preprocessing again"
                )
        try:
            return cls.from_json(data, mip, depth)
        except (KeyError, TypeError, ValueError) as err:
            raise FormatError(f"{path}: malformed preprocess JSON ({err})") from err


def _write_bytes(
    path: Path, data: bytes, before_replace: Callable[[str], None] | None = None
) -> None:
    """Atomic write (temp file beside `path`, fsync, rename); InputError on failure."""
    try:
        atomic_write_chunks(path, (data,), before_replace=before_replace)
    except OSError as err:
        raise InputError(f"{path}: cannot write ({err.strerror or err})") from err


def write_image(
    path: str | Path, image: np.ndarray, before_replace: Callable[[str], None] | None = None
) -> Path:
    """Encode `image` (cv2: the format from the path's extension) and write it atomically:
    a crash leaves the previous file or the new one, never half an image."""
    path = Path(path)
    try:
        ok, buf = cv2.imencode(path.suffix or ".png", image)
    except cv2.error as err:
        raise InputError(f"{path}: cannot encode the image ({err})") from err
    if not ok:
        raise InputError(f"{path}: cannot encode the image")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_bytes(path, buf.tobytes(), before_replace)
    return path


def _write_npy(path: Path, array: np.ndarray) -> None:
    buf = io.BytesIO()
    np.save(buf, array)
    _write_bytes(path, buf.getvalue())


def _read_npy(path: Path) -> np.ndarray | None:
    if not path.exists():
        return None
    try:
        return np.load(path)
    except (OSError, ValueError, EOFError) as err:
        raise FormatError(f"{path}: cannot read ({err})") from err


def _slice_z(data: dict[str, Any], k: int) -> float:
    return float(data["slices"][k]["z_mm"])
