"""Pausing the cyclic garbage collector while an import holds its rows.

An import of 20,000 figures keeps a few container objects per row alive until its commit; each such
batch of survivors sets off a full collection, which walks every object of the process (the app's own
hundreds of thousands included): about a sixth of an import's CPU (issue 17). Nothing an import makes
needs the cyclic collector to be freed (reference counting frees it), so the collector is paused while
any import runs in the process and resumed when the last one ends, when it runs as usual again.
The pause is process-wide (the collector is); it lasts one import (a file has at most MAX_ROWS rows).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0  # pauses open now, in any thread
_was_enabled = False  # whether the collector ran before the first of them


@contextmanager
def collections_paused() -> Iterator[None]:
    """No automatic cyclic collection inside (nested or concurrent pauses: until the last one ends)."""
    global _running, _was_enabled
    with _lock:
        if _running == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _was_enabled:
                gc.enable()
