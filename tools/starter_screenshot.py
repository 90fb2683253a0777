"""Screenshot of the demo as `make run` opens it: the starter model's predictions on the
demo's unlabelled spine, waiting for review.

    .venv/bin/python tools/starter_screenshot.py [--demo DIR] [--out docs/img/demo_starter.png]

`--demo`: a demo project already built by `vertapp demo --no-gui` (with the starter
installed or VERTAPP_STARTER_MODEL set); else one is built in a temporary folder. The
window shows the image holding predictions, at the review slider's default threshold.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ml_screenshots as shots  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "demo_starter.png")
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    demo = args.demo
    if demo is None:
        demo = shots._scratch() / "demo"
        cmd = [sys.executable, "-m", "vertapp", "demo", "--out", str(demo), "--no-gui"]
        subprocess.run(cmd, check=True)
    window = shots._window(demo)
    shots._wait(lambda: not window.busy(), 120)
    predicted = [
        img.id
        for img in window.doc.project.images.values()
        if any(i.source == "predicted" for i in img.instances)
    ]
    if not predicted:
        raise SystemExit(f"{demo}: no predicted instances (is the starter model installed?)")
    window.doc.set_current(predicted[0])
    shots._wait(lambda: not window.busy() and window.axial.volume is not None, 120)
    shots._grab(window, args.out)
    window.doc.stack.setClean()
    window.close()
    app.quit()


if __name__ == "__main__":
    main()
