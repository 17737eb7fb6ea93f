"""The audit trail: one row per change, never updated or deleted.

On PostgreSQL a trigger (migration 0003) refuses UPDATE and DELETE on this
table, so even a bug or a hand-typed query cannot rewrite history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from app.common.models import created_at_field
from app.common.types import UtcDateTime


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity_entity_id", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = created_at_field()
    # Who: the API key (id and name at the time), or "cli" for the command line.
    actor_key_id: int | None = Field(default=None, index=True)
    actor: str = Field(default="", max_length=500)
    request_id: str = Field(default="", max_length=200)
    # What: create, update, archive, correct, retract, assess, key_create, key_revoke.
    action: str = Field(max_length=32, index=True)
    entity: str = Field(max_length=32)
    entity_id: int | None = None
    # The organisation the changed object belongs to, so scoped keys see their own events.
    organization_id: int | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class AuditEventPublic(SQLModel):
    id: int
    occurred_at: UtcDateTime
    actor_key_id: int | None
    actor: str
    request_id: str
    action: str
    entity: str
    entity_id: int | None
    organization_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
