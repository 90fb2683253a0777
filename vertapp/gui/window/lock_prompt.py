"""The question asked when a project is open in another VertApp window or process.

Who holds a folder comes from the core (`annotations.project_lock`); this module only
asks and words the answers. Enter and Escape cancel, so a key pressed without reading
never overwrites someone's work; unattended runs (tests, --screenshot) open the project
read-only, which changes nothing on disk.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from vertapp.annotations.project_lock import LockInfo
from vertapp.gui.window.host import WindowHost

EDIT = "edit"  # nobody else holds it
READ_ONLY = "read_only"
TAKE_OVER = "take_over"  # "Open anyway"
TITLE = "Project in use"


def ask_in_use(host: WindowHost, holder: LockInfo) -> str | None:
    """READ_ONLY, TAKE_OVER, or None when the user cancels."""
    button = QMessageBox.StandardButton
    words = {  # the last is the default button: Cancel
        button.Open: "Open read-only",
        button.Ignore: "Open anyway",
        button.Cancel: "Cancel",
    }
    text = (
        f"This project is open in another VertApp window ({holder.words()}).\n\n"
        "Open read-only: see it here and change nothing.\n"
        "Open anyway: edit it here. The other window then writes nothing more into the "
        "project: it turns read-only, and keeps its unsaved edits aside for saving "
        "elsewhere."
    )
    answer = host.ask(TITLE, text, words, button.Open)
    return {button.Open: READ_ONLY, button.Ignore: TAKE_OVER}.get(answer)


def read_only_words(holder: LockInfo) -> str:
    """Why edits are refused, as the window says it on every refused edit and save."""
    return (
        f"This project is open in another VertApp window ({holder.words()}), so it was "
        "opened read-only here: edits and saves are refused. File > Save project as… "
        "makes a copy you can edit."
    )


def taken_over_words(holder: LockInfo) -> str:
    return (
        f"Opened anyway: the other VertApp window ({holder.words()}) turns read-only at its "
        "next edit or save (within half a minute at most) and keeps its unsaved edits "
        "aside. Close it there when you can."
    )
