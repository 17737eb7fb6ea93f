"""The idempotency records in the database: look up, record with the write, store the answer, purge.

A record exists only once something is settled about its request, so a POST costs one
durable commit, as it would without a key (docs/PERFORMANCE.md):

- `settle` (a read, no commit) runs before the request, once the caller is authenticated, in
  the same thread hop and on the same session (app/deps.py current_principal): an existing
  record decides the answer (replay, or a refusal: `Settled`) and the request does not run;
- `record_with_write` runs inside the request's own write transaction (from the session's
  `before_commit`, app/idempotency/events.py): it inserts the record as 'committed', so the
  write and the record commit together or not at all. The unique (owner, key) decides between
  two concurrent requests with the same key: the second one's INSERT waits (PostgreSQL) or
  queues (SQLite) and then finds the key taken: its write is refused (`KeyTaken`);
- `store_answer` runs after the request, in a short transaction of its own: the answer is
  added to the record ('done'), or, for a request that wrote nothing (a 4xx, a dry run), a
  'done' record is inserted. This commit is not flushed to disk before it returns (SQLite
  synchronous=NORMAL, PostgreSQL synchronous_commit=off for that transaction only): should it
  be lost in a power cut, the record is left 'committed' and a retry is told the answer was
  lost (409), which is the documented fallback; the write itself was durable.

States:
- committed: the write committed with the record; its answer is on its way (a retry is told to
  retry shortly, 409 in progress), or, after `ANSWER_WITHIN`, was lost with its process;
- done: the answer is stored and replayed to every retry;
- lost: the write committed but its answer is never stored (a 5xx after the commit, or an answer
  that holds a secret): a retry is told to read the resource (409).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Insert, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.dml import ReturningInsert

from app.common.models import as_utc, table_of, utcnow
from app.common.prepared import Prepared
from app.db import not_flushed  # a transaction whose commit does not wait for the disk
from app.errors import Conflict
from app.idempotency.models import IdempotencyRecord

log = logging.getLogger("chitieu.idempotency")

TABLE = table_of(IdempotencyRecord)
COMMITTED, DONE, LOST = "committed", "done", "lost"
# Kept at least this long; the key may be used for another request afterwards.
TTL = timedelta(hours=24)
# A 'committed' record whose answer is not stored within this time lost it (its process died).
ANSWER_WITHIN = timedelta(seconds=60)
# Expired records deleted per stored answer, at most; the scheduled purge (purge_expired) deletes
# them all, PURGE_ALL_BATCH per transaction.
PURGE_BATCH = 100
PURGE_ALL_BATCH = 1000
# The largest answer stored (body and kept headers). A larger one is not stored: a request that
# committed is marked 'lost' (a retry is told to read the resource), one that wrote nothing leaves
# no record (a retry runs again, harmlessly). Answers to POSTs are small; an import's report of
# 20,000 failed rows is not, and would otherwise sit in this table for 24 hours per key.
MAX_ANSWER_BYTES = 256 * 1024


# The answer's headers that are part of it; the rest (length, date, request id) belong to each sending.
STORED_HEADERS = frozenset(
    {
        b"content-type",
        b"content-language",
        b"content-location",
        b"location",
        b"etag",
        b"last-modified",
        b"link",
        b"allow",
        b"www-authenticate",
    }
)


def stored_headers(headers) -> str:
    """The answer's headers kept with it (`STORED_HEADERS`), as the record stores them (JSON)."""
    return json.dumps([[k.decode("latin-1"), v.decode("latin-1")] for k, v in headers if k.lower() in STORED_HEADERS])


@dataclass
class Context:
    """One request's key, handed from the middleware to the request's session (session.info).

    `record_id` is set once the request's write committed with its record; `taken` when the
    key turned out to be held by another request at commit time.
    """

    owner: str
    key: str
    fingerprint: str
    record_id: int | None = None
    settled: bool = False
    taken: bool = False
    # The answer, when the route knows it before its commit (status, stored headers as JSON, body):
    # the record is then inserted 'done' with it, by the write's own transaction, and no second
    # transaction stores it after the request (`answer_with_write`; issue 17).
    answer: tuple[int, str, bytes] | None = None
    _pending_id: int | None = field(default=None, repr=False)


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


