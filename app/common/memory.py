"""Giving freed memory back to the system after a large computation (issue 17, the worker's memory bound).

CPython hands objects larger than 512 bytes to the C allocator. glibc keeps what is freed in its heaps
(one arena per thread of the pool, up to eight per core) for reuse, so after one request that held
50 MB (the roll-up by organisation at national scale), the worker's RSS stays there, and the next large
request, run by another thread in another arena, adds its own on top. `malloc_trim(0)` returns the
free pages of every arena to the system. Elsewhere than glibc (musl, macOS) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging

log = logging.getLogger(__name__)


@functools.cache
def _trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to give back this way
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def give_back() -> None:
    """Returns the C allocator's free memory to the system (glibc); a few milliseconds. Never raises."""
    trim = _trim()
    if trim is not None:
        try:
            trim(0)
        except Exception:  # never fail a request over this
            log.debug("malloc_trim failed", exc_info=True)
