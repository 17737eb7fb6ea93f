"""HTTP route: read the audit trail (any key; each key sees the events of its own organisations)."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Literal, TypeAlias, get_args

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import ColumnElement, and_, exists, or_
from sqlmodel import col, select

from app.assessments.models import Assessment
from app.audit.models import AuditEvent, AuditEventPublic
from app.auth import policy
from app.common.listing import Sorts, page_of
from app.common.models import table_of
from app.common.types import MAX_ID, IsoDateTime, Page, text_checks
from app.deps import KeyDep, ListRequest, SessionDep, listing, open_reads
from app.errors import InvalidInput
from app.openapi import errors
from app.plans.models import Plan, PlanState
from app.submissions.models import Submission, SubmissionReview
from app.targets.models import Target

router = APIRouter(prefix="/audit-events", tags=["audit"])

Action = Literal[
    "create", "update", "archive", "delete", "correct", "retract", "approve", "return", "assess", "key_create", "key_revoke"
]
Entity = Literal["organization", "plan", "target", "submission", "submission_review", "assessment", "api_key"]
ACTIONS: tuple[str, ...] = get_args(Action)
ENTITIES: tuple[str, ...] = get_args(Entity)
RequestIdFilter: TypeAlias = Annotated[str, *text_checks(200, min_length=1)]

DESCRIPTION = f"""
One event per change, recorded in the same transaction as the change (a write that failed
left none). Each names who acted (`actor_key_id` and `actor`, the key's name at the time, or
`cli` / `system` for the command line and the server itself), when (`occurred_at`), the
request (`request_id`: the `X-Request-ID` the client sent, or the one the server made up and
answered with), what (`action` on `entity` `entity_id`) and the row's columns `before` and
`after` (`before` is null for a creation; secrets such as a key's hash are never copied).

Actions: {", ".join(f"`{a}`" for a in ACTIONS)}. Entities: {", ".join(f"`{e}`" for e in ENTITIES)}.
An import records one event per row it created or changed.

**Who sees what.** Any key may read the trail. Admin keys see every event; other keys see only
the events of rows that belong to an organisation in their scope (their organisation and those
under it: a plan's or target's issuing organisation, a figure's reporting organisation, a key's
organisation, an organisation itself). Events with no organisation (admin keys) are admins' only.
And an event about a plan, a target, a figure or an assessment is shown only to a key that may
read that plan: a figure reported for a ward on the city's draft plan stays out of the ward's
trail while the plan is a draft (as `GET /submissions/{id}` is 404 for that key).

**Order.** Newest first by default (`sort=-occurred_at`); `sort=occurred_at` reads the trail
forwards. The order is that of recording (the event's id), so the events of one write keep it.
`from` and `to` bound `occurred_at`, both inclusive (as `from`/`to` bound a figure's date).
"""


# The order of recording is the id's: occurred_at alone ties within a write (app.common.listing).
AUDIT_SORTS: Sorts = {"occurred_at": (col(AuditEvent.id),)}
AuditListing = Annotated[ListRequest, Depends(listing(AUDIT_SORTS, default="-occurred_at"))]


@router.get(
    "",
    summary="List audit events (who changed what, when, before and after)",
    description=DESCRIPTION,
    response_model=Page[AuditEventPublic],
    responses=errors(422),
)
def list_audit_events(
    request: Request,
    session: SessionDep,
    principal: KeyDep,
    page: AuditListing,
    entity: Annotated[Entity | None, Query(description="Only events about this kind of row.")] = None,
    entity_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only events about the row with this id.")] = None,
    action: Annotated[Action | None, Query(description="Only events of this action.")] = None,
    actor_key_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only events made with this API key.")] = None,
    request_id: Annotated[RequestIdFilter | None, Query(description="Only events of this request (its X-Request-ID).")] = None,
    since: Annotated[
        IsoDateTime | None,
        Query(alias="from", description="Only events at or after this moment (ISO 8601; no zone means UTC)."),
    ] = None,
    until: Annotated[
        IsoDateTime | None,
        Query(alias="to", description="Only events at or before this moment (ISO 8601; no zone means UTC)."),
    ] = None,
):
    if since is not None and until is not None and until < since:
        raise InvalidInput.from_fields("The time window is empty.", {"query.to": "must not be before from"})
    stmt = select(AuditEvent)
    scope = policy.scope_of(session, principal)
    if scope is not None:
        stmt = stmt.where(col(AuditEvent.organization_id).in_(scope), _plan_readable(scope, open_reads=open_reads(request)))
    for column, value in (
        (col(AuditEvent.entity), entity),
        (col(AuditEvent.entity_id), entity_id),
        (col(AuditEvent.action), action),
        (col(AuditEvent.actor_key_id), actor_key_id),
        (col(AuditEvent.request_id), request_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    # Compared in UTC: SQLite keeps the stored (UTC) times without their zone.
    if since is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= since.astimezone(UTC))
    if until is not None:
        stmt = stmt.where(AuditEvent.occurred_at <= until.astimezone(UTC))
    stmt = stmt.order_by(col(AuditEvent.id).desc())
    return page.answer(page_of(session, stmt, page.listing, sorts=AUDIT_SORTS))


_P, _T, _S, _A = table_of(Plan), table_of(Target), table_of(Submission), table_of(Assessment)
_R = table_of(SubmissionReview)
# entity -> (the row's table, the select from it to its plan): events about these need their plan readable.
_PLAN_BOUND = {
    "plan": (_P, lambda: select(_P.c.id).select_from(_P)),
    "target": (_T, lambda: select(_T.c.id).select_from(_T.join(_P, _P.c.id == _T.c.plan_id))),
    "submission": (
        _S,
        lambda: select(_S.c.id).select_from(_S.join(_T, _T.c.id == _S.c.target_id).join(_P, _P.c.id == _T.c.plan_id)),
    ),
    "submission_review": (
        _R,
        lambda: select(_R.c.id).select_from(_R.join(_T, _T.c.id == _R.c.target_id).join(_P, _P.c.id == _T.c.plan_id)),
    ),
    "assessment": (
        _A,
        lambda: select(_A.c.id).select_from(_A.join(_T, _T.c.id == _A.c.target_id).join(_P, _P.c.id == _T.c.plan_id)),
    ),
}


def _plan_readable(scope: set[int], *, open_reads: bool):
    """SQL: the event is not about a row of a plan this (scoped) key may not read (policy.may_read_plan).

    A row deleted since (a target or plan without figures) has no plan left to hide: the
    organisation condition alone decides, as before.
    """
    outside = _P.c.organization_id.not_in(scope)
    hidden = and_(_P.c.state == PlanState.DRAFT.value, outside) if open_reads else outside
    visible: list[ColumnElement[bool]] = [col(AuditEvent.entity).not_in(list(_PLAN_BOUND))]
    for entity, (table, rows_of_plan) in _PLAN_BOUND.items():
        unreadable = rows_of_plan().where(table.c.id == AuditEvent.entity_id, hidden)
        visible.append(and_(col(AuditEvent.entity) == entity, ~exists(unreadable)))
    return or_(*visible)
