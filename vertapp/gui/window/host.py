"""What the window's controllers may ask of the window itself: the `WindowHost` protocol.

A controller gets the document, the views and the job runner it works on as constructor
arguments, and the window only through this narrow interface (messages, questions, the
title). Reading a controller's `__init__` tells what it may touch.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtWidgets import QWidget


class WindowHost(Protocol):
    def show_error(self, message: str) -> None:
        """A one-line error in words: status bar and a non-modal box."""

    def show_status(self, message: str, ms: int = 0) -> None:
        """A passing note in the status bar (0 ms: until the next one)."""

    def show_warnings(self, heading: str, lines: list[str]) -> None:
        """Doubts about the open scan, kept in view (no lines: none to show)."""

    def ask(self, title: str, text: str, buttons: Any, default: Any) -> Any:
        """A question; unattended (headless) runs get `default`."""

    def update_title(self, *_args: object) -> None:
        """Title and modified mark follow the document."""

    def dialog_parent(self) -> QWidget:
        """The widget file dialogs and menus open over."""
