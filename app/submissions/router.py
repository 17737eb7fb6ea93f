"""HTTP routes for submissions (figures), their corrections and retractions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from app.auth import policy
from app.auth.models import Role
from app.common.crud import transaction
from app.common.types import MAX_DATE, MAX_ID, MIN_DATE, IsoDate, Page
from app.deps import PagingDep, PrincipalDep, SessionDep
from app.idempotency.events import answer_with_write
from app.openapi import errors
from app.submissions import service
from app.submissions.deps import SubmissionDep
from app.submissions.models import (
    SubmissionCorrection,
    SubmissionCreate,
    SubmissionDetail,
    SubmissionPublic,
    SubmissionRetraction,
)
from app.targets.deps import ReportableTargetDep, TargetDep

router = APIRouter(tags=["submissions"])

VERSIONS = """Figures are never changed or deleted. A **correction** is a new version that supersedes the
current one; a **retraction** withdraws the figure (it repeats the figure it withdraws). Each
version names the one it supersedes (`supersedes_id`) and the chain's original (`root_id`).
Only a chain's current version may be corrected or retracted: naming an older one is a 409
whose detail gives the current version's id, and of two concurrent requests on the same
version one succeeds and the other gets that 409. A retracted figure cannot be corrected.

Who: a key with the reporter role or higher, in scope of the figure's organisation (and of
the new organisation when a correction changes it). On a **closed** plan only an editor may
correct or retract (a reporter gets 403). Archived plans and targets refuse (409).

Status counts each chain's current version as known at `known_at`: a correction recorded
after `known_at` does not apply then, and a retraction removes the figure from the moment it
was recorded."""


@router.get(
    "/targets/{target_id}/submissions",
    summary="List a target's figures",
    description="By default the figures in force: each chain's current version, retracted figures left out. "
    "`versions=all` lists every stored row (originals, corrections, retractions).",
    response_model=Page[SubmissionPublic],
    responses=errors(404, 422),
)
def list_submissions(
    session: SessionDep,
    target: TargetDep,
    paging: PagingDep,
    from_date: Annotated[
        IsoDate | None, Query(alias="from", ge=MIN_DATE, le=MAX_DATE, description="Figures dated on or after.")
    ] = None,
    to_date: Annotated[
        IsoDate | None, Query(alias="to", ge=MIN_DATE, le=MAX_DATE, description="Figures dated on or before.")
    ] = None,
    organization_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Reported by this organisation.")] = None,
    versions: Annotated[
        service.Versions,
        Query(description="`current`: each chain's current version, retracted ones left out; `all`: every stored row."),
    ] = "current",
):
    return service.list_submissions(
        session=session,
        target=target,
        from_date=from_date,
        to_date=to_date,
        organization_id=organization_id,
        versions=versions,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post(
    "/targets/{target_id}/submissions",
    status_code=201,
    summary="Submit a figure for a target",
    description="Needs a reporter key (or higher) in scope of the reporting organisation. "
    "A closed plan takes no new figures (409); nor do archived plans and targets (409).",
    response_model=SubmissionPublic,
    responses=errors(404, 409, 422),
)
async def create_submission(session: SessionDep, principal: PrincipalDep, target: ReportableTargetDep, body: SubmissionCreate):
    # The busiest write: `async def` with the blocking work in one thread-pool hand-off, so the
    # answer is also built without another one (docs/PERFORMANCE.md).
    # The answer is written before the commit, so the Idempotency-Key's record goes in 'done' with it,
    # in the write's own transaction: one commit per POST and no transaction after it (issue 17).
    # Returned as a Response: already validated (SubmissionPublic), so FastAPI does not do it again.

    def write() -> bytes:
        policy.require(session, principal, Role.REPORTER, body.organization_id)
        with transaction(session):  # one commit: the figure, its audit event and the Idempotency-Key's record
            created = service.create_submission(session=session, target=target, submission_in=body)
            answer = created.__pydantic_serializer__.to_json(created)
            answer_with_write(session, 201, answer)
        return answer

    return Response(await run_in_threadpool(write), status_code=201, media_type="application/json")


@router.get(
    "/submissions/{submission_id}",
    summary="Get a figure, with every version of it",
    description="The stored row (any version), its chain's versions in order in `history` (original, "
    "corrections, retraction), and `current_id`, the version that may be corrected.",
    response_model=SubmissionDetail,
    responses=errors(404, 422),
)
def get_submission(session: SessionDep, submission: SubmissionDep):
    return service.detail(session=session, submission=submission)


@router.post(
    "/submissions/{submission_id}/corrections",
    status_code=201,
    summary="Correct a figure",
    description="Stores the whole corrected figure (same fields as a new one) with a `reason`, as a new version "
    "superseding the given one, which must be its chain's current version.\n\n" + VERSIONS,
    response_model=SubmissionPublic,
    responses=errors(404, 409, 422),
)
def correct_submission(session: SessionDep, principal: PrincipalDep, submission: SubmissionDep, body: SubmissionCorrection):
    _, plan = service.context(session, submission)
    policy.require_to_change_figures(session, principal, plan, submission.organization_id, body.organization_id)
    with transaction(session):
        return service.correct_submission(session=session, submission=submission, correction_in=body)


@router.post(
    "/submissions/{submission_id}/retraction",
    status_code=201,
    summary="Retract a figure",
    description="Withdraws the figure with a `reason`: stores a retraction row that repeats the current version and "
    "supersedes it. From then on no version of the figure counts.\n\n" + VERSIONS,
    response_model=SubmissionPublic,
    responses=errors(404, 409, 422),
)
def retract_submission(session: SessionDep, principal: PrincipalDep, submission: SubmissionDep, body: SubmissionRetraction):
    _, plan = service.context(session, submission)
    policy.require_to_change_figures(session, principal, plan, submission.organization_id)
    with transaction(session):
        return service.retract_submission(session=session, submission=submission, retraction_in=body)
