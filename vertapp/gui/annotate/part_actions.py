"""Edit > Part: one key per radiograph part and one to type the vertebra level.

Built apart from `window/commands.py` so the part workflow's keys live with its palette
(`part_palette.PART_KEYS`); the window puts the actions into its Edit menu, where the
F1 sheet finds them.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

from vertapp.gui.annotate.edit_controller import EditController
from vertapp.gui.annotate.part_palette import LEVEL_KEY, PART_KEYS
from vertapp.gui.widgets.actions import make_action
from vertapp.xray.part_display import PART_WORDS


def build_part_actions(parent: QWidget, editor: EditController) -> list[QAction]:
    """Part keys (then the level typed, or Enter: same vertebra as the last) and V."""
    actions = [
        make_action(
            parent,
            f"Part: {PART_WORDS[part]}",
            lambda p=part: editor.choose_part(p),
            key,
            f"Radiograph part {PART_WORDS[part]}, then type the level (L3) or Enter: "
            "same vertebra as the last",
        )
        for part, key in PART_KEYS.items()
    ]
    actions.append(
        make_action(
            parent,
            "Vertebra level…",
            editor.begin_level_entry,
            LEVEL_KEY,
            "Type the vertebra (T1..L5) of the selected part and the next ones",
        )
    )
    return actions


def install_part_menu(window: QMainWindow, editor: EditController) -> list[QAction]:
    """The part actions, as Edit > Part (radiograph) (the last Edit menu if none is found)."""
    actions = build_part_actions(window, editor)
    edit = next(
        (
            a.menu()
            for a in window.menuBar().actions()
            if isinstance(a.menu(), QMenu) and a.text().replace("&", "") == "Edit"
        ),
        None,
    )
    if isinstance(edit, QMenu):
        edit.addMenu("&Part (radiograph)").addActions(actions)
    return actions
