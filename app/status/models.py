"""Response models for statuses (computed, never stored)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from app.status.engine import Phase, Status


class TargetStatus(BaseModel):
    """Where one target stands on `as_of`, and why."""

    target_id: int
    code: str
    title: str
    unit: str
    category: str
    as_of: date
    phase: Phase = Field(description="`final` once the plan's period has ended, else `in_progress`.")
    status: Status = Field(
        description="Final: exceeded, achieved, not_achieved, no_data. In progress: met_so_far, not_yet_met, no_data."
    )
    measured: float | None = Field(description="The combined figure, in the target's unit.")
    compared: float | None = Field(description="What was judged: the measured value, or for `change` its change.")
    done: bool | None = Field(description="Milestones: the latest report.")
    rests_on_estimate: bool
    submission_ids: list[int] = Field(description="The figures the status rests on.")
    explanation: dict[str, Any] = Field(description="The rule applied, its inputs, the threshold and the gap.")
    message_vi: str
    message_en: str


class PlanStatus(BaseModel):
    """Every target's status, counts per status and the headline."""

    plan_id: int
    code: str
    title: str
    as_of: date
    phase: Phase
    total: int
    counts: dict[str, int]
    headline_vi: str
    headline_en: str
    targets: list[TargetStatus]
