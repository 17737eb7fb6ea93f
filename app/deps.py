"""Request dependencies: the session, paging, and loaders that answer 404.

Each loader takes the path id under one name everywhere (`organization_id`,
`plan_id`, `target_id`, `submission_id`) and returns the row, so no route
repeats a lookup-or-404 block.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Path, Query, Request
from sqlmodel import Session

from app.common.crud import get_or_404
from app.common.types import MAX_ID, MAX_PAGE
from app.db import session_scope
from app.organizations.models import Organization
from app.plans.models import Plan
from app.submissions.models import Submission
from app.targets.models import Target


def get_session(request: Request) -> Iterator[Session]:
    """A session on the app's engine, closed after the request."""
    yield from session_scope(request.app.state.engine)


SessionDep = Annotated[Session, Depends(get_session)]


class Paging:
    """limit/offset query parameters, with the documented cap."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}.")] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Rows to skip.")] = 0,
    ):
        self.limit, self.offset = limit, offset


PagingDep = Annotated[Paging, Depends()]


def today(request: Request) -> date:
    """Today in the configured time zone (Asia/Ho_Chi_Minh by default)."""
    return request.app.state.settings.today()


TodayDep = Annotated[date, Depends(today)]


def language(
    request: Request,
    lang: Annotated[Literal["vi", "en"] | None, Query(description="Language of messages and headlines; overrides Accept-Language.")] = None,
) -> str:
    """`?lang=`, else the most preferred of vi/en in Accept-Language, else Vietnamese.

    Ties go to the one listed first; q=0 means "not acceptable" (RFC 9110 §12.5.4).
    """
    if lang:
        return lang
    ranked = []
    for index, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in ("vi", "en") and q > 0:
            ranked.append((-q, index, primary))
    return min(ranked)[2] if ranked else "vi"


LangDep = Annotated[str, Depends(language)]


def _id(name: str):
    return Annotated[int, Path(ge=1, le=MAX_ID, description=f"The {name}'s id.")]


def load_organization(session: SessionDep, organization_id: _id("organisation")) -> Organization:
    return get_or_404(session, Organization, organization_id, "Organisation")


def load_plan(session: SessionDep, plan_id: _id("plan")) -> Plan:
    return get_or_404(session, Plan, plan_id, "Plan")


def load_target(session: SessionDep, target_id: _id("target")) -> Target:
    return get_or_404(session, Target, target_id, "Target")


def load_submission(session: SessionDep, submission_id: _id("submission")) -> Submission:
    return get_or_404(session, Submission, submission_id, "Submission")


OrganizationDep = Annotated[Organization, Depends(load_organization)]
PlanDep = Annotated[Plan, Depends(load_plan)]
TargetDep = Annotated[Target, Depends(load_target)]
SubmissionDep = Annotated[Submission, Depends(load_submission)]

