"""HTTP routes for targets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.common.types import Page, ShortText
from app.deps import EditablePlanDep, EditableTargetDep, PagingDep, PlanDep, SessionDep, TargetDep
from app.openapi import errors
from app.targets import service
from app.targets.models import TargetCreate, TargetPublic, TargetUpdate

router = APIRouter(tags=["targets"])


@router.get(
    "/plans/{plan_id}/targets", summary="List a plan's targets", response_model=Page[TargetPublic], responses=errors(404, 422)
)
def list_targets(
    session: SessionDep,
    plan: PlanDep,
    paging: PagingDep,
    category: Annotated[ShortText | None, Query(description="Only targets in this category.")] = None,
):
    return service.list_targets(session=session, plan=plan, category=category, limit=paging.limit, offset=paging.offset)


@router.post(
    "/plans/{plan_id}/targets",
    status_code=201,
    summary="Add a target to a plan",
    response_model=TargetPublic,
    responses=errors(404, 409, 422),
)
def create_target(session: SessionDep, plan: EditablePlanDep, body: TargetCreate):
    return service.create_target(session=session, plan=plan, target_in=body)


@router.get("/targets/{target_id}", summary="Get a target", response_model=TargetPublic, responses=errors(404, 422))
def get_target(target: TargetDep):
    return target


@router.patch(
    "/targets/{target_id}", summary="Update a target", response_model=TargetPublic, responses=errors(404, 409, 422)
)
def update_target(session: SessionDep, target: EditableTargetDep, body: TargetUpdate):
    return service.update_target(session=session, target=target, target_in=body)
