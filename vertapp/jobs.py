"""One pattern for every long job (load, preprocess, train, predict, export).

A job is a generator that yields `Progress` events and *returns* its result.
It imports no Qt: the CLI drains it with `run_job`, the GUI drives it from a
QThread (`vertapp.gui.widgets.worker.JobWorker`). Cancelling a job means calling its
generator's `close()` between events: the `GeneratorExit` raised at the paused
`yield` unwinds the job's `finally` blocks, so a cancelled job stops within one
step and cleans up after itself.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """A progress event. `fraction` in [0, 1] or None when unknown."""

    stage: str
    fraction: float | None = None
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)


Job = Generator[Progress, None, T]

# Progress.data key: sentences the user must read before the work goes on ("2 images left
# out of training: ..."), sent once; the command line says them on stderr, the window
# keeps them in view. Here, not in vertapp.ml.train: the window reads it without torch.
WARNINGS = "warnings"


def run_job(job: Job[T], on_progress: Callable[[Progress], None] | None = None) -> T:
    """Drive a job to completion and return its result."""
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        if on_progress is not None:
            on_progress(event)


def sub_job(job: Job[T], start: float, end: float) -> Job[T]:
    """Re-scale a nested job's fractions into [start, end] of the parent's."""
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        frac = None if event.fraction is None else start + (end - start) * event.fraction
        yield Progress(event.stage, frac, event.message, event.data)
