"""Another VertApp session in a real child process, holding a project folder's lock.

The child takes the lock as a window does on open and, with `edit`, also journals one
edit (the live journal a second window used to offer as a crash's). It then waits until
killed: `kill()` turns its lock into a dead process's (stale).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHILD = """
import sys, time
from vertapp.annotations import ops, project_lock, store
folder = sys.argv[1]
project_lock.acquire(folder)
if sys.argv[2] == "edit":
    project = store.load_project(folder)
    store.Journal(project).attach()
    first = next(iter(project.images.values())).instances[0]
    project.apply(ops.Relabel(first.id, "T9"))
print("ready", flush=True)
time.sleep(600)
"""


@contextmanager
def holding(folder: Path, *, edit: bool = False) -> Iterator[subprocess.Popen[str]]:
    """A live child process holding `folder` (killed on leaving, if still running)."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), "edit" if edit else "lock"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", "the child did not take the lock"
        yield child
    finally:
        kill(child)


def kill(child: subprocess.Popen[str]) -> None:
    """SIGKILL, as a crash: the lock file and journal stay as they were."""
    if child.poll() is None:
        child.send_signal(signal.SIGKILL)
    child.wait(30)
