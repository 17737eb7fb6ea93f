"""Imports and exports: a per-worker cap on how many run at once, and no database connection held
while they read a body or compute.

- `exchange_slot` (a dependency of the import and export routes) takes one of
  MAX_CONCURRENT_EXCHANGE slots of this worker (setting `max_concurrent_exchange`, default 2)
  without waiting: when none is free the request is answered 503 with `Retry-After` at once,
  rather than queueing without bound (each waiting upload would hold up to 5 MiB, each running
  one a thread and, before this, a database connection). The slot is held until the route ends.
  Per worker by design (it guards the worker's own CPU and memory); the rate per client is the
  reverse proxy's (docs/ARCHITECTURE.md, "Limits").
- `release_connection(session)` ends the request session's (read-only) transaction and gives its
  connection back to the pool, keeping the rows read so far (detached, still loaded). The import
  routes call it after the access checks and before the body is received and parsed; the export
  route after loading its rows and before rendering CSV/XLSX/JSON. The session starts a new
  transaction (and takes a connection) at its next statement.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.errors import Unavailable

RETRY_AFTER_SECONDS = 5


class Slots:
    """A non-blocking counter of running imports and exports (thread-safe: routes run in the thread pool)."""

    def __init__(self, limit: int):
        self.limit = max(1, int(limit))
        self._free = threading.BoundedSemaphore(self.limit)

    def try_take(self) -> bool:
        return self._free.acquire(blocking=False)

    def give_back(self) -> None:
        self._free.release()


def slots_of(app) -> Slots:
    slots = getattr(app.state, "exchange_slots", None)
    if slots is None:
        slots = app.state.exchange_slots = Slots(app.state.settings.max_concurrent_exchange)
    return slots


async def exchange_slot(request: Request) -> AsyncIterator[None]:
    slots = slots_of(request.app)
    if not slots.try_take():
        raise Unavailable(
            f"This server is already running {slots.limit} imports or exports; retry in a few seconds.",
            retry_after=RETRY_AFTER_SECONDS,
        )
    try:
        yield
    finally:
        slots.give_back()


ExchangeSlotDep = Annotated[None, Depends(exchange_slot)]


def release_connection(session: Session) -> None:
    """Ends the session's transaction (reads only) and returns its connection; loaded rows stay readable."""
    if session.in_transaction():
        session.close()


async def release_connection_async(session: Session) -> None:
    if session.in_transaction():
        await run_in_threadpool(session.close)
