"""Giving freed memory back to the system after a large computation (issue 17, the worker's memory bound).

CPython hands objects larger than 512 bytes to the C allocator. glibc keeps what is freed in its heaps
(one arena per thread of the pool, up to eight per core) for reuse, so after one request that held
50 MB (the roll-up by organisation at national scale), the worker's RSS stays there, and the next large
request, run by another thread in another arena, adds its own on top. `malloc_trim(0)` returns the
free pages of every arena to the system. Elsewhere than glibc (musl, macOS) it does nothing.

`keep_large_blocks_apart` (at the app's start) fixes glibc's threshold for serving a block by its own mmap at
LARGE_BLOCK bytes. glibc starts at 128 KB but raises the threshold to the size of each mmapped block freed
(up to 32 MB), so after one large read the next ones of that size come from a thread's heap and stay there
when freed. Measured (issue 17) on the national roll-up, a uvicorn worker: its first request computes
(RSS 131 MB), five more read the stored answer (a 5 MB compressed blob each, twice that as the driver
receives it): peak 191 MB and 172 MB after with glibc's default, 172 MB and 153 MB with the threshold
fixed at 1 MB (MALLOC_MMAP_THRESHOLD_). Blocks that large are rare on the hot routes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os

log = logging.getLogger(__name__)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, looked up once (find_library may run ldconfig); None where it cannot be loaded."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


@functools.cache
def _trim():
    try:
        trim = getattr(_libc(), "malloc_trim")  # noqa: B009 - AttributeError when there is none
    except AttributeError:  # no C library, or not glibc: nothing to give back this way
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


LARGE_BLOCK = 1 << 20
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)


@functools.cache  # once per process: every app the process builds shares the allocator
def keep_large_blocks_apart() -> bool:
    """Blocks of LARGE_BLOCK bytes and more are mmapped on their own and unmapped when freed (glibc; elsewhere
    nothing). Whether it was set. An operator's own threshold (MALLOC_MMAP_THRESHOLD_, or glibc.malloc.
    mmap_threshold in GLIBC_TUNABLES) is left as given. Never raises."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "mmap_threshold" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        mallopt = getattr(_libc(), "mallopt")  # noqa: B009 - AttributeError when there is none
    except AttributeError:  # no C library, or not glibc
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    try:
        return mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK) == 1
    except Exception:  # pragma: no cover - never fail the start over this
        log.debug("mallopt failed", exc_info=True)
        return False


def give_back() -> None:
    """Returns the C allocator's free memory to the system (glibc); a few milliseconds. Never raises."""
    trim = _trim()
    if trim is not None:
        try:
            trim(0)
        except Exception:  # never fail a request over this
            log.debug("malloc_trim failed", exc_info=True)
