"""Silencing what C libraries print on the process's stderr while we try a decode.

GDCM's codecs (libjpeg, OpenJPEG) and OpenCV's libpng/libtiff write their
complaints straight to file descriptor 2 ("libpng error: IDAT: incorrect data
check") before failing or falling back, bypassing Python. The reader reports the
outcome in one line instead, so fd 2 points at /dev/null for the duration of the
call. One at a time (a lock): another thread's output in that moment is lost too,
which is why only short decode calls are wrapped.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

_lock = threading.Lock()


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    with _lock:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all (a windowed app): nothing to silence
            yield
            return
        try:
            with open(os.devnull, "wb") as null:
                sys.stderr.flush()
                os.dup2(null.fileno(), 2)
                try:
                    yield
                finally:
                    os.dup2(saved, 2)
        finally:
            os.close(saved)
