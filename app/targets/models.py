"""Targets (chỉ tiêu) of a plan: what is measured, and the condition that counts as met."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, model_validator
from sqlalchemy import JSON, DateTime, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.common.models import Timestamped
from app.common.types import (
    Code,
    Figure,
    Id,
    InputModel,
    Line,
    LongText,
    Name,
    NonNegativeFigure,
    Percent,
    SaneDate,
    ShortText,
    UtcDateTime,
)
from app.engine import AcrossUnits, Aggregation, ChangeBasis, Comparison, Direction, Frequency, default_direction


class Target(Timestamped, table=True):
    """A stored target. Enumerations are stored as short strings."""

    __table_args__ = (UniqueConstraint("plan_id", "code", name="uq_target_plan_id_code"),)

    id: int | None = Field(default=None, primary_key=True)
    # Set when deleted through the API: archived rows keep their figures and leave the lists.
    archived_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    plan_id: int = Field(foreign_key="plan.id", index=True)
    code: str = Field(max_length=64)
    title: str = Field(max_length=500)
    title_en: str = Field(default="", max_length=500)
    category: str = Field(default="", max_length=120)
    unit: str = Field(default="", max_length=120)
    comparison: str = Field(max_length=16)
    value: float | None = None
    low: float | None = None
    high: float | None = None
    tolerance: float | None = None
    direction: str = Field(max_length=16)
    baseline_value: float | None = None
    baseline_date: date | None = None
    change_basis: str | None = Field(default=None, max_length=24)
    aggregation: str = Field(default=Aggregation.LATEST.value, max_length=16)  # over time, within one unit
    across_units: str = Field(default=AcrossUnits.OWN.value, max_length=16, sa_column_kwargs={"server_default": "own"})
    is_percentage: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    may_exceed_whole: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # The organisations expected to report on this target; null: the plan's (app/status/units.py).
    reporting_unit_ids: list[int] | None = Field(default=None, sa_type=JSON, nullable=True)
    clause: str = Field(default="", max_length=20_000)
    notes: str = Field(default="", max_length=20_000)
    position: int = 0
    # [{"date": "2019-06-30", "share": 50}, ...]: share of the goal due by each date.
    checkpoints: list[dict] = Field(
        default_factory=list, sa_type=JSON, nullable=False, sa_column_kwargs={"server_default": text("'[]'")}
    )
    frequency: str | None = Field(default=None, max_length=16)


class CheckpointIn(InputModel):
    """By `date`, `share` percent of the goal is due (flows), or of the way from baseline to goal (levels)."""

    date: SaneDate
    share: Percent


class CheckpointPublic(BaseModel):
    """A dated intermediate milestone of a target."""

    date: date
    share: float


class TargetFields(InputModel):
    """Fields a client may set on a target (all optional; used by PATCH)."""

    code: Code | None = None
    title: Name | None = Field(default=None, description="The target's name, in Vietnamese.")
    title_en: Line | None = None
    category: ShortText | None = Field(default=None, description="Group (nhóm), e.g. `kinh tế`, `xây dựng Đảng`.")
    unit: ShortText | None = Field(default=None, description="Unit of measure, e.g. `%`, `tấn`, `tỷ đồng`.")
    comparison: Comparison | None = None
    value: Figure | None = Field(default=None, description="The threshold; for `change`, the signed change (-10 = a cut of 10).")
    low: Figure | None = Field(default=None, description="`between` only: the low end, inclusive.")
    high: Figure | None = Field(default=None, description="`between` only: the high end, inclusive.")
    tolerance: NonNegativeFigure | None = Field(
        default=None, description="`approximately` / `change`: accepted distance from the value. None means 0."
    )
    direction: Direction | None = Field(
        default=None, description="Which way is better. Defaults: lower for ceilings and negative changes, else higher."
    )
    baseline_value: Figure | None = Field(default=None, description="`change`: the level the change is measured from.")
    baseline_date: SaneDate | None = None
    change_basis: ChangeBasis | None = Field(
        default=None,
        description='`change`: relative_percent, percentage_points, absolute, or factor (measured / baseline, e.g. 1.6 for "tăng 1,6 lần"; baseline above 0).',
    )
    aggregation: Aggregation | None = Field(
        default=None,
        description="Over time, within one unit: `latest` (a level: the last figure dated up to as-of), `sum` "
        "(increments: each figure covers its own period), `cumulative` (each figure is to date since the period "
        "start: the latest counts, never added), `mean`, `max`, `min`. Default `latest`.",
    )
    across_units: AcrossUnits | None = Field(
        default=None,
        description="Across units: `own` (only the plan organisation's figure counts; units' figures are context), "
        "`sum`, `pooled_ratio` (Σ numerators / Σ denominators of each unit's value: shares), `mean`, `min`, `max`. "
        "An organisation's figure stands for its whole subtree: its descendants' figures are its breakdown, never added "
        "on top. Default `own`.",
    )
    is_percentage: bool | None = Field(
        default=None,
        description="The target is a percentage: ratio figures are x100. Default: true when `unit` is `%`.",
    )
    may_exceed_whole: bool | None = Field(
        default=None,
        description="A percentage that may exceed 100 % (e.g. revenue as a share of its estimate). Default false: "
        "a ratio's numerator may not exceed its denominator, and forecasts stop at 100 %.",
    )
    reporting_unit_ids: list[Id] | None = Field(
        default=None,
        max_length=10_000,
        description="The organisations expected to report on this target (coverage, overdue reports). "
        "Null: the plan's list, or by default the plan organisation's direct children marked as reporting units.",
    )
    clause: LongText | None = Field(default=None, description="The verbatim clause the target comes from.")
    notes: LongText | None = None
    position: int | None = Field(default=None, ge=0, le=1_000_000)
    checkpoints: list[CheckpointIn] | None = Field(
        default=None, max_length=366, description="Dated intermediate milestones, e.g. 50 % by 30 June. Default: linear in time."
    )
    frequency: Frequency | None = Field(
        default=None, description="How often figures are due (monthly, quarterly, half_yearly, yearly); enables overdue flags."
    )


class TargetCreate(TargetFields):
    """Body of POST /plans/{plan_id}/targets."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "code": "13",
                    "title": "Tỷ lệ hộ gia đình sử dụng nước sạch",
                    "category": "đô thị",
                    "unit": "%",
                    "comparison": "at_least",
                    "value": 98,
                    "clause": "Tỷ lệ hộ dân sử dụng nước sạch đạt 98% trở lên",
                },
                {
                    "code": "14",
                    "title": "Tốc độ tăng trưởng",
                    "unit": "%",
                    "comparison": "between",
                    "low": 11,
                    "high": 13,
                    "across_units": "own",
                },
                {
                    "code": "09",
                    "title": "Tỷ lệ tổ chức cơ sở Đảng hoàn thành tốt nhiệm vụ trở lên",
                    "category": "xây dựng Đảng",
                    "unit": "%",
                    "comparison": "more_than",
                    "value": 65,
                    "aggregation": "latest",
                    "across_units": "pooled_ratio",
                    "is_percentage": True,
                },
                {
                    "code": "03",
                    "title": "Tổng sản lượng lương thực có hạt",
                    "unit": "tấn",
                    "comparison": "more_than",
                    "value": 5000,
                    "aggregation": "cumulative",
                    "across_units": "sum",
                },
            ]
        }
    }

    code: Code
    title: Name
    title_en: Line = ""
    category: ShortText = ""
    unit: ShortText = ""
    comparison: Comparison
    aggregation: Aggregation = Aggregation.LATEST
    across_units: AcrossUnits = AcrossUnits.OWN
    may_exceed_whole: bool = False
    clause: LongText = ""
    notes: LongText = ""
    position: int | None = Field(
        default=None,
        ge=0,
        le=1_000_000,
        description="Where the target goes in the plan's order (lists, status, reports). Absent: after the last target.",
    )

    @model_validator(mode="after")
    def _defaults(self):
        if self.direction is None:
            self.direction = default_direction(self.comparison, self.value)
        if self.is_percentage is None:
            self.is_percentage = self.unit.strip().startswith("%")
        return self


class TargetUpdate(TargetFields):
    """Body of PATCH /targets/{target_id}: only the fields given change; the result must stay consistent."""

    model_config = {"json_schema_extra": {"examples": [{"tolerance": 0.5}]}}


class TargetPublic(SQLModel):
    """A target as the API returns it."""

    id: int
    plan_id: int
    code: str
    title: str
    title_en: str
    category: str
    unit: str
    comparison: Comparison
    value: float | None
    low: float | None
    high: float | None
    tolerance: float | None
    direction: Direction
    baseline_value: float | None
    baseline_date: date | None
    change_basis: ChangeBasis | None
    aggregation: Aggregation
    across_units: AcrossUnits
    is_percentage: bool
    may_exceed_whole: bool
    reporting_unit_ids: list[int] | None
    clause: str
    notes: str
    position: int
    checkpoints: list[CheckpointPublic]
    frequency: Frequency | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    archived_at: UtcDateTime | None = Field(
        default=None, description="When the target was archived (DELETE of a target with figures); null when it is not."
    )
