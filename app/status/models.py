"""Response models for statuses (computed by the engine; the plan status keeps a disposable copy per target, app/status/cache.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.assessments.models import AssessmentPublic
from app.engine import Phase, Status

Lang = Literal["vi", "en"]


class ForecastOut(BaseModel):
    """A projected end-of-period figure, the method that made it, and the verdict it would give."""

    method: Literal["linear", "checkpoints", "trend", "last_value"]
    value: float
    verdict: Status


class RequiredOut(BaseModel):
    """What is still needed: for flows the amount to add (and per remaining month), for levels the level to reach."""

    total: float
    per_month: float | None
    months_remaining: float


class OverdueOut(BaseModel):
    """A report that fell due and has not come in."""

    due_date: date
    days: int


class MissingUnit(BaseModel):
    organization_id: int
    code: str


class CoverageOut(BaseModel):
    """The reporting rate: units expected to report, how many did by `as_of`, and the missing ones."""

    expected: int
    reported: int
    missing: list[MissingUnit]


class TargetHead(BaseModel):
    """The part of a target's status read at each request: the target itself, the view, the assessment."""

    target_id: int
    code: str
    title: str
    unit: str
    category: str
    as_of: date
    known_at: datetime | None = Field(description="Only figures recorded by this moment counted (null: all).")
    lang: Lang
    message: str = Field(description="The explanation in the requested language (`?lang=` or Accept-Language).")
    assessment: AssessmentPublic | None = Field(
        description="The committee's latest recorded verdict, shown beside the computed one."
    )


class TargetJudged(BaseModel):
    """The part of a target's status the engine decides: what the plan status stores per target (app/status/cache.py)."""

    phase: Phase = Field(description="`final` once the plan's period has ended, else `in_progress`.")
    status: Status = Field(
        description="Final: exceeded, achieved, basically_achieved, not_achieved, no_data. "
        "In progress: achieved_early, on_track, at_risk, off_track, no_data."
    )
    verdict_if_final: Status = Field(description="The verdict today's figures would give if the period ended now.")
    measured: float | None = Field(description="The combined figure, in the target's unit.")
    compared: float | None = Field(description="What was judged: the measured value, or for `change` its change.")
    done: bool | None = Field(description="Milestones: the latest report.")
    rests_on_estimate: bool = Field(description="Some figure the status rests on is an estimate.")
    submission_ids: list[int] = Field(
        description="The figures the status rests on, in date order. A target's own status lists them all; "
        "the plan views (`/plans/{id}/status`, `/plans/{id}/status/organizations`) list at most the 20 latest-dated."
    )
    submission_count: int = Field(description="How many figures the status rests on (all of them, even where the list is cut).")
    goal: float | None = Field(description="The value the measured figure must reach.")
    expected: float | None = Field(description="In progress: where the figure should be by `as_of`.")
    expected_share: float | None = Field(description="In progress: share of the goal due by `as_of` (0–1).")
    pace: float | None = Field(description="In progress: measured against expected; 1.0 is exactly on pace.")
    forecast: ForecastOut | None
    required: RequiredOut | None
    overdue: OverdueOut | None
    explanation: dict[str, Any] = Field(
        description="Machine-readable: the rule applied, its inputs, threshold, gap, pace, forecast; `units`: each unit "
        "that reported (organisation, value, date, counted or not and why); `not_counted`: every figure that does not "
        "count, with the reason (superseded, outside the period, an earlier level, covered by a parent's figure, context; the plan "
        "views give `not_counted_by_reason`, counts per kind of reason, and `units_counted` / `units_not_counted`; the "
        "target's own status gives the lists); "
        "`coverage`; `pooled` (Σ numerators and denominators of a pooled ratio)."
    )
    provisional: bool = Field(
        default=False, description="The verdict rests on incomplete reporting: not every unit expected to report has."
    )
    coverage: CoverageOut | None = Field(
        default=None, description="How many of the units expected to report did so by `as_of`, and which are missing."
    )
    message_vi: str
    message_en: str


class TargetStatus(TargetJudged, TargetHead):
    """Where one target stands on `as_of`, and why.

    TargetHead's fields come first, then TargetJudged's (this base order gives that field order),
    so a target's JSON is its head's JSON followed by its judged part's: the plan status writes
    stored judged parts out as they are (service.plan_status_json).
    """


class GroupStatus(BaseModel):
    """Counts and headline for one group of targets (a category, an organisation)."""

    key: str
    total: int
    counts: dict[str, int]
    headline: str
    headline_vi: str
    headline_en: str


class PlanStatus(BaseModel):
    """Every target's status, counts per status, the headline, and the same per category."""

    plan_id: int
    code: str
    title: str
    as_of: date
    known_at: datetime | None
    phase: Phase
    total: int
    counts: dict[str, int]
    lang: Lang
    headline: str
    headline_vi: str
    headline_en: str
    by_category: list[GroupStatus]
    targets: list[TargetStatus]


class CoverageCount(BaseModel):
    """The reporting rate in counts: units expected to report, and how many did by `as_of`."""

    expected: int
    reported: int


class OrganizationTarget(BaseModel):
    """One target as judged from one organisation down, in counts (issue 17): the verdict and its
    figures, every figure accounted for by a count (`submission_count` counted; `not_counted_by_reason`
    the others, by kind of reason) and every unit by whether it counts. The lists behind the counts
    (each figure and unit, with why) are in the target's own status, `GET /targets/{target_id}/status`
    (the plan's view: each unit's value and each figure left out, with why, and the sentence) and
    `GET /targets/{target_id}/submissions?organization_id=` (one organisation's own figures). No sentence
    per organisation and target (the organisation's `summary` has its headline): at 1M figures the
    sentences were 42 % of the view, and the view must stay within a worker's memory (issue 17)."""

    target_id: int
    code: str
    status: Status
    verdict_if_final: Status
    provisional: bool = Field(description="Not every unit expected to report (from this organisation down) has.")
    measured: float | None
    compared: float | None
    goal: float | None
    expected: float | None
    pace: float | None
    done: bool | None
    rests_on_estimate: bool
    submission_count: int = Field(description="The figures the status rests on.")
    not_counted_by_reason: dict[str, int] = Field(
        description="The figures that do not count, counted by kind of reason (superseded, an earlier level, ...)."
    )
    units_counted: int
    units_not_counted: int
    coverage: CoverageCount | None


class OrganizationStatus(BaseModel):
    """One reporting organisation's share of a plan: its figures alone, judged per target."""

    organization_id: int
    code: str
    name: str
    summary: GroupStatus
    targets: list[OrganizationTarget]


class PlanStatusByOrganization(BaseModel):
    """A plan's status broken down by reporting organisation, one page of organisations (by code)."""

    plan_id: int
    as_of: date
    known_at: datetime | None
    phase: Phase
    lang: Lang
    total: int = Field(description="How many organisations reported (every page's).")
    limit: int
    offset: int
    organizations: list[OrganizationStatus]


class HistoryPoint(BaseModel):
    """The status as it stood on one figure's date."""

    date: date
    measured: float | None
    status: Status
    expected: float | None
    pace: float | None
    submission_ids: list[int]


class PathPoint(BaseModel):
    """Where the figure should be on a date."""

    date: date
    expected: float


class TargetHistory(BaseModel):
    """Enough to draw a target's progress: a point per figure date and the expected path."""

    target_id: int
    unit: str
    goal: float | None
    as_of: date
    known_at: datetime | None
    points: list[HistoryPoint]
    expected_path: list[PathPoint]
