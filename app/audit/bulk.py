"""Audit events for rows inserted in bulk with Core, which the recorder's session events never see.

The recorder (`app/audit/recorder.py`) writes the events of everything that goes through the
ORM unit of work. A service that inserts many rows at once with a Core `executemany` (the
figure import: 20,000 rows per file) bypasses the unit of work, so it calls `record_inserted`
right after its insert, in the same transaction. The events are the ones the recorder would
have written for the same rows added through the ORM: same action, entity, ids, organisation,
actor, request id, and `after` (every audited column, JSON-safe, in column order; `before` is
null for an insert). Both build them with the recorder's own helpers, so they cannot drift.

Nothing is recorded twice: Core inserts raise no session events, and the rows passed here must
not also be added to the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.recorder import AUDITED, EventContext, _Orgs, audited_columns, column_values, created_action

_INSERT_EVENTS = insert(AuditEvent.__table__)


def record_inserted(session: Session, model: type, rows: Sequence[dict[str, Any]], *,
                    context: EventContext | None = None) -> None:
    """Writes one audit event per inserted row of `model` (each row: its column values, `id` included).

    `context`: who acts and when; give the same one to every call of one write, so all its
    events carry one time, as the events of one flush do.
    """
    if not rows:
        return
    who = context or EventContext.of(session)
    entity = AUDITED[model]
    keys = audited_columns(model)
    connection = session.connection()
    orgs = _Orgs(connection)
    events = []
    for row in rows:
        after = column_values(model, row, keys)
        action = created_action(model, row.get("kind"))
        events.append(who.event(action, entity, after.get("id"), orgs.of(after, entity), None, after))
    connection.execute(_INSERT_EVENTS, events)
