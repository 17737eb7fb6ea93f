"""The idempotency records in the database: claim, finish, release, purge.

Each function is one short transaction of its own on the app's engine (never the request's
session), so a claim is visible to every worker before the request runs. They are blocking
and are called from the middleware through the thread pool.

States of a record (owner, key):
- pending: claimed, the request is running (or died before its write committed);
- committed: the request's write committed (set in the same transaction as the write, by
  app/idempotency/events.py); its answer is not stored yet, or was lost;
- done: the answer is stored and is replayed to every retry.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from app.common.models import as_utc
from app.idempotency.models import IdempotencyRecord

log = logging.getLogger("chitieu.idempotency")

TABLE = IdempotencyRecord.__table__
PENDING, COMMITTED, DONE = "pending", "committed", "done"
# Kept at least this long; the key may be used for another request afterwards.
TTL = timedelta(hours=24)
# A record still pending after this long belongs to a request that died: a retry takes it over.
STALE_AFTER = timedelta(seconds=60)
# Expired records deleted per claim, at most.
PURGE_BATCH = 100


@dataclass(frozen=True)
class Claimed:
    """The record is ours: run the request."""

    record_id: int


@dataclass(frozen=True)
class Replay:
    """The first request's stored answer."""

    status: int
    headers: str
    body: bytes


@dataclass(frozen=True)
class Refused:
    """The request must not run: `reason` is one of 'reused', 'in_progress', 'lost'."""

    reason: str


def _insert_if_absent(conn: Connection, owner: str, key: str, fingerprint: str, now: datetime) -> int | None:
    """INSERT ... ON CONFLICT (owner, key) DO NOTHING RETURNING id: the new id, or None if the key is taken."""
    values = {
        "owner": owner, "key": key, "fingerprint": fingerprint, "state": PENDING, "created_at": now, "expires_at": now + TTL,
    }
    if conn.dialect.name == "postgresql":
        stmt = pg_insert(TABLE).values(**values).on_conflict_do_nothing(index_elements=["owner", "key"])
    elif conn.dialect.name == "sqlite":
        stmt = sqlite_insert(TABLE).values(**values).on_conflict_do_nothing(index_elements=["owner", "key"])
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        stmt = insert(TABLE).values(**values)
    return conn.execute(stmt.returning(TABLE.c.id)).scalar_one_or_none()


def claim(engine: Engine, *, owner: str, key: str, fingerprint: str, now: datetime) -> Claimed | Replay | Refused:
    """Claims (owner, key) for this request, or says what to answer instead.

    The INSERT is the claim: if another record holds the key, it decides. An expired record
    is deleted and the claim tried again; so is a stale pending one (its request died before
    its write committed), deleted by id so that only one retry takes it over.
    """
    for _ in range(5):
        with engine.begin() as conn:
            record_id = _insert_if_absent(conn, owner, key, fingerprint, now)
        if record_id is not None:
            return Claimed(record_id)
        with engine.begin() as conn:
            row = conn.execute(select(TABLE).where(TABLE.c.owner == owner, TABLE.c.key == key)).first()
            if row is None:  # deleted in between: claim again
                continue
            if as_utc(row.expires_at) <= now:
                conn.execute(delete(TABLE).where(TABLE.c.id == row.id, TABLE.c.expires_at <= now))
                continue
            if row.fingerprint != fingerprint:
                return Refused("reused")
            if row.state == DONE:
                return Replay(row.response_status, row.response_headers or "[]", row.response_body or b"")
            if row.state == COMMITTED:
                return Refused("lost")
            if as_utc(row.created_at) > now - STALE_AFTER:
                return Refused("in_progress")
            stale_id = row.id
        # Stale and pending: nothing of it was committed. Take it over under a new id.
        record_id = _take_over(engine, stale_id, owner=owner, key=key, fingerprint=fingerprint, now=now)
        if record_id is not None:
            log.warning("idempotency key taken over from a stale request (record %s -> %s)", stale_id, record_id)
            return Claimed(record_id)
    return Refused("in_progress")


def _take_over(engine: Engine, stale_id: int, *, owner: str, key: str, fingerprint: str, now: datetime) -> int | None:
    """Replaces a stale pending record by a new one, in one transaction; the new id, or None if another
    retry took it first (or it is no longer pending).

    The new record gets a new id, so that the dead request, should it live after all, can no longer
    mark or finish it (its commit is then refused: app/idempotency/events.py). The new row is inserted
    under a placeholder owner before the old one is deleted: SQLite would otherwise hand the freed
    largest id out again.
    """
    with engine.connect() as conn, conn.begin() as tx:
        placeholder = uuid.uuid4().hex  # 32 characters: never an owner (a SHA-256 is 64)
        record_id = _insert_if_absent(conn, placeholder, key, fingerprint, now)
        if record_id is None or not conn.execute(delete(TABLE).where(TABLE.c.id == stale_id, TABLE.c.state == PENDING)).rowcount:
            tx.rollback()
            return None
        conn.execute(update(TABLE).where(TABLE.c.id == record_id).values(owner=owner))
        return record_id


def finish(engine: Engine, record_id: int, *, status: int, headers: str, body: bytes) -> bool:
    """Stores the answer; False if the record is no longer ours (taken over)."""
    with engine.begin() as conn:
        stmt = (
            update(TABLE)
            .where(TABLE.c.id == record_id, TABLE.c.state.in_((PENDING, COMMITTED)))
            .values(state=DONE, response_status=status, response_headers=headers, response_body=body)
        )
        return conn.execute(stmt).rowcount == 1


def release(engine: Engine, record_id: int) -> bool:
    """Deletes the record if nothing of its request was committed, so that a retry runs again.

    A committed record stays: its write happened, and running it again would repeat it.
    """
    with engine.begin() as conn:
        return conn.execute(delete(TABLE).where(TABLE.c.id == record_id, TABLE.c.state == PENDING)).rowcount == 1


def purge(engine: Engine, *, now: datetime, batch: int = PURGE_BATCH) -> int:
    """Deletes up to `batch` expired records; the number deleted.

    SKIP LOCKED (PostgreSQL; ignored on SQLite, where writers queue) keeps two purges from
    waiting on, or deadlocking over, the same rows.
    """
    expired = select(TABLE.c.id).where(TABLE.c.expires_at <= now).order_by(TABLE.c.expires_at).limit(batch)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            expired = expired.with_for_update(skip_locked=True)
        return conn.execute(delete(TABLE).where(TABLE.c.id.in_(expired.scalar_subquery()))).rowcount
