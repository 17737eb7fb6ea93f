"""Inserts a request's idempotency record in the same transaction as the request's write.

The write and its record commit together or not at all: if the process dies after the commit,
the record says 'committed' and a retry is never run a second time; if the write is rolled
back, there is no record and a retry runs.

How: the middleware puts a `store.Context` in the request's state; `get_session`
(app/deps.py) copies it to `session.info["idempotency"]`; the `before_commit` listener below,
registered once on every Session, inserts the record (`store.record_with_write`) in the
transaction being committed, and `after_commit` notes its id on the context for the
middleware. Only commits made once the caller is authenticated count
(`session.info["principal"]` is set by `current_principal`): the earlier commit that notes the
key's last use is bookkeeping, not the request's write. A request that commits twice records
once.

If another request with the same key committed first, the insert finds the key taken:
`store.KeyTaken` (409) is raised, the commit does not happen, and the middleware answers from
the other request's record.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.idempotency import store

INFO_KEY = "idempotency"
STATE_KEY = "idempotency"  # request.state / scope["state"] name, set by the middleware


def _context(session: Session) -> store.Context | None:
    """The request's key when its record is still to be written in this transaction (none yet, or rolled back)."""
    ctx = session.info.get(INFO_KEY)
    if ctx is None or ctx.record_id is not None or ctx._pending_id is not None or session.info.get("principal") is None:
        return None
    return ctx


def record_with_write(session: Session) -> None:
    ctx = _context(session)
    if ctx is not None:
        ctx._pending_id = store.record_with_write(session.connection(), ctx)


def confirm(session: Session) -> None:
    ctx = session.info.get(INFO_KEY)
    if ctx is not None and ctx._pending_id is not None:
        ctx.record_id, ctx._pending_id = ctx._pending_id, None


def forget(session: Session, _previous_transaction=None) -> None:
    ctx = session.info.get(INFO_KEY)
    if ctx is not None:
        ctx._pending_id = None  # rolled back with the write
        ctx.answer = None  # and the answer given for it (POST a figure gives it before its INSERT)


def answer_with_write(
    session: Session, status: int, body: bytes, media_type: str = "application/json", headers: dict[str, str] | None = None
) -> None:
    """For a route that knows its answer before its commit: the record is inserted 'done' with it, in
    the write's own transaction, so no transaction after the request stores it (issue 17: one commit
    per POST, the busiest write). The route must then answer exactly this: status, body, media type
    and `headers` (a 201's Location and ETag: those of them in store.STORED_HEADERS are kept, so a
    replay carries them as the first answer did)."""
    ctx = session.info.get(INFO_KEY)
    if ctx is None:
        return
    sent = [(b"content-type", media_type.encode("latin-1"))]
    sent += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in (headers or {}).items()]
    kept = store.stored_headers(sent)
    if len(body) + len(kept) <= store.MAX_ANSWER_BYTES:  # else as any answer too large to keep (store.py)
        ctx.answer = (status, kept, body)


def along_with_write(session: Session) -> tuple[Any, dict[str, Any]] | None:
    """PostgreSQL, for a write whose answer is given (`answer_with_write`) before its INSERT runs: the
    record's INSERT and parameters to run inside the write's own statement (`store.along_with_write`), so
    the record costs no statement of its own; None when there is no record to write (no Idempotency-Key,
    an answer too large to keep, or written already). Hand what the statement returns to `inserted_along`;
    the commit then inserts no other."""
    ctx = _context(session)
    if ctx is None or ctx.answer is None:
        return None
    return store.along_with_write(ctx)


def inserted_along(session: Session, record_id: int | None) -> None:
    """What the write's statement returned for `along_with_write`'s INSERT (None: the key is held; then as at a
    commit: a void record replaced, else KeyTaken and the write rolls back)."""
    ctx = session.info[INFO_KEY]
    ctx._pending_id = store.inserted_along(session.connection(), ctx, record_id)


def install() -> None:
    """Registers the listeners on every Session (idempotent)."""
    for name, listener in (("before_commit", record_with_write), ("after_commit", confirm), ("after_rollback", forget)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
