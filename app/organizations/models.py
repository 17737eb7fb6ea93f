"""Organisations: a tree (city party committee, its grassroots organisations, wards, ...)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from app.common.models import Timestamped
from app.common.types import Code, Id, InputModel, Name, ShortText, UtcDateTime


class Organization(Timestamped, table=True):
    """A stored organisation."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=500)
    kind: str = Field(default="", max_length=120)
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


class OrganizationUpdate(InputModel):
    """Body of PATCH /organizations/{organization_id}: only the fields given change."""

    model_config = {"json_schema_extra": {"examples": [{"name": "Đảng ủy phường Chi Lăng (mới)"}]}}

    code: Code | None = None
    name: Name | None = None
    kind: ShortText | None = None
    parent_id: Id | None = None


class OrganizationPublic(SQLModel):
    """An organisation as the API returns it."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
