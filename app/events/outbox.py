"""The outbox: events written in the caller's transaction, delivered later by the worker.

The public API for any write path (figures here; figure approval calls `emit` too):

    emit(session, "figure.approved", resource, organization_id)

inserts the event and one delivery per matching subscription on the session's connection, inside
the caller's transaction (no flush of the ORM, no commit): the change and its events commit or
roll back together. Nothing is written when no active subscription wants the event type (or
the organisation): an event nobody subscribed to is never delivered to anyone, so it costs one
small read per transaction and no row.

A subscription matches an event when it lists the type and, if scoped to an organisation, the
event's organisation is that one or one under it. `resource` is the object as the API shows it
(JSON-ready: `model_dump(mode="json")`).

`watch_targets` notes which targets a transaction gave new figures, for `target.status_changed`,
decided at commit by app/webhooks/status_changes.py (which may read the status; this package may
not). Both the subscriptions read and the watched targets live in `session.info`, tied to the
session's current transaction object, so nothing leaks into the next transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import exists, insert, select
from sqlmodel import Session

from app.common.models import table_of, utcnow
from app.common.prepared import Prepared
from app.config import get_settings
from app.events.models import DeliveryState, EventType, WebhookDelivery, WebhookEvent, WebhookSubscription
from app.organizations.service import subtree

__all__ = ["ANY_ACTIVE", "EventType", "Watched", "emit", "emit_many", "note_any_active", "take_watched", "wants", "watch_targets"]

_S = table_of(WebhookSubscription)
_E = table_of(WebhookEvent)
_D = table_of(WebhookDelivery)
_ACTIVE = Prepared(select(_S.c.id, _S.c.organization_id, _S.c.event_types).where(_S.c.active.is_(True)).order_by(_S.c.id))

# Whether any subscription is active, as a column of a caller's own query in the transaction (POST a figure
# reads it with the target: app.targets.deps.reportable), handed to `note_any_active`.
ANY_ACTIVE = exists().where(_S.c.active.is_(True))

_SUBSCRIPTIONS = "events.subscriptions"
_WATCHED = "events.watched_targets"


class _Subscription(NamedTuple):
    id: int
    organization_id: int | None
    event_types: frozenset[str]


def _transaction_info(session: Session, key: str) -> Any:
    """What `key` holds for the session's current transaction (None if set in another one)."""
    held = session.info.get(key)
    if held is not None and held[0] is session.get_transaction():
        return held[1]
    return None


def _subscriptions(session: Session) -> list[_Subscription]:
    """The active subscriptions, read once per transaction (a small table: a handful of rows)."""
    found = _transaction_info(session, _SUBSCRIPTIONS)
    if found is None:
        rows = _ACTIVE.rows(session.connection())
        found = [_Subscription(r.id, r.organization_id, frozenset(r.event_types or ())) for r in rows]
        session.info[_SUBSCRIPTIONS] = (session.get_transaction(), found)
    return found


def note_any_active(session: Session, any_active: bool) -> None:
    """What a query of the caller's, in the session's current transaction, read of `ANY_ACTIVE`. None active:
    the transaction's subscriptions are known (none), and no read of them follows (a round trip fewer for the
    busiest write, issue 17). Some active: they are read when first needed, as without this note. Either way
    the subscriptions are those of one moment of the transaction, as the read's would be."""
    if not any_active:
        session.info[_SUBSCRIPTIONS] = (session.get_transaction(), [])


def wants(session: Session, event_type: str) -> bool:
    """Whether any active subscription lists `event_type` (before building resources nobody would get)."""
    return any(event_type in s.event_types for s in _subscriptions(session))


def emit(session: Session, event_type: str, resource: Mapping[str, Any], organization_id: int | None) -> str | None:
    """Records one event in the caller's transaction; its id (the `webhook-id`), or None when nobody subscribed."""
    ids = emit_many(session, [(event_type, resource, organization_id)])
    return ids[0] if ids else None


def emit_many(session: Session, events: Iterable[tuple[str, Mapping[str, Any], int | None]]) -> list[str]:
    """Records events (type, resource, organisation) in the caller's transaction: two INSERTs in all.

    Returns the ids of the events that matched a subscription (the others are not stored)."""
    subscriptions = _subscriptions(session)
    if not subscriptions:
        return []
    now = utcnow()
    give_up_at = now + timedelta(hours=get_settings().webhooks_retry_hours)
    scopes: dict[int, set[int]] = {}

    def matches(sub: _Subscription, event_type: str, organization_id: int | None) -> bool:
        if event_type not in sub.event_types:
            return False
        if sub.organization_id is None:
            return True
        if organization_id is None:
            return False
        if sub.organization_id not in scopes:
            scopes[sub.organization_id] = subtree(session, sub.organization_id)
        return organization_id in scopes[sub.organization_id]

    event_rows: list[dict[str, Any]] = []
    delivery_rows: list[dict[str, Any]] = []
    for event_type, resource, organization_id in events:
        receivers = [s.id for s in subscriptions if matches(s, event_type, organization_id)]
        if not receivers:
            continue
        event_id = new_event_id()
        body = {"id": event_id, "type": event_type, "timestamp": timestamp(now), "data": dict(resource)}
        event_rows.append(
            {
                "id": event_id,
                "type": event_type,
                "organization_id": organization_id,
                "payload": json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str),
                "created_at": now,
            }
        )
        delivery_rows.extend(
            {
                "event_id": event_id,
                "subscription_id": sub_id,
                "state": DeliveryState.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "give_up_at": give_up_at,
                "created_at": now,
            }
            for sub_id in receivers
        )
    if event_rows:
        connection = session.connection()
        connection.execute(insert(_E), event_rows)
        connection.execute(insert(_D), delivery_rows)
    return [row["id"] for row in event_rows]


def new_event_id() -> str:
    """`msg_` + 32 hex digits: unique without asking the database, the same at every retry of the event."""
    return f"msg_{uuid.uuid4().hex}"


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as the payload's `timestamp`."""
    return moment.isoformat().replace("+00:00", "Z")


class Watched(NamedTuple):
    """What one transaction changed on a target: the ids of the figures it added, and the ids of the
    figures it reviewed (approved or returned: issue 14's approval changes what counts with no new figure)."""

    figures: set[int]
    reviews: set[int]


def watch_targets(session: Session, figures: Iterable[Mapping[str, Any]], *, reviewed: bool = False) -> None:
    """Notes the targets that this transaction gives new figures (rows with `id` and `target_id`), or whose
    figures it reviews (`reviewed`: rows with the reviewed figure's `id`), when someone subscribes to
    target.status_changed: the status is compared before and after at commit."""
    if not wants(session, EventType.TARGET_STATUS_CHANGED):
        return
    watched: dict[int, Watched] | None = _transaction_info(session, _WATCHED)
    if watched is None:
        watched = {}
        session.info[_WATCHED] = (session.get_transaction(), watched)
    for row in figures:
        entry = watched.setdefault(row["target_id"], Watched(set(), set()))
        (entry.reviews if reviewed else entry.figures).add(row["id"])


def take_watched(session: Session) -> dict[int, Watched]:
    """target id -> what this transaction added to it or reviewed (emptied: each commit decides once)."""
    watched = _transaction_info(session, _WATCHED)
    session.info.pop(_WATCHED, None)
    return watched or {}
