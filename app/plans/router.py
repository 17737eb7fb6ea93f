"""HTTP routes for plans and their status."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.common.types import MAX_ID, Page
from fastapi import Request

from app.auth import policy
from app.auth.models import Role
from app.deps import EditablePlanDep, PagingDep, PlanDep, PrincipalDep, SessionDep, open_reads
from app.openapi import errors
from app.plans import service
from app.plans.models import PlanCreate, PlanPublic, PlanState, PlanUpdate

router = APIRouter(prefix="/plans", tags=["plans"])


@router.get("", summary="List plans", response_model=Page[PlanPublic], responses=errors(422))
def list_plans(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    paging: PagingDep,
    organization_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Issued by this organisation.")] = None,
    state: Annotated[PlanState | None, Query(description="Only plans in this state.")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100, description="Only plans whose period touches this year.")] = None,
):
    """Drafts are listed only to keys whose scope covers them."""
    policy.require_read(principal, open_reads=open_reads(request))
    return service.list_plans(
        session=session,
        organization_id=organization_id,
        state=state,
        year=year,
        drafts_of=policy.visible_draft_organizations(session, principal),
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post("", status_code=201, summary="Create a plan", response_model=PlanPublic, responses=errors(409, 422))
def create_plan(session: SessionDep, principal: PrincipalDep, body: PlanCreate):
    policy.require(session, principal, Role.EDITOR, body.organization_id)
    return service.create_plan(session=session, plan_in=body)


@router.get("/{plan_id}", summary="Get a plan", response_model=PlanPublic, responses=errors(404, 422))
def get_plan(plan: PlanDep):
    return plan


@router.patch("/{plan_id}", summary="Update a plan", response_model=PlanPublic, responses=errors(404, 409, 422))
def update_plan(session: SessionDep, principal: PrincipalDep, plan: EditablePlanDep, body: PlanUpdate):
    if body.organization_id is not None:
        policy.require(session, principal, Role.EDITOR, body.organization_id)
    return service.update_plan(session=session, plan=plan, plan_in=body)
