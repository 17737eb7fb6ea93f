"""HTTP routes for targets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.common import etag
from app.common.crud import transaction
from app.common.etag import IfMatch, IfNoneMatch
from app.common.types import CodeFilter, Page, ShortText
from app.deps import ListRequest, SessionDep, listing
from app.openapi import errors
from app.plans.deps import EditablePlanDep, PlanDep
from app.targets import service
from app.targets.deps import EditableTargetDep, TargetDep
from app.targets.models import TargetCreate, TargetPublic, TargetUpdate

router = APIRouter(tags=["targets"])

TargetListing = Annotated[
    ListRequest, Depends(listing(service.TARGET_SORTS, default="position", searches="title (Vietnamese or English)"))
]


@router.get(
    "/plans/{plan_id}/targets",
    summary="List a plan's targets",
    description="Archived targets are left out unless `include_archived=true`.",
    response_model=Page[TargetPublic],
    responses=errors(404, 422),
)
def list_targets(
    session: SessionDep,
    plan: PlanDep,
    page: TargetListing,
    category: Annotated[ShortText | None, Query(description="Only targets in this category.")] = None,
    code: Annotated[CodeFilter | None, Query(description="Only the target with this code.")] = None,
    include_archived: Annotated[bool, Query(description="Also list archived targets (deleted ones that had figures).")] = False,
):
    return page.answer(
        service.list_targets(
            session=session, plan=plan, category=category, code=code, include_archived=include_archived, listing=page.listing
        )
    )


@router.post(
    "/plans/{plan_id}/targets",
    status_code=201,
    summary="Add a target to a plan",
    description="A numeric target (or a milestone) of the plan: what is measured, its unit, the goal (`comparison` "
    "with `value`, or `low` and `high`), its baseline, and how figures add up over time (`aggregation`) and across "
    "reporting units (`across_units`). "
    "Its code is unique within the plan. Needs an editor in scope of the plan's organisation; archived plans "
    "refuse (409). The answer's `Location` is the new target's path and its `ETag` the one a read of it gives.",
    response_model=TargetPublic,
    responses={**etag.documented_created(), **errors(404, 409, 422)},
)
def create_target(request: Request, response: Response, session: SessionDep, plan: EditablePlanDep, body: TargetCreate):
    with transaction(session):
        target = service.create_target(session=session, plan=plan, target_in=body)
    etag.created(request, response, TargetPublic, target, "get_target", target_id=target.id)
    return target


@router.get(
    "/targets/{target_id}",
    summary="Get a target",
    description="Archived targets are still returned, with `archived_at`. The `ETag` header names this version; with "
    "`If-None-Match` naming it, 304 and no body.",
    response_model=TargetPublic,
    responses={**etag.documented_read(), **errors(404, 422)},
)
def get_target(target: TargetDep, response: Response, if_none_match: IfNoneMatch = None):
    return etag.read(response, TargetPublic, target, if_none_match) or target


@router.patch(
    "/targets/{target_id}",
    summary="Update a target",
    description="Needs an editor in scope of the plan's organisation. With `If-Match`, only if the target is still "
    "that version (else 412). Archived targets, and targets of archived plans, refuse (409).",
    response_model=TargetPublic,
    responses={**etag.documented(200), **errors(404, 409, 412, 422)},
)
def update_target(
    session: SessionDep, target: EditableTargetDep, body: TargetUpdate, response: Response, if_match: IfMatch = None
):
    with transaction(session):
        etag.require_match(session, target, TargetPublic, if_match)
        updated = service.update_target(session=session, target=target, target_in=body)
    etag.set_etag(response, TargetPublic, updated)
    return updated


@router.delete(
    "/targets/{target_id}",
    summary="Delete or archive a target",
    description="A target with figures or assessments is **archived**, never deleted: 200 with the target and its "
    "`archived_at`. It can still be read by id (with its status, history and figures), but leaves the plan's list "
    "(`include_archived=true` shows it) and its status, and refuses every change and new figure (409). A target "
    "with no figures and no assessments is deleted for real: 204. Needs an editor in scope; with `If-Match`, only "
    "if the target is still that version (else 412).",
    response_model=TargetPublic,
    responses={
        200: {"description": "Archived: the target had figures or assessments, which are all kept.", "headers": etag.ETAG_HEADER},
        204: {"description": "Deleted: the target had no figures and no assessments."},
        **errors(404, 409, 412, 422),
    },
)
def delete_target(session: SessionDep, target: EditableTargetDep, response: Response, if_match: IfMatch = None):
    with transaction(session):
        etag.require_match(session, target, TargetPublic, if_match)
        archived = service.delete_target(session=session, target=target)
    if archived is None:
        return Response(status_code=204)
    etag.set_etag(response, TargetPublic, archived)
    return archived
