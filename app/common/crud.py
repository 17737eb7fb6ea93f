"""Helpers every service uses: load-or-404, paging, PATCH; and the edge's one commit, `transaction`.

Services flush and return; they never commit. The edge of a use case (a route, a CLI command, an
import run, the seed) wraps it in `transaction(session)`, which commits once. A unique or
foreign-key violation (raised by a service's flush or by the commit) rolls everything back and
becomes a 409 problem: the use case names what it means with `on_conflict` (a sentence, or a
function that reads the database after the rollback, e.g. to name the winner of a race), else the
edge's own sentence is used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from app.common.models import utcnow
from app.errors import Conflict, DomainError, InvalidInput, NotFound

M = TypeVar("M", bound=SQLModel)


def get_or_404(session: Session, model: type[M], row_id: int, label: str) -> M:
    """Gets a row by id or raises NotFound naming what was missing."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{label} {row_id} does not exist.")
    return row


def paginate(session: Session, statement, *, limit: int, offset: int) -> dict[str, Any]:
    """Runs a select for one page and counts the whole result."""
    total = session.exec(select(func.count()).select_from(statement.order_by(None).subquery())).one()
    items = session.exec(statement.limit(limit).offset(offset)).all()
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def check_not_archived(*rows: Any) -> None:
    """Archived plans and targets (`archived_at` set) can be read but no longer changed (409 naming the first)."""
    for row in rows:
        if row.archived_at is not None:
            raise Conflict(f"{type(row).__name__} {row.id} is archived: it can be read but no longer changed.")


def apply_patch(row: SQLModel, changes: dict[str, Any], *, nullable: set[str]) -> None:
    """Copies a PATCH body onto a row; null is allowed only for optional fields."""
    nulled = {k: "this field cannot be null" for k, v in changes.items() if v is None and k not in nullable}
    if nulled:
        raise InvalidInput.from_fields("Some fields cannot be cleared.", nulled)
    for key, value in changes.items():
        setattr(row, key, value)
    if hasattr(row, "updated_at"):
        row.updated_at = utcnow()


# What a use case's IntegrityError means: a 409 detail, or a function of the (rolled back) session.
ConflictMeaning = str | Callable[[Session], DomainError]
_ON_CONFLICT = "on_conflict"


def on_conflict(session: Session, meaning: ConflictMeaning) -> None:
    """Says what a unique or foreign-key violation of the running use case means (the last said wins).

    The edge's `transaction` answers with it: a sentence becomes a 409 with that detail; a function
    is called with the session after the rollback and returns the error to raise.
    """
    session.info[_ON_CONFLICT] = meaning


# SQLite has one writer at a time: a connection that finds the write lock taken sleeps in SQLite's busy
# handler (1, 2, 5, 10 ... 100 ms between tries), so with a few writes at once the lock sat idle while
# they slept (POST a figure under 8 concurrent clients: p99 over 2 s). The use cases of one process take
# their turn on this lock instead, handed over the moment the last one ends. Not a rule of correctness
# (SQLite's own lock is that, across processes too) and no state: only the order of this process's writers.
# A turn not given within TURN_SECONDS (a long import) is not waited for further: SQLite's busy timeout
# (SQLITE_BUSY_TIMEOUT_MS, 5 s by default) then applies as before, so a writer behind a write longer than
# both gives up after their sum. The turn is taken when the use case's `transaction` begins, reads and
# checks included: a few milliseconds more than SQLite's lock would hold other writers of the process.
# Nothing may write before its `transaction` (it would hold SQLite's lock while waiting for the turn).
_SQLITE_WRITERS = threading.RLock()
TURN_SECONDS = 5.0


@contextmanager
def _turn(session: Session) -> Iterator[None]:
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    taken = _SQLITE_WRITERS.acquire(timeout=TURN_SECONDS)
    try:
        yield
    finally:
        if taken:
            _SQLITE_WRITERS.release()


@contextmanager
def transaction(session: Session, conflict: str = "The change could not be stored (changed meanwhile?).") -> Iterator[Session]:
    """The one commit of a use case, at its edge: commits when the block ends without an exception.

    Any exception rolls everything back and is raised again, except an IntegrityError (from a
    flush inside the block or from the commit), which becomes what the use case said with
    `on_conflict`, else a 409 with `conflict`. The commit's hooks (the Idempotency-Key's record)
    run inside it, so the write and its record are one durable commit. On SQLite the use cases of
    a process take turns (`_SQLITE_WRITERS`), as SQLite's one writer would make them anyway.
    """
    with _turn(session):
        yield from _transaction(session, conflict)


def _transaction(session: Session, conflict: str) -> Iterator[Session]:
    session.info.pop(_ON_CONFLICT, None)
    try:
        yield session
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        meaning = session.info.pop(_ON_CONFLICT, None) or conflict
        raise (Conflict(meaning) if isinstance(meaning, str) else meaning(session)) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_ON_CONFLICT, None)


def flush(session: Session, conflict: ConflictMeaning) -> None:
    """Sends the use case's changes to the database, inside the edge's transaction (no commit).

    `conflict` says what a unique or foreign-key violation means, here or at the commit (`on_conflict`).
    """
    on_conflict(session, conflict)
    session.flush()
