"""Organisations: a tree (city party committee, its grassroots organisations, wards, ...)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, text
from sqlmodel import Field, SQLModel

from app.common.models import Timestamped
from app.common.types import Code, Id, InputModel, Name, ShortText, UtcDateTime


class Organization(Timestamped, table=True):
    """A stored organisation."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=500)
    kind: str = Field(default="", max_length=120)
    # Expected to report on its parent's plans by default (the plan's or target's list overrides).
    is_reporting_unit: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    parent_id: int | None = Field(default=None, foreign_key="organization.id", index=True)


class OrganizationTreeVersion(SQLModel, table=True):
    """One row (id 1): a number that changes with every change of `organization` (insert, update,
    delete; on PostgreSQL truncate too), kept by triggers in the changing transaction itself
    (migration 0011_organization_tree). The stored status answers put it in their fingerprints instead
    of a digest of the plan's tree (issue 17: reading and hashing 10,009 organisations cost a target's
    status 0.25 ms at 21 and about 300 ms at national scale), so any change of the tree or of a name,
    code or reporting flag makes every stored answer stale; nothing lives in the process, so every
    worker and host agrees. On PostgreSQL the row lock orders writers: each commit moves the number.

    Never reused: a missing row is inserted again from the clock (microseconds), not from 1. It is
    read before the tree (app/status), so a change committed in between leaves a stored answer stale,
    never the reverse. SQLite: a batch rebuild of `organization` drops its triggers; such a migration
    must create them again (tests/status/test_tree_version.py checks the behaviour at head)."""

    __tablename__ = "organization_tree"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False, nullable=False))
    version: int = Field(sa_column=Column(BigInteger, nullable=False))


class OrganizationCreate(InputModel):
    """Body of POST /organizations."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"code": "DU-PHUONG-CHILANG", "name": "Đảng ủy phường Chi Lăng", "kind": "party_committee", "parent_id": 1}
            ]
        }
    }

    code: Code
    name: Name
    kind: ShortText = ""
    parent_id: Id | None = None
    is_reporting_unit: bool = Field(
        default=True,
        description="Expected to report on its parent's plans (coverage), unless a plan or target names its own list.",
    )


class OrganizationUpdate(InputModel):
    """Body of PATCH /organizations/{organization_id}: only the fields given change."""

    model_config = {"json_schema_extra": {"examples": [{"name": "Đảng ủy phường Chi Lăng (mới)"}]}}

    code: Code | None = None
    name: Name | None = None
    kind: ShortText | None = None
    parent_id: Id | None = None
    is_reporting_unit: bool | None = None


class OrganizationPublic(SQLModel):
    """An organisation as the API returns it."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    is_reporting_unit: bool
    created_at: UtcDateTime
    updated_at: UtcDateTime
