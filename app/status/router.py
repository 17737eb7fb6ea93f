"""HTTP routes for computed statuses, history and breakdowns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response

from app import language
from app.auth import policy
from app.common.routing import lean_route
from app.common.types import MAX_DATE, MIN_DATE, IsoDate, IsoWallDateTime
from app.deps import (
    IDENTIFIES_ITSELF,
    LangQuery,
    ListRequest,
    SessionDep,
    TodayDep,
    identify,
    in_hot_thread,
    listing,
    open_reads,
    open_session,
    resolve_language,
)
from app.errors import InvalidInput, NotFound
from app.openapi import errors
from app.plans.deps import PlanDep
from app.slots import StatusSlotDep
from app.status import queries, service
from app.status.models import PlanStatus, PlanStatusByOrganization, TargetHistory, TargetStatus
from app.targets.deps import TargetDep, TargetId

router = APIRouter(tags=["status"])
# A target's status, the busiest read, on a router of its own: the app matches it before every other router
# (app.main.API_ROUTERS), so a request for it is not first tried against the other routes.
hot_router = APIRouter(tags=["status"])

ByOrgListing = Annotated[ListRequest, Depends(listing(service.BY_ORG_SORTS, default="code"))]

AsOf = Annotated[
    IsoDate | None,
    Query(
        ge=MIN_DATE,
        le=MAX_DATE,
        description="The date to judge on (default: today in the configured time zone); figures dated later do not count.",
        examples=["2019-06-30"],
    ),
]
KnownAt = Annotated[
    IsoWallDateTime | None,
    Query(
        description="Count only figures and assessments recorded by this moment (ISO 8601). A time without a zone "
        "is read in the server's configured time zone (TIMEZONE, Asia/Ho_Chi_Minh by default), as office staff write it. "
        "With as_of, answers exactly what a past review saw, whatever was corrected since.",
        examples=["2019-07-15T00:00:00+07:00"],
    ),
]


Include = Annotated[
    Literal["submitted"] | None,
    Query(
        description="`submitted`: on a plan that requires approval, count the figures awaiting approval too (a "
        "provisional picture; the explanation's `awaiting_approval` lists those the value rests on). Default: approved "
        "figures only; figures awaiting approval or returned are listed in `not_counted` with why.",
    ),
]


async def include_param(include: Include = None) -> bool:
    """`?include=submitted`: True."""
    return include == "submitted"


IncludeSubmittedDep = Annotated[bool, Depends(include_param)]


async def known_at_param(request: Request, known_at: KnownAt = None) -> datetime | None:
    """`known_at` as an instant: a time without a zone is read in the configured time zone."""
    return _known_at(known_at, request.app.state.settings.timezone)


KnownAtDep = Annotated[datetime | None, Depends(known_at_param)]


@dataclass(frozen=True)
class Reading:
    """How a status is read: on which date (`as_of`, else today), with what was known by when, in which language."""

    as_of: date
    today: date
    known_at: datetime | None
    lang: str


async def reading(request: Request, as_of: AsOf = None, lang: LangQuery = None, known_at: KnownAt = None) -> Reading:
    """The query's `as_of`, `lang` (or Accept-Language) and `known_at`, in the order the routes always listed them.

    One dependency with the three parameters (it was four: today, language and known_at under this
    one): FastAPI solves each dependency per request, which cost more than what they compute."""
    return reading_of(request, as_of, lang, known_at)


def reading_of(request: Request, as_of: date | None, lang: str | None, known_at: datetime | None) -> Reading:
    """`reading` as a plain call, for a route that declares the three parameters itself."""
    settings = request.app.state.settings
    today = settings.today()
    return Reading(
        as_of=as_of or today, today=today, known_at=_known_at(known_at, settings.timezone), lang=resolve_language(request, lang)
    )


ReadingDep = Annotated[Reading, Depends(reading)]


def _known_at(value: datetime | None, zone: str) -> datetime | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=ZoneInfo(zone))  # compared as instants
    if not datetime(1900, 1, 1, tzinfo=UTC) <= aware <= datetime(2101, 1, 1, tzinfo=UTC):
        raise InvalidInput.from_fields("known_at is out of range.", {"query.known_at": "must lie between 1900 and 2100"})
    return aware


@lean_route(  # parameters read without FastAPI's per-request work when valid (app/common/routing.py)
    hot_router,
    "/targets/{target_id}/status",
    methods=["GET"],
    summary="Get a target's status: verdict or pace, forecast, explanation",
    description="Where the target stands on `as_of` (default: today in the configured time zone): after its period "
    "a verdict (`exceeded`, `achieved`, `basically_achieved`, `not_achieved`), during it the pace (`on_track`, "
    "`at_risk`, `off_track`, `achieved_early`) against the expected path, with the figures "
    "counted, those left out and why, a forecast, and an explanation in `lang` (or Accept-Language). "
    "`known_at` answers as the stored figures stood at that instant.",
    response_model=TargetStatus,
    responses=errors(404, 422),
    openapi_extra=IDENTIFIES_ITSELF,
)
async def get_target_status(
    request: Request,
    target_id: TargetId,
    as_of: AsOf = None,
    lang: LangQuery = None,
    known_at: KnownAt = None,
    include: Include = None,
):
    # The busiest read: no dependency (FastAPI solves each one on every request: together they cost
    # as much as the route's own work), and identifying the caller, loading (with the access check),
    # judging and writing the JSON in one thread-pool hand-off (docs/PERFORMANCE.md, issue 17).
    read = reading_of(request, as_of, lang, known_at)

    def answer() -> bytes:
        session = open_session(request, reads_only=True)  # a stale row is stored on a connection of its own
        try:
            principal = identify(request, session)  # None without a key: reads may be open
            # The target, its plan and its stored evaluation in one query, as Core rows (issue 17).
            policy.require_read(principal, open_reads=open_reads(request))
            # on the connection: a Core statement needs none of the ORM session's execute (issue 17)
            row = queries.TARGET_STATUS.first(session.connection(), {"target_id": target_id, "as_of": read.as_of})
            missing = f"Target {target_id} does not exist."
            if row is None:
                raise NotFound(missing)
            plan = queries.plan_of_row(row)
            policy.require_read_plan(session, principal, plan, open_reads=open_reads(request), hidden=missing)
            # Stored when its fingerprint holds (the plan views' table), else computed and stored; already JSON.
            return service.target_status_json(
                session=session,
                row=row,
                plan=plan,
                as_of=read.as_of,
                known_at=read.known_at,
                lang=read.lang,
                include_submitted=include == "submitted",
            )
        finally:
            session.close()  # here, in this thread: the read ends and the connection goes back to the pool

    # Its own Response: the language headers (app/language.py) go on it, as the `language` dependency's would.
    body = await in_hot_thread(request, "read", answer)
    return Response(content=body, media_type="application/json", headers=language.headers(read.lang))


@router.get(
    "/targets/{target_id}/history",
    summary="Get a target's status at each figure's date, and its expected path",
    description="One point per figure date up to `as_of`, with the value counted and the status then, and the "
    "expected path from the baseline to the goal: what a progress chart draws.",
    response_model=TargetHistory,
    responses=errors(404, 422),
)
def get_target_history(session: SessionDep, target: TargetDep, today: TodayDep, known_at: KnownAtDep, as_of: AsOf = None):
    # Sent as TargetHistory's JSON, stored with the target's evaluation when its fingerprint holds (issue 17):
    # FastAPI would dump, validate and dump again (a point per figure date).
    body = service.target_history_json(session=session, target=target, as_of=as_of or today, known_at=known_at)
    return Response(content=body, media_type="application/json")


@router.get(
    "/plans/{plan_id}/status",
    summary="Get a plan's status: every target, counts, headline, and per category",
    description="Every target's status on `as_of` (as `GET /targets/{target_id}/status`), the counts per verdict, "
    "a headline in `lang`, and the same per category. Archived targets are left out. At most a few plan "
    "statuses are computed at once per worker: beyond, 503 with `Retry-After`.",
    response_model=PlanStatus,
    responses=errors(404, 422, 503),
)
def get_plan_status(
    _slot: StatusSlotDep, session: SessionDep, plan: PlanDep, read: ReadingDep, include_submitted: IncludeSubmittedDep
):
    # Already PlanStatus as JSON (see service.plan_status_json): a Response skips re-validating
    # and re-serialising a thousand targets; response_model still documents it.
    body = service.plan_status_json(
        session=session,
        plan=plan,
        as_of=read.as_of,
        known_at=read.known_at,
        lang=read.lang,
        include_submitted=include_submitted,
    )
    return Response(content=body, media_type="application/json", headers=language.headers(read.lang))


@router.get(
    "/plans/{plan_id}/status/organizations",
    summary="Get a plan's status broken down by reporting organisation",
    description="For each reporting organisation (one page of them, by code: `limit`, `offset`, `total`, `Link`), "
    "each target it or its units reported on, judged on its own figures from that organisation down: who is behind, "
    "who has not reported. Each target comes in counts, as the plan's status summarises it: the figures counted "
    "(`submission_count`), those that do not count by kind of reason (`not_counted_by_reason`), the units that "
    "count and not (`units_counted`, `units_not_counted`), the coverage; the lists behind the counts are in "
    "`GET /targets/{target_id}/status` (each unit's value, each figure left out and why) and "
    "`GET /targets/{target_id}/submissions?organization_id=` (an organisation's own figures). "
    "Same parameters and limits as the plan's status.",
    response_model=PlanStatusByOrganization,
    responses=errors(404, 422, 503),
)
def get_plan_status_by_organization(
    _slot: StatusSlotDep,
    session: SessionDep,
    plan: PlanDep,
    read: ReadingDep,
    include_submitted: IncludeSubmittedDep,
    page: ByOrgListing,
):
    # Stored JSON when its fingerprint holds (service.plan_status_by_organization_json; not with
    # include=submitted, a provisional picture), the page cut from it; response_model documents it.
    body, total = service.plan_status_by_organization_json(
        session=session,
        plan=plan,
        as_of=read.as_of,
        known_at=read.known_at,
        lang=read.lang,
        include_submitted=include_submitted,
        listing=page.listing,
    )
    page.answer({"limit": page.listing.limit, "offset": page.listing.offset, "total": total})  # sets Link
    headers = language.headers(read.lang)
    if "Link" in page.response.headers:
        headers["Link"] = page.response.headers["Link"]
    return Response(content=body, media_type="application/json", headers=headers)