class KeyTaken(Conflict):
    """Raised at commit when another request holds the key: this request's write is rolled back."""

    slug, title = "idempotency-in-progress", "Request in progress"


# Built once: SQLAlchemy caches their compiled form, and building them is most of their cost.
_FIND = select(
    TABLE.c.id,
    TABLE.c.fingerprint,
    TABLE.c.state,
    TABLE.c.created_at,
    TABLE.c.expires_at,
    TABLE.c.response_status,
    TABLE.c.response_headers,
    TABLE.c.response_body,
).where(TABLE.c.owner == bindparam("owner"), TABLE.c.key == bindparam("key"))
_FINISH = (
    update(TABLE)
    .where(TABLE.c.id == bindparam("record_id"), TABLE.c.state == COMMITTED)
    .values(
        state=DONE, response_status=bindparam("status"), response_headers=bindparam("headers"), response_body=bindparam("body")
    )
)
_DELETE_VOID_ONE = delete(TABLE).where(TABLE.c.id == bindparam("record_id"), TABLE.c.state == bindparam("state"))


def _void(row, now: datetime) -> bool:
    """Expired, or a claim left 'pending' by the earlier design (nothing of it committed): as if absent."""
    return as_utc(row.expires_at) <= now or row.state == "pending"


def _outcome(row, fingerprint: str, now: datetime) -> Replay | Refused | None:
    """What an existing record means for a request with this fingerprint (None: as if absent, run)."""
    if row is None or _void(row, now):
        return None
    if row.fingerprint != fingerprint:
        return Refused("reused")
    if row.state == DONE:
        return Replay(row.response_status, row.response_headers or "[]", row.response_body or b"")
    if row.state == COMMITTED and as_utc(row.created_at) > now - ANSWER_WITHIN:
        return Refused("in_progress")
    return Refused("lost")


class Settled(Exception):  # not an error: the answer is already known
    """Raised once the caller is known (app/deps.py current_principal) when an earlier request with
    the key settles the answer; app/idempotency/middleware.py turns it into that answer."""

    def __init__(self, outcome: Replay | Refused):
        super().__init__(outcome)
        self.outcome = outcome


def lookup(conn, ctx: Context, *, now: datetime) -> Replay | Refused | None:
    """The answer an earlier request with this key settles, or None: run the request.

    `conn`: a connection or the request's session (a read; no transaction is left open on SQLite)."""
    row = conn.execute(_FIND, {"owner": ctx.owner, "key": ctx.key}).first()
    return _outcome(row, ctx.fingerprint, now)


# The record's columns `_outcome` reads, labelled, for a caller that reads the record in its own query
# (app/deps.py: with the API key, one round trip).
RECORD_COLUMNS = (
    TABLE.c.id.label("record_id"),
    TABLE.c.fingerprint.label("record_fingerprint"),
    TABLE.c.state.label("record_state"),
    TABLE.c.created_at.label("record_created_at"),
    TABLE.c.expires_at.label("record_expires_at"),
    TABLE.c.response_status.label("record_response_status"),
    TABLE.c.response_headers.label("record_response_headers"),
    TABLE.c.response_body.label("record_response_body"),
)


@dataclass(frozen=True)
class _Found:
    id: int
    fingerprint: str
    state: str
    created_at: datetime
    expires_at: datetime
    response_status: int | None
    response_headers: str | None
    response_body: bytes | None


def settle_found(row, ctx: Context | None) -> None:
    """`settle`, from a row that carries `RECORD_COLUMNS` (None where no record matched)."""
    if ctx is None:
        return
    found = None
    if row.record_id is not None:
        found = _Found(
            row.record_id,
            row.record_fingerprint,
            row.record_state,
            row.record_created_at,
            row.record_expires_at,
            row.record_response_status,
            row.record_response_headers,
            row.record_response_body,
        )
    outcome = _outcome(found, ctx.fingerprint, utcnow())
    if outcome is not None:
        ctx.settled = True
        raise Settled(outcome)


