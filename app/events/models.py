"""The webhook tables: subscriptions, the outbox of events, one delivery per (event, subscription),
the delivery log (one row per attempt) and the overdue notices already sent.

Events and deliveries are written in the transaction of the change they tell about
(`app.events.outbox.emit`): a change that rolls back leaves no event, and a committed change
keeps its events even if the process dies the next instant. The delivery worker
(`app.webhooks.worker`) reads only these tables: all its state is here, none in memory.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlmodel import Field, SQLModel

from app.common.models import created_at_field


class EventType(StrEnum):
    FIGURE_SUBMITTED = "figure.submitted"
    FIGURE_APPROVED = "figure.approved"
    FIGURE_RETURNED = "figure.returned"
    FIGURE_CORRECTED = "figure.corrected"
    TARGET_STATUS_CHANGED = "target.status_changed"
    REPORT_OVERDUE = "report.overdue"


class DeliveryState(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (also while a worker holds it: its lease is next_attempt_at)
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # no 2xx before give_up_at (the subscription is then marked failing)


class WebhookSubscription(SQLModel, table=True):
    """Where to send which events, and the secret that signs them (shown once, at creation)."""

    __tablename__ = "webhook_subscription"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=500)
    event_types: list[str] = Field(sa_column=Column(JSON, nullable=False))
    # Events about this organisation and those under it only; None: every event.
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    # `whsec_` + base64 of 32 random bytes (Standard Webhooks). HMAC needs the secret itself, so it is
    # stored as is (like any signing key: protect the database); the API never returns it after creation.
    secret: str = Field(max_length=100)
    active: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    # Set when a delivery gave up after the retry window; cleared by the next successful delivery.
    failing_since: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class WebhookEvent(SQLModel, table=True):
    """One event (the outbox row): its id is the `webhook-id` every delivery and retry of it carries."""

    __tablename__ = "webhook_event"

    id: str = Field(max_length=40, primary_key=True)
    type: str = Field(max_length=64)
    organization_id: int | None = Field(default=None)
    # The exact body sent (JSON: id, type, timestamp, data); signed anew at each attempt.
    payload: str = Field(sa_type=Text)
    created_at: datetime = created_at_field()


class WebhookDelivery(SQLModel, table=True):
    """One event to one subscription: its state, when it is next due, and how it last went."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(
        sa_column=Column(String(40), ForeignKey("webhook_event.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    subscription_id: int = Field(
        sa_column=Column(Integer, ForeignKey("webhook_subscription.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    state: str = Field(default=DeliveryState.PENDING.value, max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    give_up_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = created_at_field()


class WebhookAttempt(SQLModel, table=True):
    """The delivery log: one row per attempt (status code or error, when, how long)."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(
        sa_column=Column(Integer, ForeignKey("webhook_delivery.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    attempt: int
    attempted_at: datetime = created_at_field()
    status_code: int | None = Field(default=None)
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int = Field(default=0)


class OverdueNotice(SQLModel, table=True):
    """report.overdue sent once per (target, unit, due date): the primary key is the dedupe."""

    __tablename__ = "webhook_overdue_notice"

    target_id: int = Field(
        sa_column=Column(Integer, ForeignKey("target.id", ondelete="CASCADE"), primary_key=True, nullable=False)
    )
    organization_id: int = Field(primary_key=True)
    due_date: date = Field(primary_key=True)
    created_at: datetime = created_at_field()
