"""The fused image the surgeons see, and a checkerboard to verify the alignment by eye.

Fused: the low-dose image with every aligned (or fallback) high-dose ZOI warped into place.
The high-dose grey values are first mapped onto the low-dose grey scale by a linear fit
over the ZOI, then blended through a feathered mask (the warped ZOI blurred over a few
pixels), so no seam shows at the edge.

Vertebrae that a similarity cannot place keep their low-dose pixels (`left_out`): failed
ones, and ones warned for torsion or an inconsistent placement (`consistency.py`), unless
the user asks for the warned ones too (`fuse_warned`: `--fuse-warned`, the window's
"Fuse warned vertebrae too"). A vertebra placed by hand is fused.
"""

from __future__ import annotations

import cv2
import numpy as np

from vertapp.xray.align import Alignment, VertebraAlignment
from vertapp.xray.consistency import INCONSISTENT
from vertapp.xray.similarity import apply_matrix
from vertapp.xray.zoi import Zoi

FEATHER_FRACTION = 0.06  # edge blend width, share of the ZOI size
TORSION = "torsion"  # warnings naming it are torsion warnings (vertapp.xray.torsion)
# warnings that say a similarity does not explain the vertebra, and their short names
UNPLACEABLE = ((TORSION, "possible torsion"), (INCONSISTENT, INCONSISTENT))


def left_out(v: VertebraAlignment, fuse_warned: bool = False) -> str:
    """Why `v` keeps its low-dose pixels in the fused image ("failed", "possible torsion",
    "inconsistent placement"); "" when it is fused. See the module doc."""
    if v.status == "failed":
        return "failed"
    if v.by_hand or fuse_warned:
        return ""
    found = [short for word, short in UNPLACEABLE if any(word in w for w in v.warnings)]
    return ", ".join(found)


def left_out_note(result: Alignment, fuse_warned: bool = False) -> str:
    """One sentence naming the vertebrae left out of the fused image and why; "" if none."""
    out = [(v.level, left_out(v, fuse_warned)) for v in result.vertebrae]
    out = [(level, why) for level, why in out if why]
    if not out:
        return ""
    names = ", ".join(f"{level} ({why})" for level, why in out)
    hint = (
        ""
        if fuse_warned or all(why == "failed" for _, why in out)
        else ("; --fuse-warned (the window: Fuse warned vertebrae too) fuses the warned ones")
    )
    return f"fused image: {names} {keep_words(len(out))}{hint}"


def keep_words(n: int) -> str:
    """The verb of `left_out_note` for `n` vertebrae ("L3 (failed) keep their" read wrong)."""
    return "keeps its low-dose pixels" if n == 1 else "keep their low-dose pixels"


def fuse(
    low: np.ndarray,
    high: np.ndarray,
    result: Alignment,
    high_zois: dict[str, Zoi],
    fuse_warned: bool = False,
) -> np.ndarray:
    """Float32 image on the low-dose grey scale; see the module doc."""
    out = np.asarray(low, np.float32).copy()
    high_f = np.asarray(high, np.float32)
    for v in result.vertebrae:
        if left_out(v, fuse_warned):
            continue
        zoi = high_zois[v.level]
        sigma = max(1.0, FEATHER_FRACTION * zoi.size_px)
        box = _target_box(zoi, v.matrix, int(np.ceil(3 * sigma)) + 2, out.shape)
        x0, y0, x1, y1 = box
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        warped, alpha = _warped_zoi(high_f, zoi, v.matrix, box, sigma)
        region = out[y0:y1, x0:x1]
        inside = alpha > 0.5
        if np.count_nonzero(inside) < 3:
            continue
        gain, offset = np.polyfit(warped[inside], region[inside], 1)
        out[y0:y1, x0:x1] = alpha * (gain * warped + offset) + (1.0 - alpha) * region
    return out


def _target_box(
    zoi: Zoi, matrix: np.ndarray, pad: int, shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    """Where `matrix` puts the ZOI's box, padded for the feathered edge, inside the image."""
    x, y, w, h = zoi.bbox
    pts = apply_matrix(matrix, np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]))
    return (
        max(int(np.floor(pts[:, 0].min())) - pad, 0),
        max(int(np.floor(pts[:, 1].min())) - pad, 0),
        min(int(np.ceil(pts[:, 0].max())) + pad, int(shape[1])),
        min(int(np.ceil(pts[:, 1].max())) + pad, int(shape[0])),
    )


