"""Keep Python's full garbage collections off the GUI thread's critical path.

Once the window has imported Qt, pyqtgraph and (for the model workflow) torch, the
interpreter holds hundreds of thousands of long-lived objects. Every full (generation 2)
collection walks them all: measured here at 50-300 ms on the GUI thread, a visible stall
at random moments. `gc.freeze()` moves what exists now into a permanent generation that
collections skip; objects made later (projects, images) are collected as usual.
"""

from __future__ import annotations

import atexit
import gc


def settle_heap() -> None:
    """Call after a burst of long-lived imports/objects (window built, torch loaded)."""
    gc.freeze()


# At exit, give frozen objects back so the interpreter tears them down as usual (native
# extensions such as triton otherwise report "leaked instances" on shutdown).
atexit.register(gc.unfreeze)
