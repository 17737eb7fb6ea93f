"""Subscriptions and the delivery log: the use cases behind the admin routes. Services flush; the edge commits."""

from __future__ import annotations

from datetime import timedelta

import sqlmodel
from sqlalchemy import func, select, update
from sqlmodel import Session, col

from app.common.crud import flush, get_or_404
from app.common.listing import Listing, Sorts, ordered, page_of
from app.common.models import table_of, utcnow
from app.config import Settings
from app.errors import InvalidInput
from app.events.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from app.organizations.models import Organization
from app.webhooks import signing, urls
from app.webhooks.models import (
    AttemptPublic,
    DeliveryPublic,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
    SubscriptionUpdate,
)

_D = table_of(WebhookDelivery)
_E = table_of(WebhookEvent)
_A = table_of(WebhookAttempt)


def _check(session: Session, settings: Settings, url: str | None, organization_id: int | None) -> None:
    problems: dict[str, str] = {}
    if url is not None:
        try:
            urls.check_url(url, settings.webhooks_allow_private)
        except urls.Refused as exc:
            problems["url"] = str(exc)
    if organization_id is not None and session.get(Organization, organization_id) is None:
        problems["organization_id"] = f"organisation {organization_id} does not exist"
    if problems:
        raise InvalidInput.from_fields("The subscription cannot be accepted.", problems)


def public(row: WebhookSubscription) -> SubscriptionPublic:
    return SubscriptionPublic.model_validate(row, from_attributes=True)


def create(session: Session, settings: Settings, body: SubscriptionCreate) -> SubscriptionCreated:
    _check(session, settings, body.url, body.organization_id)
    secret = signing.new_secret()
    row = WebhookSubscription(
        url=body.url,
        description=body.description,
        event_types=[t.value for t in body.event_types],
        organization_id=body.organization_id,
        secret=secret,
    )
    session.add(row)
    flush(session, "The subscription could not be stored.")
    return SubscriptionCreated(**public(row).model_dump(), secret=secret)


def change(session: Session, settings: Settings, row: WebhookSubscription, body: SubscriptionUpdate) -> SubscriptionPublic:
    changes = body.model_dump(exclude_unset=True)
    nulled = {k: "this field cannot be null" for k, v in changes.items() if v is None and k != "organization_id"}
    if nulled:
        raise InvalidInput.from_fields("Some fields cannot be cleared.", nulled)
    _check(session, settings, changes.get("url"), changes.get("organization_id"))
    for key, value in changes.items():
        setattr(row, key, [t.value for t in value] if key == "event_types" else value)
    if changes.get("active") is True:
        row.failing_since = None
    row.updated_at = utcnow()
    session.add(row)
    flush(session, "The subscription could not be stored.")
    return public(row)


def delete(session: Session, row: WebhookSubscription) -> None:
    """Deletes the subscription with its deliveries and their log (ON DELETE CASCADE; done here too for SQLite
    connections without foreign keys)."""
    ids = select(_D.c.id).where(_D.c.subscription_id == row.id)
    session.execute(_A.delete().where(_A.c.delivery_id.in_(ids)))
    session.execute(_D.delete().where(_D.c.subscription_id == row.id))
    session.delete(row)
    flush(session, "The subscription could not be deleted.")


# What `sort` may name on the subscriptions (default `id`) and on a delivery log (default `-id`, newest first).
SUBSCRIPTION_SORTS: Sorts = {
    "id": (col(WebhookSubscription.id),),
    "url": (col(WebhookSubscription.url), col(WebhookSubscription.id)),
}
DELIVERY_SORTS: Sorts = {"id": (_D.c.id,), "next_attempt_at": (_D.c.next_attempt_at, _D.c.id)}


def list_subscriptions(session: Session, listing: Listing) -> dict:
    stmt = sqlmodel.select(WebhookSubscription).order_by(col(WebhookSubscription.id))  # entities, not rows
    page = page_of(session, stmt, listing, sorts=SUBSCRIPTION_SORTS)
    page["items"] = [public(r) for r in page["items"]]
    return page


_DELIVERY_COLUMNS = (
    _D.c.id,
    _D.c.event_id,
    _E.c.type.label("event_type"),
    _D.c.subscription_id,
    _D.c.state,
    _D.c.attempts,
    _D.c.next_attempt_at,
    _D.c.give_up_at,
    _D.c.last_status_code,
    _D.c.last_error,
    _D.c.delivered_at,
    _D.c.created_at,
)


def _deliveries(session: Session, where, listing: Listing) -> list[DeliveryPublic]:
    stmt = select(*_DELIVERY_COLUMNS).join(_E, _E.c.id == _D.c.event_id).where(where).order_by(_D.c.id.desc())
    rows = session.execute(ordered(stmt, listing, DELIVERY_SORTS).limit(listing.limit).offset(listing.offset)).all()
    log: dict[int, list[AttemptPublic]] = {r.id: [] for r in rows}
    if rows:
        for a in session.execute(select(_A).where(_A.c.delivery_id.in_(list(log))).order_by(_A.c.delivery_id, _A.c.id)):
            log[a.delivery_id].append(AttemptPublic.model_validate(a, from_attributes=True))
    return [DeliveryPublic.model_validate({**r._mapping, "log": log[r.id]}) for r in rows]


def list_deliveries(
    session: Session, subscription: WebhookSubscription, *, state: DeliveryState | None, listing: Listing
) -> dict:
    """The subscription's delivery log, newest first: each delivery with every attempt (status code, time, attempt)."""
    where = _D.c.subscription_id == subscription.id
    if state is not None:
        where = where & (_D.c.state == state.value)
    total = session.execute(select(func.count()).select_from(_D).where(where)).scalar_one()
    return {"items": _deliveries(session, where, listing), "total": total, "limit": listing.limit, "offset": listing.offset}


def delivery(session: Session, delivery_id: int) -> DeliveryPublic:
    found = _deliveries(session, _D.c.id == delivery_id, Listing(limit=1))
    if not found:
        get_or_404(session, WebhookDelivery, delivery_id, "Delivery")  # raises
    return found[0]


def redeliver(session: Session, settings: Settings, delivery_id: int) -> DeliveryPublic:
    """Sends the event again (same `webhook-id`), whatever its state: due now, with a new retry window."""
    get_or_404(session, WebhookDelivery, delivery_id, "Delivery")
    now = utcnow()
    session.execute(
        update(_D)
        .where(_D.c.id == delivery_id)
        .values(
            state=DeliveryState.PENDING.value,
            next_attempt_at=now,
            give_up_at=now + timedelta(hours=settings.webhooks_retry_hours),
        )
    )
    return delivery(session, delivery_id)
