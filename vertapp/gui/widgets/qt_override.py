"""`@qt_override`: every Python override of a Qt virtual (closeEvent, paint, redo, ...).

Why: PySide6 6.11 crashes the whole process (SIGSEGV in `PepException_GetArgs`, from
`storePythonOverrideErrorOrPrint`) when an exception raised by shiboken itself leaves a
Python override: "Internal C++ object already deleted", or a TypeError for a wrong
argument to a Qt call. Such an exception is still un-normalised (a type and a string,
no exception object) when Qt gets it back, and shiboken reads it as an object. Measured:
a window's closeEvent that touched a worker Qt had already deleted killed the test
process (2 of 8 runs of two e2e modules; the clean-clone CI twice), with the user's
session and any child processes in it.

An exception caught and raised again is normalised on the way, and shiboken then
reports it as usual: to `sys.excepthook` (the crash dialog), or raised again at the
Python call that led to the override. So the wrapper changes nothing else: it only
catches to raise. Slots connected to signals do not need it (another path, measured
safe); pyqtgraph's own Python event methods do not either (called from Python).
`tests/unit/gui/test_qt_override.py` checks that every override in `vertapp.gui` has it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def qt_override(method: Callable[P, R]) -> Callable[P, R]:
    """`method`, with an exception Qt would get back handed over as a normal one."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except Exception:  # noqa: TRY203 (raised again on purpose: see the module doc)
            raise

    guarded.__qt_override__ = True  # type: ignore[attr-defined]
    return guarded
