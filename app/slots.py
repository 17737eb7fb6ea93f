"""Per-worker caps on the work that costs the most CPU, and no database connection held while it
waits, reads a body or computes.

Plan statuses (issue 12, item 2: a flood of anonymous reads with new dates must not slow writes):

- `status_slot` (a dependency of GET /plans/{id}/status and /status/organizations) lets at most
  MAX_CONCURRENT_STATUS (setting `max_concurrent_status`, default 2) plan statuses be computed at
  once in a worker. The others wait (no thread, no connection: it is given back first) up to
  STATUS_WAIT_SECONDS, then get 503 with `Retry-After: 1`. So however many readers there are,
  they use at most that many threads' worth of the worker's CPU, and a write (which takes no
  slot) is never queued behind them. A stored plan status takes a slot for a few milliseconds.

Imports and exports:

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

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.deps import SessionDep
from app.errors import ServiceUnavailable

RETRY_AFTER_SECONDS = 5
STATUS_WAIT_SECONDS = 2.0
_POLL_SECONDS = 0.005


class Slots:
    """A non-blocking counter of running imports and exports (thread-safe: routes run in the thread pool)."""

    def __init__(self, limit: int):
        self.limit = max(1, int(limit))
        self._free = threading.BoundedSemaphore(self.limit)

    def try_take(self) -> bool:
        return self._free.acquire(blocking=False)

    def give_back(self) -> None:
        self._free.release()


def slots_of(app, kind: str = "exchange") -> Slots:
    """The worker's slots of one kind ("exchange": imports and exports; "status": plan statuses)."""
    name = f"{kind}_slots"
    slots = getattr(app.state, name, None)
    if slots is None:
        slots = Slots(getattr(app.state.settings, f"max_concurrent_{kind}"))
        setattr(app.state, name, slots)
    return slots


async def status_slot(request: Request, session: SessionDep) -> AsyncIterator[None]:
    slots = slots_of(request.app, "status")
    if not slots.try_take():
        await release_connection_async(session)  # no connection held while waiting
        deadline = time.monotonic() + STATUS_WAIT_SECONDS
        while not slots.try_take():
            if time.monotonic() > deadline:
                raise ServiceUnavailable(
                    f"This server is computing {slots.limit} plan statuses already; retry in a second.", retry_after=1
                )
            await asyncio.sleep(_POLL_SECONDS)
    try:
        yield
    finally:
        slots.give_back()


StatusSlotDep = Annotated[None, Depends(status_slot)]


async def exchange_slot(request: Request) -> AsyncIterator[None]:
    slots = slots_of(request.app)
    if not slots.try_take():
        raise ServiceUnavailable(
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