def _warped_zoi(
    high: np.ndarray, zoi: Zoi, matrix: np.ndarray, box: tuple[int, int, int, int], sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """The high-dose image and the feathered ZOI mask warped into `box` of the low image."""
    x0, y0, x1, y1 = box
    to_box = np.asarray(matrix, np.float64).copy()
    to_box[:, 2] -= (x0, y0)
    size = (x1 - x0, y1 - y0)
    img = cv2.warpAffine(high, to_box, size, flags=cv2.INTER_LINEAR)
    bx, by, _, _ = zoi.bbox
    from_patch = to_box.copy()
    from_patch[:, 2] += to_box[:, :2] @ np.array([bx, by], np.float64)
    mask = cv2.warpAffine(
        zoi.patch(zoi.mask).astype(np.float32), from_patch, size, flags=cv2.INTER_LINEAR
    )
    return img, np.clip(cv2.GaussianBlur(mask, (0, 0), sigma), 0.0, 1.0)


def checkerboard(low: np.ndarray, fused: np.ndarray, tile: int) -> np.ndarray:
    """Alternating tiles of the low-dose and the fused image: misaligned edges break at the
    tile borders."""
    rows, cols = np.indices(low.shape[:2])
    pick = ((rows // tile) + (cols // tile)) % 2 == 1
    return np.where(pick, fused, np.asarray(low, np.float32))


def same_scale(image: np.ndarray, like: np.ndarray) -> np.ndarray:
    """`image` in `like`'s own pixel type and grey scale when that is 8 or 16 bit (the fused
    image then reads like the low-dose file it replaces); otherwise stretched to 16 bits."""
    if like.dtype in (np.uint8, np.uint16):
        top = np.iinfo(like.dtype).max
        return np.clip(np.round(image), 0, top).astype(like.dtype)
    return to_display(image, like, 16)


def to_display(image: np.ndarray, reference: np.ndarray, bits: int = 8) -> np.ndarray:
    """Image on `reference`'s 0.5-99.5 % grey range, as uint8 (or uint16 for bits > 8)."""
    lo, hi = np.percentile(reference, [0.5, 99.5])
    top = 255 if bits <= 8 else 65535
    scaled = (np.asarray(image, np.float64) - lo) / max(hi - lo, 1e-12) * top
    return np.clip(np.round(scaled), 0, top).astype(np.uint8 if bits <= 8 else np.uint16)


# BGR outline colours and the words the legend gives them
COLOURS = {
    "aligned": ((0, 200, 0), "aligned"),
    "by hand": ((255, 160, 0), "by hand"),
    "fallback": ((0, 220, 255), "fallback"),
    "warned": ((0, 140, 255), "warned"),
    "failed": ((0, 0, 255), "failed"),
}


def check_kind(v: VertebraAlignment) -> str:
    """How the check image draws `v`: failed, warned (any warning but a fallback's own
    note), fallback, by hand or aligned."""
    if v.status == "failed":
        return "failed"
    if v.by_hand:
        return "by hand"
    if v.warnings[1 if v.status == "fallback" else 0 :]:
        return "warned"
    return v.status


def outline(
    display: np.ndarray,
    result: Alignment,
    high_zois: dict[str, Zoi],
    fuse_warned: bool = False,
) -> np.ndarray:
    """Colour copy with each placed ZOI outlined (`COLOURS`: green aligned, blue by hand,
    yellow fallback, amber warned, red failed), its level written beside it in the same
    colour ("not fused" where it kept its low-dose pixels), and a legend at the top left."""
    grey = display if display.dtype == np.uint8 else (display // 257).astype(np.uint8)
    rgb = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    size = (int(grey.shape[1]), int(grey.shape[0]))
    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = max(0.35, min(size) / 900)
    thick = max(1, int(round(scale * 2)))
    for v in result.vertebrae:
        colour = COLOURS[check_kind(v)][0]
        mask = cv2.warpAffine(high_zois[v.level].mask.astype(np.uint8), v.matrix, size)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(rgb, contours, -1, colour, thick)
        if not contours:
            continue
        x, y, w, h = cv2.boundingRect(np.vstack(contours))
        text = v.level + (" not fused" if left_out(v, fuse_warned) else "")
        (tw, _), _ = cv2.getTextSize(text, font, scale, thick)
        tx = x + w + 4 if x + w + 4 + tw < size[0] else max(x - tw - 4, 0)
        _label(rgb, text, (tx, y + h // 2), font, scale, colour, thick)
    used = [kind for kind in COLOURS if any(check_kind(v) == kind for v in result.vertebrae)]
    line = int(30 * scale) + 4
    for i, kind in enumerate(used):
        _label(rgb, COLOURS[kind][1], (6, line * (i + 1)), font, scale, COLOURS[kind][0], thick)
    return rgb


def _label(
    rgb: np.ndarray,
    text: str,
    at: tuple[int, int],
    font: int,
    scale: float,
    colour: tuple[int, int, int],
    thick: int,
) -> None:
    """`text` in `colour` on a dark outline, readable on any grey."""
    cv2.putText(rgb, text, at, font, scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
    cv2.putText(rgb, text, at, font, scale, colour, thick, cv2.LINE_AA)
