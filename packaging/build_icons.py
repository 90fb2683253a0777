"""Render the application icon's PNG sizes and Windows .ico from the hand-drawn SVG.

    .venv/bin/python packaging/build_icons.py      (make icons)

The outputs are committed (small), so neither the app nor `make package` needs to
run this; rerun it after editing `vertapp/resources/icons/vertapp.svg`. Each size is
rendered from the vector drawing (QSvgRenderer), not scaled down from 256 px, so the
16 px icon stays sharp; Pillow then packs those renders into the .ico.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from PIL import Image

ICONS = Path(__file__).resolve().parent.parent / "vertapp" / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication(sys.argv[:1])  # QPainter on a QImage wants an application
    svg = ICONS / "vertapp.svg"
    images = []
    for size in SIZES:
        png = render_png(svg, size)
        (ICONS / f"vertapp-{size}.png").write_bytes(png)
        images.append(Image.open(io.BytesIO(png)).convert("RGBA"))
    largest = images[-1]
    largest.save(
        ICONS / "vertapp.ico",
        format="ICO",
        sizes=[(s, s) for s in SIZES],
        append_images=images[:-1],
    )
    for path in sorted(ICONS.iterdir()):
        print(f"{path.name:20s} {path.stat().st_size:7d} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
