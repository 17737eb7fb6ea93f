"""HTTP routes for plans and their status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth import policy
from app.auth.models import Role
from app.common import etag
from app.common.crud import transaction
from app.common.etag import IfMatch, IfNoneMatch
from app.common.types import MAX_ID, CodeFilter, Page
from app.deps import ListRequest, PrincipalDep, SessionDep, listing, open_reads
from app.openapi import errors
from app.plans import service
from app.plans.deps import EditablePlanDep, PlanDep
from app.plans.models import PlanCreate, PlanPublic, PlanState, PlanUpdate

router = APIRouter(prefix="/plans", tags=["plans"])

PlanListing = Annotated[ListRequest, Depends(listing(service.PLAN_SORTS, default="-start_date", searches="title"))]


@router.get("", summary="List plans", response_model=Page[PlanPublic], responses=errors(422))
def list_plans(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    page: PlanListing,
    organization_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Issued by this organisation.")] = None,
    code: Annotated[CodeFilter | None, Query(description="Only the plan with this code.")] = None,
    state: Annotated[PlanState | None, Query(description="Only plans in this state.")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100, description="Only plans whose period touches this year.")] = None,
    include_archived: Annotated[bool, Query(description="Also list archived plans (deleted ones that had figures).")] = False,
):
    """Drafts are listed only to keys whose scope covers them; archived plans only with `include_archived=true`."""
    policy.require_read(principal, open_reads=open_reads(request))
    return page.answer(
        service.list_plans(
            session=session,
            organization_id=organization_id,
            state=state,
            year=year,
            code=code,
            drafts_of=policy.visible_draft_organizations(session, principal),
            include_archived=include_archived,
            listing=page.listing,
        )
    )


@router.post(
    "",
    status_code=201,
    summary="Create a plan",
    description="A resolution or plan of an organisation, with its code (unique within the organisation) and period. "
    "It starts as a `draft` (readable only by keys in scope) unless `state` says otherwise; targets are added "
    "with `POST /plans/{plan_id}/targets` or imported. Needs an editor in scope of `organization_id`. The "
    "answer's `Location` is the new plan's path and its `ETag` the one a read of it gives.",
    response_model=PlanPublic,
    responses={**etag.documented_created(), **errors(409, 422)},
)
def create_plan(request: Request, response: Response, session: SessionDep, principal: PrincipalDep, body: PlanCreate):
    policy.require(session, principal, Role.EDITOR, body.organization_id)
    with transaction(session):
        plan = service.create_plan(session=session, plan_in=body)
    etag.created(request, response, PlanPublic, plan, "get_plan", plan_id=plan.id)
    return plan


@router.get(
    "/{plan_id}",
    summary="Get a plan",
    description="Archived plans are still returned, with `archived_at`. The `ETag` header names this version; with "
    "`If-None-Match` naming it, 304 and no body.",
    response_model=PlanPublic,
    responses={**etag.documented_read(), **errors(404, 422)},
)
def get_plan(plan: PlanDep, response: Response, if_none_match: IfNoneMatch = None):
    return etag.read(response, PlanPublic, plan, if_none_match) or plan


@router.patch(
    "/{plan_id}",
    summary="Update a plan",
    description="Needs an editor in scope (of the new organisation too, when it changes). With `If-Match`, only if "
    "the plan is still that version (else 412). Archived plans refuse (409). A closed plan takes no new figures; "
    "set `state` back to `active` to reopen it.",
    response_model=PlanPublic,
    responses={**etag.documented(200), **errors(404, 409, 412, 422)},
)
def update_plan(
    session: SessionDep,
    principal: PrincipalDep,
    plan: EditablePlanDep,
    body: PlanUpdate,
    response: Response,
    if_match: IfMatch = None,
):
    with transaction(session):
        etag.require_match(session, plan, PlanPublic, if_match)
        if body.organization_id is not None:
            policy.require(session, principal, Role.EDITOR, body.organization_id)
        updated = service.update_plan(session=session, plan=plan, plan_in=body)
    etag.set_etag(response, PlanPublic, updated)
    return updated


@router.delete(
    "/{plan_id}",
    summary="Delete or archive a plan",
    description="A plan whose targets have figures or assessments is **archived**, never deleted: 200 with the plan "
    "and its `archived_at`. It can still be read by id (and its status, targets and figures), but leaves the "
    "lists (`include_archived=true` shows it) and refuses every change (409). A plan with no figures and no "
    "assessments is deleted for real, with its targets: 204. Needs an editor in scope; with `If-Match`, only if "
    "the plan is still that version (else 412).",
    response_model=PlanPublic,
    responses={
        200: {"description": "Archived: the plan had figures or assessments, which are all kept.", "headers": etag.ETAG_HEADER},
        204: {"description": "Deleted: the plan (and its targets) had no figures and no assessments."},
        **errors(404, 409, 412, 422),
    },
)
def delete_plan(session: SessionDep, plan: EditablePlanDep, response: Response, if_match: IfMatch = None):
    with transaction(session):
        etag.require_match(session, plan, PlanPublic, if_match)
        archived = service.delete_plan(session=session, plan=plan)
    if archived is None:
        return Response(status_code=204)
    etag.set_etag(response, PlanPublic, archived)
    return archived
