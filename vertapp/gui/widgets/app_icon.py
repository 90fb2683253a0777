"""The application icon as a `QIcon`, built from the files `vertapp.appresources` finds.

The PNGs come through `importlib.resources` (never a path from the source tree), so the
icon is the same in a checkout, an installed wheel and the frozen build. Setting it on
the `QApplication` gives every top-level window and dialog the icon, parented or not.
"""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from vertapp import appresources

log = logging.getLogger(__name__)


@cache
def app_icon() -> QIcon:
    """Every shipped size, so each place (title bar, task bar, About) gets a crisp one.

    A broken install gives an empty icon and a log line: the app still starts.
    """
    icon = QIcon()
    try:
        for path in appresources.icon_paths():
            icon.addFile(str(path))
    except appresources.ResourceMissingError as err:
        log.warning("%s", err)
    return icon


def install_app_icon() -> QIcon:
    """Give the running application the icon (once); returns it."""
    icon = app_icon()
    app = QApplication.instance()
    if isinstance(app, QApplication) and app.windowIcon().cacheKey() != icon.cacheKey():
        app.setWindowIcon(icon)
    return icon
