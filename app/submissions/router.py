"""HTTP routes for submissions (figures), their corrections and retractions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth import policy
from app.auth.models import Role
from app.common import etag
from app.common.crud import transaction
from app.common.etag import IfNoneMatch
from app.common.models import stored_id
from app.common.routing import lean_route
from app.common.types import MAX_DATE, MAX_ID, MIN_DATE, IsoDate, Page
from app.deps import (
    IDENTIFIES_ITSELF,
    ListRequest,
    PrincipalDep,
    SessionDep,
    in_hot_thread,
    listing,
    open_reads,
    open_session,
)
from app.idempotency.events import answer_with_write
from app.openapi import errors
from app.organizations.deps import OrganizationDep
from app.organizations.service import ancestors, subtree
from app.plans.deps import PlanDep
from app.submissions import service
from app.submissions.deps import SubmissionDep
from app.submissions.models import (
    PendingPage,
    ReviewPublic,
    SubmissionApproval,
    SubmissionCorrection,
    SubmissionDetail,
    SubmissionIn,
    SubmissionPublic,
    SubmissionRetraction,
    SubmissionReturn,
)
from app.targets.deps import TargetDep, TargetId, locks_target, reportable

router = APIRouter(tags=["submissions"])
# POST a figure, the busiest write, on a router of its own: the app matches it before every other router
# (app.main.API_ROUTERS), so a request for it is not first tried against the other routes.
hot_router = APIRouter(tags=["submissions"])

SubmissionListing = Annotated[ListRequest, Depends(listing(service.SUBMISSION_SORTS, default="period_date"))]

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
    page: SubmissionListing,
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
    return page.answer(
        service.list_submissions(
            session=session,
            target=target,
            from_date=from_date,
            to_date=to_date,
            organization_id=organization_id,
            versions=versions,
            listing=page.listing,
        )
    )


@lean_route(  # parameters and body read without FastAPI's per-request work when valid (app/common/routing.py)
    hot_router,
    "/targets/{target_id}/submissions",
    methods=["POST"],
    status_code=201,
    summary="Submit a figure for a target",
    description="Needs a reporter key (or higher) in scope of the reporting organisation. "
    "A closed plan takes no new figures (409); nor do archived plans and targets (409). A second official figure "
    "(or estimate) of one unit for one date is a 409 whose `existing_submission_id` names the stored one, to correct "
    "instead. The answer's `Location` is the new figure's path and its `ETag` the one a read of it gives.",
    response_model=SubmissionPublic,
    responses={**etag.documented_created(), **errors(404, 409, 422)},
    openapi_extra=IDENTIFIES_ITSELF,
)
async def create_submission(request: Request, target_id: TargetId, body: SubmissionIn):
    # The busiest write: no dependency (FastAPI solves each one on every request), and everything
    # blocking in one thread-pool hand-off: identifying the caller with the Idempotency-Key's record and
    # the target and its plan (one query), the checks, the write and its answer (docs/PERFORMANCE.md).
    # A write without a key never gets here (app.deps.api_gate: 401 before the body is read).
    # The answer is written before the commit, so the Idempotency-Key's record goes in 'done' with it
    # (body, Location and ETag), in the write's own transaction: one commit per POST and no transaction
    # after it (issue 17). Returned as a Response: already validated (SubmissionPublic), not validated again.

    def write() -> tuple[bytes, dict[str, str]]:
        session = open_session(request)
        try:
            # the caller (with the Idempotency-Key's record) and the target, in one statement; the figure's
            # organisation and those above it (for the key's scope and the plan's tree) come with them when the
            # figure names its organisation's id; one naming a code is read after it
            principal, target, plan, above, figure_id = reportable(request, session, target_id, body.organization_id)
            figure = service.with_organization(session, body)  # organization_code -> id, before the scope check
            if above is None:
                above = ancestors(session, figure.organization_id)
            policy.require(session, principal, Role.REPORTER, figure.organization_id, above=above)
            given: list[tuple[bytes, dict[str, str]]] = []

            def answer(created: SubmissionPublic) -> None:
                # the figure as stored: its answer, given to the Idempotency-Key's record as well (before the
                # figure's INSERT when its id is known ahead: the record then goes in with the figure)
                body = created.__pydantic_serializer__.to_json(created)
                # a new original's read shows it alone in its history: its ETag needs no query
                tag = etag.tag_of(service.first_detail_json(created))
                headers = etag.created_headers(request, tag, "get_submission", submission_id=created.id)
                answer_with_write(session, 201, body, headers=headers)
                given.append((body, headers))

            with transaction(session):  # one commit: the figure, its audit event and the Idempotency-Key's record
                service.create_submission(
                    session=session,
                    target=target,
                    submission_in=figure,
                    plan=plan,
                    above=above,
                    locked=locks_target(session),
                    figure_id=figure_id,
                    answer=answer,
                )
            return given[0]
        finally:
            session.close()  # here, in this thread: no second hand-off to close it

    answer, headers = await in_hot_thread(request, "write", write)
    return Response(answer, status_code=201, media_type="application/json", headers=headers)


@router.get(
    "/submissions/{submission_id}",
    summary="Get a figure, with every version of it",
    description="The stored row (any version), its chain's versions in order in `history` (original, "
    "corrections, retraction), and `current_id`, the version that may be corrected. The `ETag` header names this "
    "answer (it changes when the chain gets a new version); with `If-None-Match` naming it, 304 and no body.",
    response_model=SubmissionDetail,
    responses={**etag.documented_read(), **errors(404, 422)},
)
def get_submission(session: SessionDep, submission: SubmissionDep, response: Response, if_none_match: IfNoneMatch = None):
    detail = service.detail(session=session, submission=submission)
    return etag.read(response, SubmissionDetail, detail, if_none_match) or detail


@router.post(
    "/submissions/{submission_id}/corrections",
    status_code=201,
    summary="Correct a figure",
    description="Stores the whole corrected figure (same fields as a new one) with a `reason`, as a new version "
    "superseding the given one, which must be its chain's current version.\n\n" + VERSIONS,
    response_model=SubmissionPublic,
    responses={**etag.documented_created(), **errors(404, 409, 422)},
)
def correct_submission(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    submission: SubmissionDep,
    body: SubmissionCorrection,
):
    _, plan = service.context(session, submission)
    figure = service.with_organization(session, body)
    policy.require_to_change_figures(session, principal, plan, submission.organization_id, figure.organization_id)
    with transaction(session):
        row = service.correct_submission(session=session, submission=submission, correction_in=figure, reason=body.reason)
    _created(request, response, session, row)
    return row


@router.post(
    "/submissions/{submission_id}/retraction",
    status_code=201,
    summary="Retract a figure",
    description="Withdraws the figure with a `reason`: stores a retraction row that repeats the current version and "
    "supersedes it. From then on no version of the figure counts.\n\n" + VERSIONS,
    response_model=SubmissionPublic,
    responses={**etag.documented_created(), **errors(404, 409, 422)},
)
def retract_submission(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    submission: SubmissionDep,
    body: SubmissionRetraction,
):
    _, plan = service.context(session, submission)
    policy.require_to_change_figures(session, principal, plan, submission.organization_id)
    with transaction(session):
        row = service.retract_submission(session=session, submission=submission, retraction_in=body)
    _created(request, response, session, row)
    return row


APPROVAL = """On a plan with `approval_required`, a figure sent by a reporter is `submitted`: it does not
count in the plan's status (which lists it as awaiting approval) until an editor of an organisation
above the reporting unit approves it. Figures sent by an editor or admin of the plan's organisation
are approved on entry. A returned figure does not count either; correcting it sends it again, as
`submitted`. Each version is reviewed once: approving or returning a figure that is not awaiting
approval (approved, returned, superseded or retracted) is a 409. A key never approves or returns
its own figure (403). Approvals and returns are new records (`reviews` of GET /submissions/{id}),
never changes of the figure; both are audited. Closed plans take them (they need an editor, as a
closed plan's corrections do); archived plans and targets refuse (409)."""


@router.post(
    "/submissions/{submission_id}/approve",
    status_code=201,
    summary="Approve a submitted figure",
    description="From now on the figure counts in the plan's status. Needs an editor key of an organisation above "
    "the figure's reporting organisation (or an admin).\n\n" + APPROVAL,
    response_model=ReviewPublic,
    responses=errors(404, 409, 422),
)
def approve_submission(
    session: SessionDep, principal: PrincipalDep, submission: SubmissionDep, body: SubmissionApproval | None = None
):
    policy.require_to_review(session, principal, submission.organization_id, submission.sent_by_key_id)
    with transaction(session):
        return service.approve(session=session, submission=submission, approval_in=body or SubmissionApproval())


@router.post(
    "/submissions/{submission_id}/return",
    status_code=201,
    summary="Return a submitted figure with a reason",
    description="The figure goes back to its reporting unit and does not count; a correction of it comes back as "
    "submitted. Needs an editor key of an organisation above the figure's reporting organisation (or an admin).\n\n" + APPROVAL,
    response_model=ReviewPublic,
    responses=errors(404, 409, 422),
)
def return_submission(session: SessionDep, principal: PrincipalDep, submission: SubmissionDep, body: SubmissionReturn):
    policy.require_to_review(session, principal, submission.organization_id, submission.sent_by_key_id)
    with transaction(session):
        return service.return_figure(session=session, submission=submission, return_in=body)


PendingListing = Annotated[ListRequest, Depends(listing(service.PENDING_SORTS, default="id"))]
PendingState = Annotated[
    service.Pending,
    Query(description="`submitted`: awaiting approval (the inbox); `returned`: sent back to their units with a reason."),
]


@router.get(
    "/plans/{plan_id}/submissions/pending",
    summary="List a plan's figures awaiting approval, with counts",
    description="The plan's figures awaiting approval (each chain's current version, oldest first), with how many per "
    "reporting organisation. Needs a key in scope of the plan's organisation. Empty unless the plan has "
    "`approval_required`.",
    response_model=PendingPage,
    responses=errors(404, 422),
)
def plan_pending(
    session: SessionDep, principal: PrincipalDep, plan: PlanDep, page: PendingListing, state: PendingState = "submitted"
):
    policy.require(session, principal, Role.VIEWER, plan.organization_id)
    return page.answer(service.pending(session=session, state=state, plan_id=plan.id, listing=page.listing))


@router.get(
    "/organizations/{organization_id}/submissions/pending",
    summary="List the figures awaiting approval from an organisation and those under it, with counts",
    description="The office's inbox: figures reported by the organisation or any under it that await approval, across "
    "the plans the key may read (live plans with `approval_required`), oldest first, with how many per plan and "
    "per reporting organisation. Needs a key in scope of the organisation.",
    response_model=PendingPage,
    responses=errors(404, 422),
)
def organization_pending(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    organization: OrganizationDep,
    page: PendingListing,
    state: PendingState = "submitted",
):
    who = policy.require(session, principal, Role.VIEWER, organization.id)
    # Drafts only of plans in the key's scope (policy.may_read_plan); with reads closed, every plan needs that.
    scope = policy.scope_of(session, who)
    return page.answer(
        service.pending(
            session=session,
            state=state,
            organizations=subtree(session, stored_id(organization)),
            draft_plans_of=scope,
            readable_only_of=None if open_reads(request) else scope,
            listing=page.listing,
        )
    )


def _created(request: Request, response: Response, session: SessionDep, row) -> None:
    """A new version's Location and the ETag of its read (its chain, read again after the commit)."""
    detail = service.detail_of(session, row.id)
    etag.created(request, response, SubmissionDetail, detail, "get_submission", submission_id=row.id)
