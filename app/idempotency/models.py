"""Stored answers to POST requests that carried an `Idempotency-Key`.

Kept in the database (not in a process) so that a retry reaching another
worker or host gets the same answer. See app/idempotency/middleware.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.common.models import created_at_field


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("owner", "key", name="uq_idempotency_record_owner_key"),)

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 of the bearer token: keys are per API key, and no secret is stored.
    owner: str = Field(max_length=64)
    key: str = Field(max_length=255)
    # SHA-256 of method, path, query and body: the same key with another request is refused.
    fingerprint: str = Field(max_length=64)
    # committed (inserted in the same transaction as the write) -> done (answer stored) or lost.
    # (Records made before 0.2 may say 'pending': a claim whose request never committed.)
    state: str = Field(default="committed", max_length=16)
    response_status: int | None = None
    response_headers: str | None = Field(default=None, max_length=20_000)
    response_body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False, index=True)
