"""Screenshots of Help > About (both tabs) and the shortcuts sheet for docs/gui.md.

    QT_QPA_PLATFORM=offscreen python tools/help_screenshots.py --out docs/img

An offscreen window has no title bar to grab, so the icon is shown where About shows it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    from vertapp.gui.app import _application
    from vertapp.gui.model.workflow import install_model_workflow
    from vertapp.gui.window.main_window import MainWindow

    app = _application()
    window = MainWindow()
    install_model_workflow(window)  # its Model > Review keys belong on the sheet
    window.show()
    about = window.help.show_about()
    start = time.monotonic()
    while about.info is None and time.monotonic() - start < 120:
        app.processEvents()
        time.sleep(0.02)
    args.out.mkdir(parents=True, exist_ok=True)
    about.grab().save(str(args.out / "about.png"))
    about.tabs.setCurrentIndex(1)
    about.table.selectRow(0)
    app.processEvents()
    about.grab().save(str(args.out / "about_licences.png"))
    window.help.show_shortcuts().grab().save(str(args.out / "shortcuts_sheet.png"))
    window.doc.stack.setClean()
    window.close()


if __name__ == "__main__":
    main()
