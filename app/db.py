"""Engine and sessions. The app keeps its engine on `app.state`, never in a global.

SQLite settings, chosen for "a figure acknowledged with a 2xx survives a crash of
the process and of the machine":
- journal_mode=WAL: readers never block the writer and a crash leaves the database
  consistent (the WAL is replayed or ignored on open);
- synchronous=FULL: every commit fsyncs the WAL before the commit returns, so an
  acknowledged write survives power loss. NORMAL would be faster (one fsync per
  checkpoint instead of per commit) but can lose the last commits on power loss,
  which is exactly the promise we make. The cost is one fsync per write request;
- foreign_keys=ON (off by default in SQLite) and a busy timeout so concurrent
  writers queue instead of failing at once.
PostgreSQL's defaults (fsync on, synchronous_commit on) already give that promise.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine

from app.common.models import json_text
from app.config import Settings


def _names_a_file(sqlite_url: str) -> bool:
    """Whether a SQLite URL names a file (SQLAlchemy's test: its pool is then a QueuePool), not memory."""
    parsed = make_url(sqlite_url)
    return bool(parsed.database) and parsed.database != ":memory:" and parsed.query.get("mode") != "memory"


def make_engine(settings: Settings) -> Engine:
    """Creates the engine for the configured database, with our SQLite pragmas.

    Also makes sure the audit trail records every write of every session (registered once).
    """
    from app.audit.recorder import install  # here, not at the top: the recorder imports the models

    install()
    url = settings.database_url
    if url.startswith("sqlite"):
        # The most recently returned connection first (LIFO), not each in turn. Measured (issue 17): after status
        # reads, a POST's statements ran 2 to 3 times slower on the pool's warm connections handed out in turn,
        # and did not with LIFO or with fresh connections. The likely cause: SQLite drops a connection's cached
        # pages when another connection wrote since its last transaction, and the status reads had filled them;
        # the connection a request just gave back is the one whose cache still holds.
        # (A database in memory has one connection per thread, SingletonThreadPool, which takes no order.)
        lifo = {"pool_use_lifo": True} if _names_a_file(url) else {}
        engine = create_engine(url, connect_args={"check_same_thread": False}, json_serializer=json_text, **lifo)
        timeout = int(settings.sqlite_busy_timeout_ms)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # pragma: no cover - exercised by every test
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={timeout}")
            cursor.close()

        return engine
    engine = create_engine(url, json_serializer=json_text)
    _ping_when_idle(engine)
    return engine


# A pooled PostgreSQL connection may have died while it sat in the pool (a restart of the server, an
# idle timeout, a network cut). `pool_pre_ping` tests every checkout with a round trip: on the two
# busiest routes that was one round trip in three, and ~0.2 ms of CPU each (issue 17). A connection
# checked in moments ago was alive then; one idle longer than PING_AFTER_IDLE_SECONDS is tested before
# use, and a dead one is replaced (the pool connects again) instead of failing the request. A server
# restart while the connections are busy fails what is in flight, as with pre-ping, and at most one
# more request per pooled connection (the pool then drops every older connection).
PING_AFTER_IDLE_SECONDS = 10.0
_CHECKED_IN = "checked_in_at"


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get(_CHECKED_IN)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # new (just connected), or back in the pool moments ago
        try:
            # the dialect's own ping (pre-ping's): it leaves no transaction open on the connection (a plain
            # SELECT would, and a route that then asks for AUTOCOMMIT on it would fail)
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool discards this connection and connects again (up to 3 tries)
            raise DisconnectionError(f"a pooled connection was dead after {time.monotonic() - idle_since:.0f} s idle") from exc


def session_scope(engine: Engine) -> Iterator[Session]:
    """Yields a session that is closed (and rolled back if uncommitted) afterwards."""
    with Session(engine) as session:
        yield session


# How long a disposable write (`not_flushed(..., disposable=True)`: the stored evaluations and answers) waits for a
# lock before it gives up. Those writes run on a connection of their own while the caller's session may still hold
# its read; a lock request queued between the two (a TRUNCATE, a migration's ALTER TABLE) waits for that read, and
# the read's thread waits for this write: without a bound the three wait forever (it happened in the test suite,
# 2026-12-07: the judging after an import against the tests' TRUNCATE). Bounded, the write fails, is logged, and
# the next read computes again.
DISPOSABLE_LOCK_TIMEOUT = "2s"
_BRIEF_LOCK_WAITS = f"set_config('lock_timeout', '{DISPOSABLE_LOCK_TIMEOUT}', true)"  # for the transaction only
_SETTINGS_DISPOSABLE = f"SELECT set_config('synchronous_commit', 'off', true), {_BRIEF_LOCK_WAITS}"


def wait_briefly(conn: Connection) -> None:
    """A read made for a disposable write (before it, on a connection of its own): the same bound on lock waits,
    for this transaction (PostgreSQL; SQLite's readers take no lock a writer could queue behind)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT {_BRIEF_LOCK_WAITS}")


@contextmanager
def not_flushed(engine: Engine, *, disposable: bool = False) -> Iterator[Connection]:
    """A transaction whose commit does not wait for the disk: for what may be lost in a power cut
    (a stored answer whose loss reads as 'answer lost', a disposable stored evaluation).

    SQLite: synchronous=NORMAL for this transaction (set outside it, restored to FULL after, so
    the pool's connections stay durable); PostgreSQL: synchronous_commit off for the transaction.
    `disposable`: what is written may also be dropped, so on PostgreSQL no lock is waited for longer than
    DISPOSABLE_LOCK_TIMEOUT (a lock_timeout error, which the caller logs). Set with the same statement:
    no round trip more.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # outside a transaction (the driver begins one at the first write)
            conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            conn.commit()
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(_SETTINGS_DISPOSABLE if disposable else "SET LOCAL synchronous_commit = off")
                yield conn
        finally:
            if sqlite:
                conn.rollback()  # no-op after the commit; ends a failed transaction
                conn.exec_driver_sql("PRAGMA synchronous=FULL")
                conn.commit()
