"""HTTP route: read a resolution's text into draft targets, and optionally store them.

Parsing is open without a key (it stores nothing) only because it is bounded (issue 11):

- at most 200,000 characters (`text`) and 5,000 pieces (clauses, headings, skipped text) per
  request: over either, 422 before any clause is read; a piece over 2,000 characters comes back
  unrecognised;
- a time limit (`PARSE_TIME_LIMIT_SECONDS`, 5 s): past it, 503 with Retry-After;
- at most `PARSE_CONCURRENCY` (2) parses at once per worker process: beyond, 503 with
  Retry-After at once (`ParseGateMiddleware`, before the body is even read), so parsing can
  never hold the thread pool, the database or the event loop, nor starve reads;
- the text is parsed in a worker process (parse_service.parse_text_elsewhere, at a lower CPU
  priority), never in the server's threads, so it cannot hold the interpreter lock against
  reads; a parse still running 2 s past its time limit has its process killed;
- no database session is held while the text is parsed: the plan is read (and, with `apply`,
  the editor's rights checked) in one short hand-off whose connection goes back to the pool
  before parsing starts; the accepted drafts are written after it, in a transaction of their
  own. The answer is serialised in the thread pool, not on the event loop.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth import policy
from app.auth.models import Role
from app.auth.service import Principal
from app.common.crud import transaction
from app.common.types import MAX_ID
from app.deps import PrincipalDep, SessionDep
from app.errors import Conflict, InvalidInput, ServiceUnavailable, problem_response
from app.exchange import parse_service
from app.exchange.models import ParseRequest, ParseResponse
from app.exchange.parser import MAX_CHARS, MAX_CLAUSE_CHARS, MAX_CLAUSES, Budget, ParseLimitExceeded, ParseTimeout
from app.limits import PARSE_PATH
from app.openapi import errors
from app.plans.deps import load_plan
from app.plans.models import Plan
from app.targets.models import TargetPublic

router = APIRouter(tags=["exchange"])


class ParseSlots:
    """At most `limit` parses at once in this process; `take` never waits (a refusal is a 503)."""

    def __init__(self, limit: int):
        self.limit, self.busy = limit, 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.busy >= self.limit:
                return False
            self.busy += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.busy -= 1


def parse_slots(app) -> ParseSlots:
    """The worker's parse slots (made on first use from the settings)."""
    slots = getattr(app.state, "parse_slots", None)
    if slots is None:
        slots = app.state.parse_slots = ParseSlots(app.state.settings.parse_concurrency)
    return slots


class ParseGateMiddleware:
    """Takes a parse slot before the request's body is read, or answers 503 (Retry-After) at once.

    A refused request costs no body upload, no JSON decoding and no database work, so a crowd of
    parse requests cannot crowd out reads on the event loop either. The slot is held until the
    answer is sent.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not PARSE_PATH.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        slots = parse_slots(scope["app"])
        if not slots.take():
            refusal = ServiceUnavailable(
                f"The server is already reading {slots.limit} texts; try again in a moment.", retry_after=2
            )
            response = problem_response(
                Request(scope), refusal.status, refusal.detail, headers=refusal.headers, slug=refusal.slug, title=refusal.title
            )
            response.headers["connection"] = "close"  # the body is not read
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.give_back()


LIMITS = (
    f"**Limits** (parsing is open without a key only because it is bounded): at most {MAX_CHARS:,} characters "
    f"of text and {MAX_CLAUSES:,} pieces (clauses, headings, skipped text) per request, else 422 before any "
    f"clause is read; a piece longer than {MAX_CLAUSE_CHARS:,} characters comes back unrecognised; a time limit "
    "per request (5 s by default, `PARSE_TIME_LIMIT_SECONDS`), past which the answer is 503 with `Retry-After`; "
    "and at most 2 parses at once per server process (`PARSE_CONCURRENCY`): beyond that, 503 with `Retry-After` "
    "at once. No database connection is held while the text is read."
)


def _readable_plan(request: Request, session: Session, principal: Principal | None, plan_id: int, apply: bool) -> Plan:
    """The plan if the caller may read it (and, with apply, change it); the session's connection is then released."""
    try:
        plan = load_plan(request, session, principal, plan_id)
        if apply:  # reading text stores nothing; creating targets is an editor's write
            policy.require(session, principal, Role.EDITOR, plan.organization_id)
            if plan.archived_at is not None:
                raise Conflict(f"Plan {plan.id} is archived: it can be read but no longer changed.")
        return plan
    finally:
        session.close()  # back to the pool: nothing is held while the text is parsed


def _apply(session: Session, plan, result, accept: list[int] | None) -> list:
    """Stores the accepted drafts as targets: the route's one commit."""
    with transaction(session):
        return parse_service.apply_drafts(session=session, plan=plan, result=result, accept=accept)


def _answer(parts: str, apply: bool, created: list) -> bytes:
    """The ParseResponse: the parts made by the parsing process, then `applied` and `created`."""
    stored = ",".join(TargetPublic.model_validate(t, from_attributes=True).model_dump_json() for t in created)
    return f'{{{parts},"applied":{"true" if apply else "false"},"created":[{stored}]}}'.encode()


@router.post(
    "/plans/{plan_id}/parse",
    summary="Read a resolution's text into draft targets",
    description="Rule-based and deterministic. Nothing is stored unless `apply=true`; then the accepted drafts "
    "(all, or those listed in `accept`) become targets of the plan in one commit, with the next free codes. "
    "Every clause comes back as a draft, as unrecognised (with the reason) or as skipped text (headings, and "
    "sentences that state no target: votes, last year's results, dates of entry into force).\n\n" + LIMITS,
    response_model=ParseResponse,
    responses=errors(404, 409, 422, 503),
)
async def parse_plan_text(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    plan_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The plan's id.")],
    body: ParseRequest,
    apply: Annotated[bool, Query(description="Store the accepted drafts as targets.")] = False,
):
    # The parse slot was taken by ParseGateMiddleware before the body was read.
    settings = request.app.state.settings
    try:
        plan = await run_in_threadpool(_readable_plan, request, session, principal, plan_id, apply)
        limit = settings.parse_time_limit_seconds
        parts, result = await parse_service.parse_text_elsewhere(
            body.text, Budget.seconds(limit), processes=settings.parse_concurrency, hard_limit=limit + 2, keep=apply
        )
    except ParseLimitExceeded as exc:
        raise InvalidInput.from_fields(exc.detail, {exc.field: exc.detail}) from None
    except parse_service.ParserUnavailable:
        raise ServiceUnavailable("The parser stopped while reading the text; try again.", retry_after=2) from None
    except ParseTimeout:
        raise ServiceUnavailable(
            f"The text could not be read within the time limit of {settings.parse_time_limit_seconds:g} s (the "
            "server may be busy); try again, or send the text in smaller parts.",
            retry_after=5,
        ) from None
    created = []
    if apply:
        created = await run_in_threadpool(_apply, session, plan, result, body.accept)
    content = await run_in_threadpool(_answer, parts, apply, created)
    return Response(content=content, media_type="application/json")
