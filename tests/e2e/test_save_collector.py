"""A background save holds Python's cyclic collector off while its snapshot lives, and
always gives it back (see vertapp.gui.document.files.CollectorPause)."""

from __future__ import annotations

import gc

import pytest

from tests.e2e.window_driver import open_and_wait as _open
from vertapp.annotations import ops

pytestmark = pytest.mark.gui


def test_collector_off_during_a_save_and_back_after(qtbot, window, small_project) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    inst = window.doc.current.instances[0]
    window.doc.edit(ops.Relabel(inst.id, "T9"), "Relabel")
    assert gc.isenabled()
    assert window.save()
    assert not gc.isenabled()  # no pass walks the snapshot while the worker writes it
    qtbot.waitUntil(lambda: window._save_worker is None, timeout=60_000)
    assert gc.isenabled()
    assert window.files._pause is None


def test_collector_back_after_a_save_that_cannot_start(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.errors import VertAppError

    _open(qtbot, window, small_project)
    window.doc.edit(ops.Relabel(window.doc.current.instances[0].id, "T9"), "Relabel")

    def refuse(*_a, **_k):  # type: ignore[no-untyped-def]
        raise VertAppError("the disk is full")

    monkeypatch.setattr(window.doc, "begin_save", refuse)
    assert not window.save()
    assert gc.isenabled()
    assert "disk is full" in window._last_error
