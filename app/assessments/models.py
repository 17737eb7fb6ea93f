"""Assessments (đánh giá): the verdict a committee recorded for a target, beside the computed one.

Rows are only inserted: a later assessment supersedes an earlier one for display,
and both stay. The computed status never overwrites an assessment, nor the reverse.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, TypeAlias

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from app.common.models import utcnow
from app.common.types import InputModel, Name, SaneDate, UtcDateTime, text_checks

Reason: TypeAlias = Annotated[str, *text_checks(20_000, min_length=1, controls="lines")]


class AssessedVerdict(StrEnum):
    EXCEEDED = "exceeded"
    ACHIEVED = "achieved"
    BASICALLY_ACHIEVED = "basically_achieved"
    NOT_ACHIEVED = "not_achieved"


class Assessment(SQLModel, table=True):
    """A stored assessment."""

    id: int | None = Field(default=None, primary_key=True)
    target_id: int = Field(foreign_key="target.id", index=True)
    verdict: str = Field(max_length=24)
    reason: str = Field(max_length=20_000)
    assessed_by: str = Field(max_length=500)
    assessed_on: date
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class AssessmentCreate(InputModel):
    """Body of POST /targets/{target_id}/assessments."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "verdict": "basically_achieved",
                    "reason": "Đạt 94,6%, thiếu 0,4 điểm do hai xã chưa hoàn thành; Ban Thường vụ đánh giá cơ bản đạt.",
                    "assessed_by": "Ban Thường vụ Thành ủy",
                    "assessed_on": "2020-01-15",
                }
            ]
        }
    }

    verdict: AssessedVerdict
    reason: Reason = Field(description="Why the committee decided so.")
    assessed_by: Name = Field(description="The body or person that assessed.")
    assessed_on: SaneDate = Field(description="The date of the review meeting.")


class AssessmentPublic(SQLModel):
    """An assessment as the API returns it."""

    id: int
    target_id: int
    verdict: AssessedVerdict
    reason: str
    assessed_by: str
    assessed_on: date
    recorded_at: UtcDateTime
