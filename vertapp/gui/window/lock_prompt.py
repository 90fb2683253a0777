"""The question asked when a project is open in another VertApp window or process.

Who holds a folder comes from the core (`annotations.project_lock`); this module only
asks and words the answers. Enter and Escape cancel, so a key pressed without reading
never overwrites someone's work; unattended runs (tests, --screenshot) open the project
read-only, which changes nothing on disk.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox

from vertapp.annotations.project_lock import LockInfo
from vertapp.gui.window.host import WindowHost

EDIT = "edit"  # nobody else holds it
READ_ONLY = "read_only"
TAKE_OVER = "take_over"  # "Open anyway"
TITLE = "Project in use"
log = logging.getLogger(__name__)


def ask_in_use(host: WindowHost, holder: LockInfo) -> str | None:
    """READ_ONLY, TAKE_OVER, or None when the user cancels."""
    log.info("project in use: %s", holder.words())  # the pid, for whoever must find it
    button = QMessageBox.StandardButton
    words = {  # the last is the default button: Cancel
        button.Open: "Open read-only",
        button.Ignore: "Open anyway",
        button.Cancel: "Cancel",
    }
    text = (
        f"This project is open in another VertApp window{where_since(holder)}.\n\n"
        "Open read-only: see it here and change nothing.\n"
        "Open anyway: edit it here. The other window then writes nothing more into the "
        "project: it turns read-only, and keeps its unsaved edits aside for saving "
        "elsewhere."
    )
    if holder.elsewhere():  # never taken for stale (is_live): only the user can tell
        text += "\n\nIf VertApp is no longer running there, Open anyway is safe."
    answer = host.ask(TITLE, text, words, button.Open)
    return {button.Open: READ_ONLY, button.Ignore: TAKE_OVER}.get(answer)


def where_since(holder: LockInfo) -> str:
    """' on ws-12 since 20:02 today': the computer and a time a person reads; the
    process id and the exact start stay in the log (`LockInfo.words`)."""
    when = holder.when_words()
    return holder.where_words() + (f" since {when}" if when else "")


def read_only_words(holder: LockInfo) -> str:
    """Why edits are refused, as the read-only bar and every refused edit and save say it."""
    return (
        f"This project is open in another VertApp window{where_since(holder)}, so it was "
        "opened read-only here. Save as copy… makes a copy you can edit."
    )


def taken_over_words(holder: LockInfo) -> str:
    return (
        f"Opened anyway: the other VertApp window{holder.where_words()} turns read-only "
        "at its next edit or save (within half a minute) and keeps its unsaved edits "
        "safe. Close it there when you can."
    )
