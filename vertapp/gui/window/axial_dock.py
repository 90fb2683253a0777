"""When the axial CT dock shows: beside a CT image, not beside a radiograph.

A radiograph has no CT behind it: in a project that mixes CT MIPs and X-rays the dock
stayed open saying "No CT behind this image", taking 40 % of the width from the film.
It is hidden while a radiograph is shown and comes back for the next CT image, where
it was (Qt keeps a hidden dock's place and size). A dock the user closed stays closed:
only View > Axial CT brings it back.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDockWidget


class AxialDock(QObject):
    """Shows or hides `dock` per image, never against the user's own close."""

    def __init__(self, dock: QDockWidget) -> None:
        super().__init__(dock)
        self.dock = dock
        self.closed_by_user = False
        self._hiding = False  # the dock is being hidden by show_for, not by the user
        dock.toggleViewAction().triggered.connect(self._menu_toggled)
        # Its ✕ button hides it (a tab raised over it only makes it invisible, not
        # hidden). A signal, not an event filter on the dock: a Python filter object
        # owned by the dock it watches is called while the dock is being destroyed.
        dock.visibilityChanged.connect(self._visibility_changed)

    def _visibility_changed(self, visible: bool) -> None:
        if not visible and not self._hiding and self.dock.isHidden():
            self.closed_by_user = True

    def _menu_toggled(self, checked: bool) -> None:
        self.closed_by_user = not checked

    def show_for(self, ct_image: bool) -> None:
        """An image is shown: the dock for a CT image (its slices, or why they are
        missing), hidden beside a radiograph; closed by the user, it stays closed."""
        self._hiding = True
        try:
            self.dock.setVisible(ct_image and not self.closed_by_user)
        finally:
            self._hiding = False


__all__ = ["AxialDock"]
