"""HTTP routes for plans and their status."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.common.types import MAX_ID, Page
from app.deps import PagingDep, PlanDep, SessionDep
from app.openapi import errors
from app.plans import service
from app.plans.models import PlanCreate, PlanPublic, PlanState, PlanUpdate

router = APIRouter(prefix="/plans", tags=["plans"])


@router.get("", summary="List plans", response_model=Page[PlanPublic], responses=errors(422))
def list_plans(
    session: SessionDep,
    paging: PagingDep,
    organization_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Issued by this organisation.")] = None,
    state: Annotated[PlanState | None, Query(description="Only plans in this state.")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100, description="Only plans whose period touches this year.")] = None,
):
    return service.list_plans(
        session=session, organization_id=organization_id, state=state, year=year, limit=paging.limit, offset=paging.offset
    )


@router.post("", status_code=201, summary="Create a plan", response_model=PlanPublic, responses=errors(409, 422))
def create_plan(session: SessionDep, body: PlanCreate):
    return service.create_plan(session=session, plan_in=body)


@router.get("/{plan_id}", summary="Get a plan", response_model=PlanPublic, responses=errors(404, 422))
def get_plan(plan: PlanDep):
    return plan


@router.patch("/{plan_id}", summary="Update a plan", response_model=PlanPublic, responses=errors(404, 409, 422))
def update_plan(session: SessionDep, plan: PlanDep, body: PlanUpdate):
    return service.update_plan(session=session, plan=plan, plan_in=body)
