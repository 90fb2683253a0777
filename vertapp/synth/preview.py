"""A PNG montage of a phantom (axial, sagittal, coronal) for eyeballing the anatomy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from vertapp.synth.ct_phantom import CTPhantom


def _window(a: np.ndarray, lo: float = -400.0, hi: float = 1200.0) -> np.ndarray:
    return (np.clip((a - lo) / (hi - lo), 0, 1) * 255).astype(np.uint8)


def _iso(img: np.ndarray, row_mm: float, col_mm: float, mm: float = 1.0) -> np.ndarray:
    return ndimage.zoom(img.astype(np.float32), (row_mm / mm, col_mm / mm), order=1)


def preview_images(ph: CTPhantom, level: str | None = None) -> list[np.ndarray]:
    """Axial slice through `level`'s arch (default: the middle level), then a curved
    sagittal reformat through the canal axis and a curved coronal reformat through the
    vertebral bodies (each slice sampled where the spine is on it); head up."""
    vol = ph.volume
    a = vol.array.astype(np.float32)
    sx, sy, sz = vol.spacing
    level = level or ph.levels[len(ph.levels) // 2]
    kz = int(np.clip(round(vol.lps_to_index(ph.body_centres[level])[0]), 0, a.shape[0] - 1))
    near = np.flatnonzero(np.isfinite(ph.canal[:, 0]))
    if near.size:
        kz = int(near[np.argmin(np.abs(near - kz))])
    slices = np.arange(a.shape[0])
    cols = np.clip(
        np.rint((ph.canal_axis[:, 0] - vol.origin[0]) / sx).astype(int), 0, a.shape[2] - 1
    )
    names = list(ph.body_centres)
    cz = np.array([ph.body_centres[n][2] for n in names])[::-1]
    cy = np.array([ph.body_centres[n][1] for n in names])[::-1]
    body_y = np.interp(ph.z_mm, cz, cy)
    rows = np.clip(np.rint((body_y - vol.origin[1]) / sy).astype(int), 0, a.shape[1] - 1)
    axial = _iso(a[kz], sy, sx)
    sagittal = _iso(a[slices, :, cols][::-1], sz, sy)
    coronal = _iso(a[slices, rows, :][::-1], sz, sx)
    return [_window(axial), _window(sagittal), _window(coronal)]


def save_preview(ph: CTPhantom, path: str | Path, level: str | None = None) -> Path:
    imgs = preview_images(ph, level)
    h = max(i.shape[0] for i in imgs)
    pad = [np.pad(i, ((0, h - i.shape[0]), (0, 8)), constant_values=0) for i in imgs]
    Image.fromarray(np.concatenate(pad, axis=1)).save(path)
    return Path(path)
