"""Marks an idempotency record 'committed' in the same transaction as the request's write.

This closes the crash window between "the write committed" and "the answer was stored": if
the process dies there, the record says 'committed', and a retry is answered 409 (the write
was applied; read the resource) instead of running the write a second time. A record still
'pending' after a crash means nothing was committed, and a retry may run again.

How: the middleware puts the record id in the request's state; `get_session` (app/deps.py)
copies it to `session.info["idempotency_record_id"]`; the `before_commit` listener below,
registered once on every Session, runs

    UPDATE idempotency_record SET state='committed' WHERE id=:id AND state IN ('pending', 'committed')

inside the transaction being committed. Only commits made once the caller is authenticated
count (`session.info["principal"]` is set by `current_principal`): the earlier commit that
notes the key's last use is bookkeeping, not the request's write.

If no row matched, the record was taken over by a retry (this request was thought dead):
the commit is refused with 409, so the write cannot happen twice.
"""

from __future__ import annotations

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.idempotency.store import COMMITTED, PENDING, TABLE

INFO_KEY = "idempotency_record_id"
STATE_KEY = "idempotency_record_id"  # request.state / scope["state"] name, set by the middleware


class TakenOver(Conflict):
    slug, title = "idempotency-taken-over", "Request taken over"


def mark_committed(session: Session) -> None:
    record_id = session.info.get(INFO_KEY)
    if record_id is None or session.info.get("principal") is None:
        return
    stmt = update(TABLE).where(TABLE.c.id == record_id, TABLE.c.state.in_((PENDING, COMMITTED))).values(state=COMMITTED)
    if session.execute(stmt).rowcount != 1:
        raise TakenOver(
            "A retry with the same Idempotency-Key took this request over while it was running; "
            "nothing of this request was stored."
        )


def install() -> None:
    """Registers the listener on every Session (idempotent)."""
    if not event.contains(Session, "before_commit", mark_committed):
        event.listen(Session, "before_commit", mark_committed)
