"""The webhook API's bodies and answers (the tables are in app/events/models.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from app.common.types import Id, InputModel, Line, UtcDateTime, text_checks
from app.events.models import DeliveryState, EventType

WebhookUrl = Annotated[str, *text_checks(2000, min_length=1, controls="line")]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=len(EventType))]


def _unique(types: list[EventType] | None) -> list[EventType] | None:
    return None if types is None else list(dict.fromkeys(types))


class SubscriptionCreate(InputModel):
    url: WebhookUrl = Field(description="Where events are POSTed: http:// or https://; no redirects are followed.")
    event_types: EventTypes = Field(description="The event types to receive.")
    organization_id: Id | None = Field(
        default=None, description="Only events about this organisation and those under it; null: every event."
    )
    description: Line = ""

    _types = field_validator("event_types")(_unique)


class SubscriptionUpdate(InputModel):
    """PATCH: the fields given change. `active: true` also clears `failing_since`."""

    url: WebhookUrl | None = None
    event_types: EventTypes | None = None
    organization_id: Id | None = None
    description: Line | None = None
    active: bool | None = None

    _types = field_validator("event_types")(_unique)


class SubscriptionPublic(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    organization_id: int | None
    active: bool
    failing_since: UtcDateTime | None = Field(
        description="Set when a delivery gave up after the retry window (24 h); cleared by the next success."
    )
    created_at: UtcDateTime
    updated_at: UtcDateTime


class SubscriptionCreated(SubscriptionPublic):
    secret: str = Field(description="The signing secret (`whsec_...`): shown in this answer only.")


class AttemptPublic(BaseModel):
    attempt: int
    attempted_at: UtcDateTime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryPublic(BaseModel):
    id: int
    event_id: str = Field(description="The `webhook-id` header: the same for every attempt and redelivery.")
    event_type: str
    subscription_id: int
    state: DeliveryState
    attempts: int
    next_attempt_at: UtcDateTime
    give_up_at: UtcDateTime
    last_status_code: int | None
    last_error: str | None
    delivered_at: UtcDateTime | None
    created_at: UtcDateTime
    log: list[AttemptPublic] = Field(description="Every attempt, oldest first.")


class DeliveryFilter(BaseModel):
    state: DeliveryState | None = None
    since: datetime | None = None
