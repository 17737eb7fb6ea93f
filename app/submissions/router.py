"""HTTP routes for submissions (figures)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.common.types import MAX_DATE, MAX_ID, MIN_DATE, Page
from app.auth import policy
from app.auth.models import Role
from app.deps import PagingDep, PrincipalDep, ReportableTargetDep, SessionDep, SubmissionDep, TargetDep
from app.openapi import errors
from app.submissions import service
from app.submissions.models import SubmissionCreate, SubmissionPublic

router = APIRouter(tags=["submissions"])



@router.get(
    "/targets/{target_id}/submissions",
    summary="List a target's figures",
    response_model=Page[SubmissionPublic],
    responses=errors(404, 422),
)
def list_submissions(
    session: SessionDep,
    target: TargetDep,
    paging: PagingDep,
    from_date: Annotated[date | None, Query(alias="from", ge=MIN_DATE, le=MAX_DATE, description="Figures dated on or after.")] = None,
    to_date: Annotated[date | None, Query(alias="to", ge=MIN_DATE, le=MAX_DATE, description="Figures dated on or before.")] = None,
    organization_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Reported by this organisation.")] = None,
):
    return service.list_submissions(
        session=session,
        target=target,
        from_date=from_date,
        to_date=to_date,
        organization_id=organization_id,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post(
    "/targets/{target_id}/submissions",
    status_code=201,
    summary="Submit a figure for a target",
    response_model=SubmissionPublic,
    responses=errors(404, 409, 422),
)
def create_submission(session: SessionDep, principal: PrincipalDep, target: ReportableTargetDep, body: SubmissionCreate):
    policy.require(session, principal, Role.REPORTER, body.organization_id)
    return service.create_submission(session=session, target=target, submission_in=body)


@router.get(
    "/submissions/{submission_id}", summary="Get a figure", response_model=SubmissionPublic, responses=errors(404, 422)
)
def get_submission(submission: SubmissionDep):
    return submission
