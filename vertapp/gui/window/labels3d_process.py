"""The overlay's back-projection in a child process that keeps one CT's `BackProjector`.

Why a process: scipy.ndimage and SimpleITK hold the GIL for each whole call (a watershed
or a hole filling of a slab: 0.1-0.7 s on a 461 x 317 x 417 CT, measured by
benchmarks/bench_gui.py), so in a thread of the window's process every such call stalls
the event loop. The child prepares the CT once (the slow, mask-independent part) and
keeps it, then labels each new set of masks with its last result as `previous`; the
GUI's worker thread only waits on the pipe (`labels_job`, driven by a `JobWorker`).

Requests carry an id: an answer for a request nobody waits for any more (its worker was
cancelled) is dropped, and a cancelled request stops in the child at its next step. After
preparing, the child sends back the rays and the bone (not the CT) so the window can draw
the instant footprint-only preview itself (`BackProjector.slice_preview`). The labels come
back cropped to the rays' box (the rest is 0) to keep the pipe short. The child and its
pipe are `vertapp.gui.model.persistent_child`'s (shared with the predictions): a reader
thread at each end, so a CT sent while the child sends labels never deadlocks, and a
request cancelled before it was sent (the user moved on) is never sent. The child writes
nothing, so a close waits `STOP_S` for it at most, then ends it. No Qt here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from vertapp.backproject import BackProjection, BackProjector
from vertapp.errors import VertAppError
from vertapp.gui.model.child_process import HEARTBEAT, ChildProcessError
from vertapp.gui.model.persistent_child import ChildClosed, PersistentChild
from vertapp.jobs import Job, Progress

__all__ = ["HEARTBEAT", "POLL_S", "LabelsProcess"]
POLL_S = 0.1
STOP_S = 0.5  # a close waits this long for the child to stop (nothing to save), then ends it


class LabelsProcess:
    """One spawned child serving prepare/label requests for the CT `ct_id` names."""

    def __init__(self) -> None:
        self.child = PersistentChild(
            _Labels(), name="the background process of the 3D labels", stop_s=STOP_S
        )
        self.closed = False  # the window closed: no new child for a worker still ending
        self.ct_id: int | None = None  # the CT the child has prepared
        self.preview: BackProjector | None = None  # GUI-side shell: slice_preview only

    def labels_job(
        self, ct_id: int, volume: Any, mip: Any, footprint: np.ndarray
    ) -> Job[BackProjection]:
        """The 3D labels of `footprint` on `volume`'s grid (preparing the CT when new)."""
        if self.closed:
            raise ChildClosed("the 3D labels were closed")
        if self.child.start():  # the first child, or one after a crash: no CT prepared
            self.ct_id, self.preview = None, None
        if self.ct_id != ct_id:
            self.ct_id = None  # the child drops its old CT first
            yield Progress("prepare", 0.0, "preparing the CT for 3D labels")
            rays, bone = yield from self._ask("prepare", volume, mip)
            shell = BackProjector.__new__(BackProjector)  # what slice_preview reads
            shell.volume, shell.result, shell.rays, shell.bone = volume, mip, rays, bone
            self.ct_id, self.preview = ct_id, shell
        yield Progress("labels", 0.5, "3D labels")
        box, bp = yield from self._ask("label", footprint)
        full = np.zeros(volume.shape, np.uint8)
        full[box] = bp.labels
        return replace(bp, labels=full)

    def _ask(self, kind: str, *args: Any) -> Job[Any]:
        """The child's answer; its steps show as heartbeats (this job has its own two)."""
        try:
            return (yield from self.child.ask(kind, *args, poll_s=POLL_S, progress=False))
        except ChildProcessError:
            self.ct_id = None  # the child died: a new one prepares the CT again
            raise

    def close(self, timeout_s: float = STOP_S) -> None:
        """End the child (the window closes): within `timeout_s` and an ending."""
        self.closed = True
        self.child.close(timeout_s)


class _Labels:
    """In the child: the prepared CT's `BackProjector` and its last result (`previous`
    of the next request, so an edit recomputes only its slab)."""

    def __init__(self) -> None:
        self.projector: BackProjector | None = None
        self.last: BackProjection | None = None

    def __call__(self, kind: str, *args: Any) -> Job[Any]:
        if kind == "prepare":
            self.projector = self.last = None  # even if this one is cancelled
            return self._prepare(*args)
        if self.projector is None:
            raise VertAppError("3D labels: the CT was not prepared")
        return self._label(self.projector, *args)

    def _prepare(self, volume: Any, mip: Any) -> Job[tuple]:
        projector = yield from BackProjector.prepare_job(volume, mip)
        self.projector = projector
        return projector.rays, projector.bone

    def _label(self, projector: BackProjector, footprint: np.ndarray) -> Job[tuple]:
        last = self.last = yield from projector.job(footprint, self.last)
        box = projector.rays.box
        return box, replace(last, labels=last.labels[box].copy())
