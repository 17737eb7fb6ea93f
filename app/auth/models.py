"""API keys: who may call, in which role, over which organisations.

A key is `ct_` followed by 43 random URL-safe characters (256 bits). Only its
SHA-256 is stored: a slow password hash buys nothing for a random secret of
that length, and a fast one keeps the per-request lookup to one indexed read.
The first 11 characters (`ct_` + 8) are kept in clear as `prefix`, so people
can tell their keys apart in lists and logs.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from app.common.models import created_at_field
from app.common.types import Id, InputModel, IsoDateTime, Name, UtcDateTime


class Role(StrEnum):
    """Roles are cumulative: each may do what the ones before it may."""

    VIEWER = "viewer"  # read in scope (including draft plans)
    REPORTER = "reporter"  # + submit, correct and retract figures for organisations in scope
    EDITOR = "editor"  # + plans, targets, assessments, organisations in scope
    ADMIN = "admin"  # everything, everywhere; keys and the audit trail

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {role: rank for rank, role in enumerate(Role)}  # each role's place in the order above: read per request


class ApiKey(SQLModel, table=True):
    """A stored key (never the key itself)."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=500)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = created_at_field()
    created_by_key_id: int | None = Field(default=None, foreign_key="api_key.id")


class ApiKeyCreate(InputModel):
    """Body of POST /api-keys."""

    model_config = {
        "json_schema_extra": {"examples": [{"name": "Phòng Thống kê – nhập số liệu", "role": "reporter", "organization_id": 1}]}
    }

    name: Name = Field(description="Who or what uses the key, e.g. the office or script.")
    role: Role = Field(description="viewer, reporter, editor or admin (roles are cumulative).")
    organization_id: Id | None = Field(
        default=None,
        description="The organisation the key acts for, with everything under it. Required except for admin keys.",
    )
    expires_at: IsoDateTime | None = Field(default=None, description="When the key stops working (optional; ISO 8601).")


class ApiKeyPublic(SQLModel):
    """A key as listed: never the secret."""

    id: int
    name: str
    prefix: str
    role: Role
    organization_id: int | None
    expires_at: UtcDateTime | None
    revoked_at: UtcDateTime | None
    last_used_at: UtcDateTime | None
    created_at: UtcDateTime
    created_by_key_id: int | None


class ApiKeyCreated(ApiKeyPublic):
    """The answer to creating a key: the only time the secret is shown."""

    key: str = Field(description="The key itself. Shown once; store it now. Send it as `Authorization: Bearer <key>`.")
