"""HTTP routes for computed statuses."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.common.types import MAX_DATE, MIN_DATE
from app.deps import PlanDep, SessionDep, TargetDep, TodayDep
from app.openapi import errors
from app.status import service
from app.status.models import PlanStatus, TargetStatus

router = APIRouter(tags=["status"])

AsOf = Annotated[
    date | None,
    Query(ge=MIN_DATE, le=MAX_DATE, description="The date to judge on (default: today in the configured time zone); figures dated later do not count."),
]


@router.get(
    "/targets/{target_id}/status",
    summary="Get a target's status",
    response_model=TargetStatus,
    responses=errors(404, 422),
)
def get_target_status(session: SessionDep, target: TargetDep, today: TodayDep, as_of: AsOf = None):
    return service.target_status(session=session, target=target, as_of=as_of or today)


@router.get(
    "/plans/{plan_id}/status",
    summary="Get a plan's status: every target, counts and headline",
    response_model=PlanStatus,
    responses=errors(404, 422),
)
def get_plan_status(session: SessionDep, plan: PlanDep, today: TodayDep, as_of: AsOf = None):
    return service.plan_status(session=session, plan=plan, as_of=as_of or today)