def settle(session, ctx: Context | None) -> None:
    """Before the request runs (in the caller's thread hop, on its session): raises Settled when an
    earlier request with the key decides the answer."""
    if ctx is None:
        return
    outcome = lookup(session, ctx, now=utcnow())
    if outcome is not None:
        ctx.settled = True
        raise Settled(outcome)


def _insert_statement(dialect: str, prefix: str = "") -> ReturningInsert[int]:
    values: dict[str, Any] = {
        name: bindparam(prefix + name, type_=TABLE.c[name].type)
        for name in (
            "owner",
            "key",
            "fingerprint",
            "state",
            "created_at",
            "expires_at",
            "response_status",
            "response_headers",
            "response_body",
        )
    }
    stmt: Insert
    if dialect == "postgresql":
        stmt = pg_insert(TABLE).values(**values).on_conflict_do_nothing(index_elements=["owner", "key"])
    elif dialect == "sqlite":
        stmt = sqlite_insert(TABLE).values(**values).on_conflict_do_nothing(index_elements=["owner", "key"])
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        stmt = insert(TABLE).values(**values)
    return stmt.returning(TABLE.c.id)


_INSERT = {dialect: Prepared(_insert_statement(dialect)) for dialect in ("postgresql", "sqlite")}
# The same INSERT for a write that runs it inside a statement of its own (`along_with_write`): its
# parameters prefixed, apart from the write's.
_ALONG_PREFIX = "record_"
_ALONG = _insert_statement("postgresql", _ALONG_PREFIX)


def _record_values(ctx: Context, state: str, now: datetime, **answer) -> dict[str, Any]:
    """The key's record as inserted: in `state`, with the `answer` columns given (response_*), else none."""
    return {
        "owner": ctx.owner,
        "key": ctx.key,
        "fingerprint": ctx.fingerprint,
        "state": state,
        "created_at": now,
        "expires_at": now + TTL,
        "response_status": None,
        "response_headers": None,
        "response_body": None,
        **answer,
    }


def _answer_columns(answer: tuple[int, str, bytes]) -> dict[str, Any]:
    """An answer the route gave (`Context.answer`), as the record's response_* columns."""
    status, headers, body = answer
    return {"response_status": status, "response_headers": headers, "response_body": body}


def _insert(conn: Connection, ctx: Context, state: str, now: datetime, **answer) -> int | None:
    """INSERT ... ON CONFLICT (owner, key) DO NOTHING RETURNING id of `_record_values`: the new id, or None if
    the key is held.

    A void record (expired, or an old 'pending' claim) is deleted and the insert tried again.
    """
    values = _record_values(ctx, state, now, **answer)
    stmt = _INSERT[conn.dialect.name]
    for _ in range(2):
        record_id = stmt.scalar(conn, values)
        if record_id is not None:
            return record_id
        row = conn.execute(_FIND, {"owner": ctx.owner, "key": ctx.key}).first()
        if row is None or not _void(row, now):
            return None
        conn.execute(_DELETE_VOID_ONE, {"record_id": row.id, "state": row.state})
    return None


def record_with_write(conn: Connection, ctx: Context) -> int:
    """Inside the write's transaction: the record, 'committed' (or 'done' with the answer the route gave,
    `Context.answer`). Raises KeyTaken if another request holds the key."""
    if ctx.answer is not None:
        record_id = _insert(conn, ctx, DONE, utcnow(), **_answer_columns(ctx.answer))
    else:
        record_id = _insert(conn, ctx, COMMITTED, utcnow())
    if record_id is None:
        ctx.taken = True
        raise KeyTaken(
            "Another request with this Idempotency-Key was applied while this one ran; nothing of this one was stored. "
            "Retry shortly with the same key to get the first answer."
        )
    return record_id


