"""Plans: a resolution (nghị quyết) or plan (kế hoạch) with a period and targets."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, DateTime, text
from sqlmodel import Field, SQLModel

from app.common.models import Timestamped
from app.common.types import (
    Code,
    Days,
    Fraction,
    Id,
    InputModel,
    Line,
    LongText,
    Name,
    NearMissBand,
    NonNegativeFigure,
    SaneDate,
    Url,
    UtcDateTime,
)


class PlanState(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class Plan(Timestamped, table=True):
    """A stored plan."""

    __table_args__ = (CheckConstraint("end_date >= start_date", name="period_order"),)

    id: int | None = Field(default=None, primary_key=True)
    # Set when deleted through the API: archived rows keep their figures and leave the lists.
    archived_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    code: str = Field(max_length=64, unique=True)
    title: str = Field(max_length=500)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    start_date: date
    end_date: date
    adopted_date: date | None = None
    adopted_by: str = Field(default="", max_length=500)
    theme: str = Field(default="", max_length=500)
    source_text: str = Field(default="", max_length=20_000)
    source_url: str = Field(default="", max_length=2000)
    state: str = Field(default=PlanState.DRAFT.value, max_length=16)
    notes: str = Field(default="", max_length=20_000)
    # Judging settings (see app.engine.types.Rules); the defaults follow published practice.
    ceiling_exceed_margin: float | None = None
    near_miss_band: float | None = None
    on_track_from: float = Field(default=0.95, sa_column_kwargs={"server_default": text("0.95")})
    at_risk_from: float = Field(default=0.85, sa_column_kwargs={"server_default": text("0.85")})
    reporting_grace_days: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    # The organisations expected to report on the plan's targets; null: the organisation's
    # direct children marked as reporting units (app/status/units.py).
    reporting_unit_ids: list[int] | None = Field(default=None, sa_type=JSON, nullable=True)
    # Approval (issue 14): figures count only once approved by an editor above the reporting unit.
    # Off (the default): every figure counts as it arrives, as before.
    approval_required: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})


class PlanFields(InputModel):
    """Fields a client may set on a plan (all optional; used by PATCH)."""

    code: Code | None = None
    title: Name | None = None
    organization_id: Id | None = None
    start_date: SaneDate | None = None
    end_date: SaneDate | None = None
    adopted_date: SaneDate | None = None
    adopted_by: Line | None = Field(default=None, description="The adopting body or conference.")
    theme: Line | None = None
    source_text: LongText | None = Field(default=None, description="The source text, or an excerpt of it.")
    source_url: Url | None = None
    state: PlanState | None = None
    notes: LongText | None = None
    ceiling_exceed_margin: NonNegativeFigure | None = Field(
        default=None, description="A met ceiling counts as exceeded only when beaten by this much (target units). None: never."
    )
    near_miss_band: NearMissBand | None = Field(
        default=None, description="A miss within this share of the threshold (0.05 = 5 %) is 'basically achieved'. None: off."
    )
    on_track_from: Fraction | None = Field(default=None, description="Pace from which a target is on track (default 0.95).")
    at_risk_from: Fraction | None = Field(
        default=None, description="Pace from which a target is at risk rather than off track (default 0.85)."
    )
    reporting_grace_days: Days | None = Field(
        default=None, description="Days after a due date before a missing report is overdue (default 0)."
    )
    reporting_unit_ids: list[Id] | None = Field(
        default=None,
        max_length=10_000,
        description="The organisations expected to report on the plan's targets (each status says how many did, "
        "and a verdict on incomplete reporting is provisional). Null: the plan organisation's direct children marked "
        "`is_reporting_unit`; a target may name its own list.",
    )
    approval_required: bool | None = Field(
        default=None,
        description="Figures count only once approved by an editor of an organisation above the reporting unit "
        "(figures sent by an editor or admin of the plan's organisation are approved on entry). Default false: "
        "every figure counts as it arrives.",
    )


class PlanCreate(PlanFields):
    """Body of POST /plans."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "code": "NQ-2020-TPLS",
                    "title": "Mục tiêu, nhiệm vụ, giải pháp năm 2020",
                    "organization_id": 1,
                    "start_date": "2020-01-01",
                    "end_date": "2020-12-31",
                    "adopted_date": "2019-12-10",
                    "adopted_by": "Hội nghị Ban Chấp hành Đảng bộ thành phố",
                    "state": "active",
                }
            ]
        }
    }

    code: Code
    title: Name
    organization_id: Id
    start_date: SaneDate
    end_date: SaneDate
    adopted_by: Line = ""
    theme: Line = ""
    source_text: LongText = ""
    source_url: Url = ""
    state: PlanState = PlanState.DRAFT
    notes: LongText = ""
    on_track_from: Fraction = 0.95
    at_risk_from: Fraction = 0.85
    reporting_grace_days: Days = 0
    approval_required: bool = False


class PlanUpdate(PlanFields):
    """Body of PATCH /plans/{plan_id}: only the fields given change."""

    model_config = {"json_schema_extra": {"examples": [{"state": "closed"}]}}


class PlanPublic(SQLModel):
    """A plan as the API returns it."""

    id: int
    code: str
    title: str
    organization_id: int
    start_date: date
    end_date: date
    adopted_date: date | None
    adopted_by: str
    theme: str
    source_text: str
    source_url: str
    state: PlanState
    notes: str
    ceiling_exceed_margin: float | None
    near_miss_band: float | None
    on_track_from: float
    at_risk_from: float
    reporting_grace_days: int
    reporting_unit_ids: list[int] | None
    approval_required: bool = False
    created_at: UtcDateTime
    updated_at: UtcDateTime
    archived_at: UtcDateTime | None = Field(
        default=None, description="When the plan was archived (DELETE of a plan with figures); null when it is not."
    )
