"""Organisations: a tree (city party committee, its grassroots organisations, wards, ...)."""

from __future__ import annotations

from sqlalchemy import text
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
