"""Webhook subscriptions, their delivery log and redelivery: admins only (subscriptions see every
organisation's events unless scoped, so who may subscribe is the same as who may see everything)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.common.crud import get_or_404, transaction
from app.common.types import MAX_ID, Page
from app.deps import AdminDep, ListRequest, SessionDep, listing
from app.events.models import DeliveryState, WebhookSubscription
from app.openapi import errors
from app.webhooks import service
from app.webhooks.models import (
    DeliveryPublic,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
    SubscriptionUpdate,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

ABOUT = """Events are POSTed as JSON (`id`, `type`, `timestamp`, `data`: the resource as the API shows it)
and signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`: HMAC-SHA256 with
the subscription's `whsec_` secret). Delivery is at least once: a receiver may see an event twice, always
with the same `webhook-id`. Failed attempts (no 2xx, a timeout, a refused connection; redirects are not
followed) are retried with exponential backoff and jitter for 24 hours; then the delivery fails and the
subscription is marked failing (`failing_since`). Event types: `figure.submitted`, `figure.approved`,
`figure.returned`, `figure.corrected`, `target.status_changed`, `report.overdue`."""


def load_subscription(
    session: SessionDep,
    _admin: AdminDep,
    subscription_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The subscription's id.")],
) -> WebhookSubscription:
    return get_or_404(session, WebhookSubscription, subscription_id, "Webhook subscription")


SubscriptionDep = Annotated[WebhookSubscription, Depends(load_subscription)]
SubscriptionListing = Annotated[ListRequest, Depends(listing(service.SUBSCRIPTION_SORTS, default="id"))]
DeliveryListing = Annotated[ListRequest, Depends(listing(service.DELIVERY_SORTS, default="-id"))]


@router.get(
    "/subscriptions",
    summary="List webhook subscriptions",
    description="Every subscription (active, paused or failing) with its URL, event types and scope; the secrets "
    "are never shown again after creation.",
    response_model=Page[SubscriptionPublic],
    responses=errors(422),
)
def list_subscriptions(session: SessionDep, _admin: AdminDep, page: SubscriptionListing):
    return page.answer(service.list_subscriptions(session, page.listing))


@router.post(
    "/subscriptions",
    status_code=201,
    summary="Subscribe a URL to events (the signing secret is in this answer only)",
    description=ABOUT + "\n\nURLs that resolve to loopback, private, link-local or metadata addresses are refused "
    "(422) unless the server allows them (WEBHOOKS_ALLOW_PRIVATE, for development).",
    response_model=SubscriptionCreated,
    responses=errors(409, 422),
)
def create_subscription(request: Request, session: SessionDep, _admin: AdminDep, body: SubscriptionCreate):
    with transaction(session):
        return service.create(session, request.app.state.settings, body)


@router.get(
    "/subscriptions/{subscription_id}",
    summary="Get a webhook subscription",
    description="The subscription's URL, event types, organisation scope, and whether it is active or failing "
    "(its deliveries kept failing for the whole retry window). The secret is not shown.",
    response_model=SubscriptionPublic,
    responses=errors(404, 422),
)
def get_subscription(subscription: SubscriptionDep):
    return service.public(subscription)


@router.patch(
    "/subscriptions/{subscription_id}",
    summary="Change a webhook subscription",
    description="`active: false` pauses deliveries (they wait); `active: true` resumes them and clears `failing_since`.",
    response_model=SubscriptionPublic,
    responses=errors(404, 409, 422),
)
def change_subscription(request: Request, session: SessionDep, subscription: SubscriptionDep, body: SubscriptionUpdate):
    with transaction(session):
        return service.change(session, request.app.state.settings, subscription, body)


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=204,
    summary="Delete a webhook subscription with its deliveries",
    description="Stops every delivery to the URL at once; the events themselves stay in the outbox for other "
    "subscriptions. To stop for a while instead, set `active` to false.",
    responses={204: {"description": "Deleted."}, **errors(404, 422)},
)
def delete_subscription(session: SessionDep, subscription: SubscriptionDep):
    with transaction(session):
        service.delete(session, subscription)
    return Response(status_code=204)


@router.get(
    "/subscriptions/{subscription_id}/deliveries",
    summary="A subscription's delivery log",
    description="Newest first; each delivery with every attempt (status code or error, time, attempt number).",
    response_model=Page[DeliveryPublic],
    responses=errors(404, 422),
)
def list_deliveries(
    session: SessionDep,
    subscription: SubscriptionDep,
    page: DeliveryListing,
    state: Annotated[DeliveryState | None, Query(description="Only deliveries in this state.")] = None,
):
    return page.answer(service.list_deliveries(session, subscription, state=state, listing=page.listing))


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    status_code=202,
    summary="Send a delivery again",
    description="Due at once, with the same `webhook-id` (receivers deduplicate on it) and a new 24-hour retry "
    "window, whatever its state (delivered or failed).",
    response_model=DeliveryPublic,
    responses=errors(404, 422),
)
def redeliver(
    request: Request,
    session: SessionDep,
    _admin: AdminDep,
    delivery_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The delivery's id.")],
):
    with transaction(session):
        return service.redeliver(session, request.app.state.settings, delivery_id)