def along_with_write(ctx: Context) -> tuple[ReturningInsert[int], dict[str, Any]]:
    """PostgreSQL, a write that knows its answer (`Context.answer`) before its INSERT: the record ('done',
    with the answer) as an INSERT ... ON CONFLICT (owner, key) DO NOTHING RETURNING id to run inside the
    write's statement (POST a figure: app.audit.bulk), and its parameters (prefixed `_ALONG_PREFIX`). What it
    returns goes to `inserted_along`."""
    if ctx.answer is None:
        raise ValueError("along_with_write: the answer is not known yet")
    values = _record_values(ctx, DONE, utcnow(), **_answer_columns(ctx.answer))
    return _ALONG, {_ALONG_PREFIX + name: value for name, value in values.items()}


def inserted_along(conn: Connection, ctx: Context, record_id: int | None) -> int:
    """After the write's statement ran `along_with_write`'s INSERT: its id, or, when it inserted nothing (the
    key is held), what `record_with_write` makes of it: a void record replaced, else KeyTaken."""
    return record_id if record_id is not None else record_with_write(conn, ctx)


def store_answer(engine: Engine, ctx: Context, *, status: int, headers: str, body: bytes) -> Replay | Refused | None:
    """Stores the request's answer; purges some expired records on the way.

    Returns None when stored. When the key is held by another request (this one wrote nothing,
    and another with the same key settled meanwhile, or earlier: a body that is not JSON is
    answered 400 before the key is looked up), returns what that record says instead.
    """
    now = utcnow()
    answer = {"response_status": status, "response_headers": headers, "response_body": body}
    with not_flushed(engine) as conn:
        if ctx.record_id is not None:
            if (
                conn.execute(_FINISH, {"record_id": ctx.record_id, "status": status, "headers": headers, "body": body}).rowcount
                != 1
            ):
                log.warning("idempotency record %s was gone before its answer was stored", ctx.record_id)
            outcome = None
        elif _insert(conn, ctx, DONE, now, **answer) is None:
            outcome = _outcome(conn.execute(_FIND, {"owner": ctx.owner, "key": ctx.key}).first(), ctx.fingerprint, now)
            outcome = outcome or Refused("in_progress")
        else:
            outcome = None
        purge(conn, now=now)
    return outcome


def mark_lost(engine: Engine, ctx: Context) -> None:
    """The write committed but its answer will not be stored: retries are told to read the resource."""
    with not_flushed(engine) as conn:
        conn.execute(update(TABLE).where(TABLE.c.id == ctx.record_id, TABLE.c.state == COMMITTED).values(state=LOST))


def settled_by_other(engine: Engine, ctx: Context) -> Replay | Refused:
    """The answer for a request whose write found the key taken: the other request's answer, or 409."""
    with engine.connect() as conn:
        return lookup(conn, ctx, now=utcnow()) or Refused("in_progress")


def _purge_statement(dialect: str):
    """SKIP LOCKED (PostgreSQL; SQLite has none, its writers queue) keeps two purges from waiting
    on, or deadlocking over, the same rows."""
    expired = select(TABLE.c.id).where(TABLE.c.expires_at <= bindparam("now")).order_by(TABLE.c.expires_at)
    expired = expired.limit(bindparam("batch"))
    if dialect == "postgresql":
        expired = expired.with_for_update(skip_locked=True)
    return delete(TABLE).where(TABLE.c.id.in_(expired.scalar_subquery()))


_PURGE = {dialect: _purge_statement(dialect) for dialect in ("postgresql", "sqlite")}


def purge_expired(engine: Engine, *, now: datetime | None = None, batch: int = PURGE_ALL_BATCH) -> int:
    """Deletes every expired record, `batch` per short transaction; the number deleted.

    Run on a schedule by each worker (app/main.py, IDEMPOTENCY_PURGE_SECONDS) and by `chitieu purge`:
    without it, expired records went only `PURGE_BATCH` at a time as answers were stored.
    """
    total = 0
    while True:
        with not_flushed(engine) as conn:
            deleted = purge(conn, now=now or utcnow(), batch=batch)
        total += deleted
        if deleted < batch:
            return total


def purge(conn: Connection, *, now: datetime, batch: int = PURGE_BATCH) -> int:
    """Deletes up to `batch` expired records (the oldest first); the number deleted."""
    stmt = _PURGE[conn.dialect.name]
    return conn.execute(stmt, {"now": now, "batch": batch}).rowcount
