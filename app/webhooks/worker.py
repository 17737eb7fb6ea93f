"""The delivery worker (`chitieu worker`): claims due deliveries, POSTs them signed, records how it went.

Stateless: everything it knows is in the database, so any number of workers may run on PostgreSQL,
and one may be killed at any moment.

- Claim (one short transaction): the due deliveries (`state = pending`, `next_attempt_at <= now`, of an
  active subscription) get `attempts + 1` and `next_attempt_at = now + lease` in one UPDATE ... RETURNING.
  On PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`, so two workers never claim the same
  row; on SQLite the statement runs under the database's single writer lock (one worker is the intended
  setup there, and two would still not share a claim). The lease is the crash recovery: a worker killed
  mid-delivery leaves its claims pending, due again when the lease ends, and another worker (or the same
  one restarted) sends them again with the same `webhook-id`. At least once, never lost.
- Send (no transaction open): up to WEBHOOKS_CONCURRENCY at once, each host resolved and checked
  (app/webhooks/urls.py) before connecting, short timeouts, redirects not followed, at most 64 KiB of the
  answer read. A 2xx delivers; anything else is a failed attempt.
- Record (one transaction per batch): the attempt in the log; delivered, or due again after an exponential
  backoff with jitter, or failed once past `give_up_at` (the subscription is then marked failing; the
  next success clears it). Each update names the attempt it claimed, so a worker that outlived its lease
  cannot overwrite what the next one recorded.
- Every WEBHOOKS_OVERDUE_CHECK_SECONDS: `report.overdue` (app/webhooks/overdue.py).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import NamedTuple

import httpx
from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.engine import Engine

from app.common.models import as_utc, table_of, utcnow
from app.config import Settings
from app.events.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from app.webhooks import signing, urls

log = logging.getLogger(__name__)

_D = table_of(WebhookDelivery)
_E = table_of(WebhookEvent)
_S = table_of(WebhookSubscription)
_A = table_of(WebhookAttempt)

MAX_ANSWER_BYTES = 64 * 1024


class Claimed(NamedTuple):
    id: int
    attempt: int
    give_up_at: datetime
    subscription_id: int
    event_id: str
    payload: str
    url: str
    secret: str


class Outcome(NamedTuple):
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def claim(engine: Engine, settings: Settings, limit: int | None = None) -> list[Claimed]:
    """Takes up to `limit` due deliveries for this worker (see the module docstring), committed at once."""
    now = utcnow()
    due = (
        select(_D.c.id)
        .where(
            _D.c.state == DeliveryState.PENDING.value,
            _D.c.next_attempt_at <= now,
            _D.c.subscription_id.in_(select(_S.c.id).where(_S.c.active.is_(True))),
        )
        .order_by(_D.c.next_attempt_at, _D.c.id)
        .limit(limit or settings.webhooks_batch_size)
    )
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(_D)
        .where(_D.c.id.in_(due.scalar_subquery()))
        .values(attempts=_D.c.attempts + 1, next_attempt_at=now + timedelta(seconds=settings.webhooks_lease_seconds))
        .returning(_D.c.id)
    )
    with engine.begin() as conn:
        ids = list(conn.execute(stmt).scalars())
        if not ids:
            return []
        rows = conn.execute(
            select(_D.c.id, _D.c.attempts, _D.c.give_up_at, _D.c.subscription_id, _E.c.id, _E.c.payload, _S.c.url, _S.c.secret)
            .join(_E, _E.c.id == _D.c.event_id)
            .join(_S, _S.c.id == _D.c.subscription_id)
            .where(_D.c.id.in_(ids))
            .order_by(_D.c.id)
        ).all()
    return [Claimed(r[0], r[1], as_utc(r[2]), r[3], r[4], r[5], r[6], r[7]) for r in rows]


def send(client: httpx.Client, settings: Settings, item: Claimed) -> Outcome:
    """One attempt: the host checked, the body signed for now, POSTed; never raises."""
    started = time.perf_counter()

    def took() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        urls.check_url(item.url, settings.webhooks_allow_private)
    except urls.Refused as exc:
        return Outcome(None, f"refused: {exc}"[:500], took())
    body = item.payload.encode()
    headers = signing.headers(item.secret, item.event_id, int(time.time()), body)
    try:
        with client.stream("POST", item.url, content=body, headers=headers) as answer:
            read = 0
            for chunk in answer.iter_raw():
                read += len(chunk)
                if read > MAX_ANSWER_BYTES:
                    break
            code = answer.status_code
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__, took())
    except Exception as exc:  # a worker thread must always report back
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], took())
    return Outcome(code, None if 200 <= code < 300 else f"HTTP {code}", took())


def backoff(settings: Settings, attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: base x 2^(attempt-1), capped, with full jitter over its upper half."""
    delay = min(settings.webhooks_backoff_max_seconds, settings.webhooks_backoff_base_seconds * 2 ** min(attempt - 1, 30))
    return delay * random.uniform(0.5, 1.0)


