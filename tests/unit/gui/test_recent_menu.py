"""File > Open recent with names hidden: entries told apart without a name or path."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QMenu

from vertapp.gui.window import names

NAME = "DOE_JOHN_1961"


def _project(folder: Path) -> Path:
    from vertapp.annotations import store
    from vertapp.annotations.model import ImageRecord

    project = store.new_project(folder)
    for i in (1, 2):
        Image.fromarray(np.zeros((50, 40), np.uint8)).save(folder / "images" / f"{i}.png")
        project.add_image(ImageRecord(id=i, file_name=f"images/{i}.png", width=40, height=50))
    store.save_project(project, folder)
    return folder


def test_copies_of_one_project_read_apart_and_the_open_one_is_marked(qapp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Nine entries read "project folder · 4 images · CT MIP · opened 1 Dec 01:5x", the
    tooltip the same, the open project among them: now each has its saved time and a
    tag of its path, the open one says so and is not offered again."""
    folders = [_project(tmp_path / f"{NAME}_{k}") for k in range(3)]
    for folder in folders:
        names.remember_recent(str(folder))
    menu = QMenu()
    opened: list[str] = []
    names.fill_recent(menu, opened.append, folders[-1])
    acts = names.recent_entries(menu)
    texts = [a.text() for a in acts]
    assert len(set(texts)) == 3 and not [t for t in texts if NAME in t or "/" in t], texts
    when = r"\d{1,2} [A-Z][a-z]{2} \d\d:\d\d"
    shape = rf"&\d  project folder · 2 images · CT MIP · saved {when} · %s · #[0-9a-f]{{4}}"
    assert re.fullmatch(shape % "open now", texts[0]), texts[0]  # the last opened: open here
    assert not acts[0].isEnabled()
    for text in texts[1:]:
        assert re.fullmatch(shape % f"opened {when}", text), text
    assert len({t[-5:] for t in texts}) == 3  # the tags differ
    assert {a.toolTip() for a in acts} == {names.HIDDEN_TIP}  # not the text again
    acts[1].trigger()
    assert opened == [str(folders[1])]
    names.fill_recent(menu, opened.append, folders[-1])
    assert [a.text()[-5:] for a in names.recent_entries(menu)] == [t[-5:] for t in texts]  # kept


def test_with_names_shown_the_entry_is_its_name_and_path(qapp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = _project(tmp_path / NAME)
    other = _project(tmp_path / "other")
    names.remember_recent(str(other))
    names.remember_recent(str(folder))
    names.set_hide_identifiers(False)
    menu = QMenu()
    names.fill_recent(menu, lambda _p: None, folder)
    here, there = names.recent_entries(menu)
    assert here.text() == f"{NAME}  (open now)" and not here.isEnabled()
    assert there.text() == "other" and there.toolTip() == str(other) and there.isEnabled()


def test_clear_list_forgets_the_paths(qapp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The list keeps full paths (to reopen them), which may name the patient: the user
    can empty it, as in any editor's Open recent."""
    names.remember_recent(str(_project(tmp_path / NAME)))
    menu = QMenu()
    names.fill_recent(menu, lambda _p: None)
    (clear,) = [a for a in menu.actions() if a.text() == "Clear list"]
    clear.trigger()
    assert names.recent_files() == [] and names.recent_opened() == {}
    names.fill_recent(menu, lambda _p: None)
    assert [a.text() for a in menu.actions()] == ["(none)"] and not names.recent_entries(menu)
