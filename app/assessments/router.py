"""HTTP routes for a committee's recorded verdicts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.assessments import service
from app.assessments.models import AssessmentCreate, AssessmentPublic
from app.common.crud import transaction
from app.common.types import Page
from app.deps import ListRequest, SessionDep, listing
from app.openapi import errors
from app.targets.deps import EditableTargetDep, TargetDep

router = APIRouter(tags=["assessments"])

AssessmentListing = Annotated[ListRequest, Depends(listing(service.ASSESSMENT_SORTS, default="-recorded_at"))]


@router.get(
    "/targets/{target_id}/assessments",
    summary="List the committee's recorded verdicts for a target",
    description="The verdicts a committee recorded by hand (`POST .../assessments`), newest first, each with who and "
    "why; they stand beside the computed status and never change it.",
    response_model=Page[AssessmentPublic],
    responses=errors(404, 422),
)
def list_assessments(session: SessionDep, target: TargetDep, page: AssessmentListing):
    return page.answer(service.list_assessments(session=session, target=target, listing=page.listing))


@router.post(
    "/targets/{target_id}/assessments",
    status_code=201,
    summary="Record the committee's verdict for a target",
    description="Stored beside the computed status; neither overwrites the other. A later assessment supersedes an earlier one for display; both are kept.",
    response_model=AssessmentPublic,
    responses=errors(404, 422),
)
def create_assessment(session: SessionDep, target: EditableTargetDep, body: AssessmentCreate):
    with transaction(session):
        return service.create_assessment(session=session, target=target, assessment_in=body)
