"""The project's own exceptions.

Every error a user can cause (bad file, wrong modality, hostile JSON) is raised
as a subclass of `VertAppError` with a one-line message that names the file and
what is wrong with it. The CLI prints `str(err)`; the GUI shows it in a dialog.
A traceback reaching the user is a bug.
"""

from __future__ import annotations


class VertAppError(Exception):
    """Base class: a problem with the user's input or environment, not a bug."""


class InputError(VertAppError):
    """An input file or folder cannot be read as what was asked for."""


class ModalityError(InputError):
    """The file is readable but holds the wrong kind of data (MR for CT, 2D for 3D...)."""


class FormatError(VertAppError):
    """An annotation or project file is malformed; the message names file and record."""


class UnsafePathError(FormatError):
    """A path read from a file would escape the project folder."""


class CancelledError(VertAppError):
    """A long job was cancelled by the user."""


class ModelError(VertAppError):
    """A checkpoint or weights file is corrupt, foreign or incompatible."""
