"""The VertApp window in a child process, driven like a user, for tests that kill it.

python app_child.py SCAN_A SCAN_B READY_FILE

Opens scan A, draws a polygon, waits for the autosave timer to write it, opens scan B
answering Discard for A's edits, draws, waits for B's autosave, writes READY_FILE and
keeps running until it is killed. Settings and autosaves go to $VERTAPP_CONFIG_DIR.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

from mouse_driver import click  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

TIMEOUT_S = 60.0


def wait_until(app: QApplication, done, what: str) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + TIMEOUT_S
    while not done():
        if time.monotonic() > end:
            sys.exit(f"timed out waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)


def open_scan(app: QApplication, win, path: str) -> None:  # type: ignore[no-untyped-def]
    result: list[bool] = []
    win.loaded.connect(result.append)
    win.open_path(path)
    wait_until(app, lambda: result, f"opening {Path(path).name}")
    win.loaded.disconnect(result.append)
    if result != [True]:
        sys.exit(f"could not open {path}: {win._last_error}")


def draw_triangle(win, at: float) -> None:  # type: ignore[no-untyped-def]
    win.act_draw.trigger()
    for x, y in ((at, at), (at + 30, at), (at + 30, at + 30)):
        click(QTest, win.annot.canvas, x, y)
    win.act_finish.trigger()
    win.act_select.trigger()


def autosaved(win) -> bool:  # type: ignore[no-untyped-def]
    return (win.doc.untitled_autosave_dir() / "project.json").is_file() and (
        win.doc._autosaved_revision == win.doc.project.revision
    )


def main(scan_a: str, scan_b: str, ready: str) -> None:
    from vertapp.gui.window.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    win = MainWindow()
    win.setProperty("headless", True)
    # The user's answers: Discard A's edits when B is opened (nothing else is asked).
    win.ask = lambda title, *_a: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    win.autosave_timer.setInterval(200)  # the real timer, ticking faster than 30 s
    win.resize(1280, 800)
    win.show()
    open_scan(app, win, scan_a)
    draw_triangle(win, 10)
    wait_until(app, lambda: autosaved(win), "the autosave of scan A")
    open_scan(app, win, scan_b)
    draw_triangle(win, 20)
    wait_until(app, lambda: autosaved(win), "the autosave of scan B")
    Path(ready).write_text(str(len(win.doc.current.instances)))
    while True:  # running, as a user would leave it, until killed
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 100)
        QTimer.singleShot(0, lambda: None)
        time.sleep(0.05)


if __name__ == "__main__":
    main(*sys.argv[1:4])
