"""Path fields while View > Hide names and paths is on (no Qt): the Train dialog's "Save
the model as" and Export 3D labels' Folder.

A run saves into PROJECT/models/model.pt, and the project folder is often named after the
patient ("DOE_JOHN/models/model.pt"): the field showed that while the table beside it
said "image 3" and "patient 1". While names are hidden it shows the file under an
ellipsis for its folders ("…/model.pt"), and what the user types there is read back
against the real folder, so a new name still saves beside the old one. The export's
Folder field shows "…" alone, and "…/sub" or "sub" typed there lies inside it.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = "…"  # stands for the real folder in a path field while names are hidden
DEFAULT_NAME = "model.pt"  # an empty field, names shown (as the dialog always read it)


def shown_model_path(path: Path, hidden: bool) -> str:
    """The field's text for `path`: the whole path, or while `hidden` "…/model.pt"."""
    return str(Path(FOLDER) / path.name) if hidden else str(path)


def typed_model_path(text: str, real: Path, hidden: bool) -> Path:
    """The file the field's `text` names. Names shown: the path as typed. Hidden: "…"
    is `real`'s folder and so is a bare name's ("model_2.pt" saves beside the model, not
    in the app's working folder, which the user cannot see); a full path typed is the
    user's own and is taken as typed; an emptied field keeps `real`."""
    text = text.strip()
    if not hidden:
        return Path(text or DEFAULT_NAME)
    return _under(text, real.parent) or real


def shown_folder(folder: Path, hidden: bool) -> str:
    """The Folder field's text: the whole path, or while `hidden` "…"."""
    return FOLDER if hidden else str(folder)


def typed_folder(text: str, real: Path, hidden: bool) -> Path:
    """The folder the field's `text` names. Names shown: the path as typed ('.' if empty).
    Hidden: "…" (or an emptied field) is `real`, "…/sub" and a bare "sub" lie inside it;
    a full path typed is the user's own and is taken as typed."""
    text = text.strip()
    if not hidden:
        return Path(text or ".")
    return _under(text, real) or real


def shown_chosen(path: str, hidden: bool, *, keep_name: bool = True) -> str:
    """A picked file's field text: the path, or while `hidden` "…/NAME" (`keep_name`) or
    "…" (its name may be the patient's: a DICOM series' folder)."""
    if not hidden or not path:
        return path
    return str(Path(FOLDER) / Path(path).name) if keep_name else FOLDER


def typed_chosen(text: str, real: str, hidden: bool) -> str:
    """The file a picked-file field names: while `hidden`, its shown text (either form)
    stands for `real`; anything else, or with names shown, is taken as typed."""
    text = text.strip()
    if hidden and real and text in (FOLDER, shown_chosen(real, True)):
        return real
    return text


def _under(text: str, folder: Path) -> Path | None:
    """What `text`, typed while names are hidden, names: a full path as typed, else the
    path after an optional leading "…" inside `folder`; None when nothing follows."""
    typed = Path(text)
    if typed.is_absolute():
        return typed
    parts = typed.parts[1:] if typed.parts[:1] == (FOLDER,) else typed.parts
    return folder.joinpath(*parts) if parts else None