_RECORD = (
    update(_D)
    .where(_D.c.id == bindparam("_id"), _D.c.attempts == bindparam("_attempt"))
    .values(
        state=bindparam("state"),
        next_attempt_at=bindparam("next_attempt_at"),
        last_status_code=bindparam("last_status_code"),
        last_error=bindparam("last_error"),
        delivered_at=bindparam("delivered_at"),
    )
)


def record(engine: Engine, settings: Settings, results: list[tuple[Claimed, Outcome]]) -> None:
    """The batch's attempts, in one transaction (see the module docstring)."""
    if not results:
        return
    now = utcnow()
    attempts, updates = [], []
    failing: set[int] = set()
    healthy: set[int] = set()
    for item, outcome in results:
        attempts.append(
            {
                "delivery_id": item.id,
                "attempt": item.attempt,
                "attempted_at": now,
                "status_code": outcome.status_code,
                "error": outcome.error,
                "duration_ms": outcome.duration_ms,
            }
        )
        state, next_at, delivered_at = DeliveryState.PENDING.value, now, None
        if outcome.ok:
            state, delivered_at = DeliveryState.DELIVERED.value, now
            healthy.add(item.subscription_id)
        elif now >= item.give_up_at:
            state = DeliveryState.FAILED.value
            failing.add(item.subscription_id)
        else:
            next_at = now + timedelta(seconds=backoff(settings, item.attempt))
        updates.append(
            {
                "_id": item.id,
                "_attempt": item.attempt,
                "state": state,
                "next_attempt_at": next_at,
                "last_status_code": outcome.status_code,
                "last_error": outcome.error,
                "delivered_at": delivered_at,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(_A), attempts)
        conn.execute(_RECORD, updates)
        if failing:
            conn.execute(update(_S).where(_S.c.id.in_(sorted(failing)), _S.c.failing_since.is_(None)).values(failing_since=now))
        if healthy - failing:
            conn.execute(
                update(_S)
                .where(and_(_S.c.id.in_(sorted(healthy - failing)), _S.c.failing_since.is_not(None)))
                .values(failing_since=None)
            )


def make_client(settings: Settings) -> httpx.Client:
    timeout = httpx.Timeout(settings.webhooks_timeout_seconds, connect=settings.webhooks_connect_timeout_seconds)
    limits = httpx.Limits(
        max_connections=settings.webhooks_concurrency * 2, max_keepalive_connections=settings.webhooks_concurrency
    )
    return httpx.Client(timeout=timeout, follow_redirects=False, limits=limits, trust_env=False)


def deliver_batch(engine: Engine, settings: Settings, client: httpx.Client, pool: ThreadPoolExecutor) -> int:
    """Claims, sends and records one batch; the number of deliveries attempted."""
    items = claim(engine, settings)
    if not items:
        return 0
    outcomes = list(pool.map(lambda item: send(client, settings, item), items))
    record(engine, settings, list(zip(items, outcomes, strict=True)))
    return len(items)


def run(engine: Engine, settings: Settings, *, stop: threading.Event | None = None, once: bool = False) -> int:
    """The worker's loop until `stop` is set (or, with `once`, until nothing is due); deliveries attempted."""
    from app.webhooks.overdue import check_overdue

    stop = stop or threading.Event()
    done = 0
    next_overdue = 0.0
    with make_client(settings) as client, ThreadPoolExecutor(settings.webhooks_concurrency) as pool:
        while not stop.is_set():
            if settings.webhooks_overdue_check_seconds > 0 and time.monotonic() >= next_overdue:
                try:
                    check_overdue(engine, settings)
                except Exception:  # a failed check is logged and tried again at the next interval
                    log.exception("the overdue check failed")
                next_overdue = time.monotonic() + settings.webhooks_overdue_check_seconds
            try:
                n = deliver_batch(engine, settings, client, pool)
            except Exception:  # the database away for a moment: wait and try again, never die
                log.exception("a delivery batch failed")
                n = 0
                if once:
                    raise
            done += n
            if n == 0 and once:
                break
            if n < settings.webhooks_batch_size:
                stop.wait(settings.webhooks_poll_seconds if not once else 0)
    return done
