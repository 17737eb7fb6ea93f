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

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

from app.config import Settings


def make_engine(settings: Settings) -> Engine:
    """Creates the engine for the configured database, with our SQLite pragmas.

    Also makes sure the audit trail records every write of every session (registered once).
    """
    from app.audit.recorder import install  # here, not at the top: the recorder imports the models

    install()
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
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
    return create_engine(url, pool_pre_ping=True)


def session_scope(engine: Engine) -> Iterator[Session]:
    """Yields a session that is closed (and rolled back if uncommitted) afterwards."""
    with Session(engine) as session:
        yield session


@contextmanager
def not_flushed(engine: Engine) -> Iterator[Connection]:
    """A transaction whose commit does not wait for the disk: for what may be lost in a power cut
    (a stored answer whose loss reads as 'answer lost', a disposable stored evaluation).

    SQLite: synchronous=NORMAL for this transaction (set outside it, restored to FULL after, so
    the pool's connections stay durable); PostgreSQL: SET LOCAL synchronous_commit = off.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # outside a transaction (the driver begins one at the first write)
            conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            conn.commit()
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                yield conn
        finally:
            if sqlite:
                conn.rollback()  # no-op after the commit; ends a failed transaction
                conn.exec_driver_sql("PRAGMA synchronous=FULL")
                conn.commit()
