"""Target loaders: a target the caller may read (`TargetDep`), change (`EditableTargetDep`) or
report on (`reportable`, called by POST a figure); each answers 404 for what may not be read, as for a missing id."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, NamedTuple, cast

from fastapi import Depends, Path, Request
from sqlalchemy import Boolean, bindparam, case
from sqlalchemy import select as select_core
from sqlmodel import Session, col, select

from app.auth import policy
from app.auth.models import Role
from app.auth.service import Principal
from app.common.crud import check_not_archived
from app.common.models import next_id, table_of
from app.common.prepared import Prepared
from app.common.types import MAX_ID
from app.deps import PrincipalDep, SessionDep, open_reads
from app.errors import NotFound
from app.events import outbox
from app.organizations.service import ANCESTORS_COLUMN, above_of
from app.plans.models import Plan
from app.targets.models import Target

TargetId = Annotated[int, Path(ge=1, le=MAX_ID, description="The target's id.")]

# Built once (bind parameter): building the statement cost as much as running it.
_TARGET_AND_PLAN = (
    select(Target, Plan).join(Plan, col(Plan.id) == col(Target.plan_id)).where(col(Target.id) == bindparam("target_id"))
)


def readable_target(request: Request, session: Session, principal: Principal | None, target_id: int) -> tuple[Target, Plan]:
    """The target and its plan in one query, if the caller may read them (else 404, as for a missing id).

    `load_target` and `editable_target` use it as dependencies; POST a figure calls it (through
    `reportable`) inside its one thread-pool hand-off. A target's status reads its own Core row instead.
    """
    policy.require_read(principal, open_reads=open_reads(request))
    row = session.exec(_TARGET_AND_PLAN, params={"target_id": target_id}).first()
    missing = f"Target {target_id} does not exist."
    if row is None:
        raise NotFound(missing)
    target, plan = row
    policy.require_read_plan(session, principal, plan, open_reads=open_reads(request), hidden=missing)
    return target, plan


def load_target(request: Request, session: SessionDep, principal: PrincipalDep, target_id: TargetId) -> Target:
    return readable_target(request, session, principal, target_id)[0]


# The editable and reportable loaders load the target themselves rather than depend on
# load_target: one dependency is one thread-pool hand-off.


def editable_target(request: Request, session: SessionDep, principal: PrincipalDep, target_id: TargetId) -> Target:
    """A target the caller may change: editor in scope of its plan's organisation; neither archived."""
    target, plan = readable_target(request, session, principal, target_id)
    policy.require(session, principal, Role.EDITOR, plan.organization_id)
    check_not_archived(plan, target)
    return target


# The columns of the target and its plan that the checks and the write of a figure read (the API suite
# reads nothing else of them on this path): each column of a row costs the driver work per request.
_TARGET_COLUMNS = [
    table_of(Target).c[name]
    for name in ("id", "plan_id", "comparison", "aggregation", "across_units", "is_percentage", "may_exceed_whole", "archived_at")
]
_PLAN_COLUMNS = [
    table_of(Plan).c[name]
    for name in ("id", "code", "state", "organization_id", "start_date", "end_date", "approval_required", "archived_at")
]
_TARGET_AND_PLAN_ROW = Prepared(
    # and the figure's organisation and those above it (its scope check, the plan's tree), in the same round trip
    select_core(
        *_TARGET_COLUMNS,
        *_PLAN_COLUMNS,
        ANCESTORS_COLUMN.label("above"),
        # what the write needs next, in the same round trip (issue 17): whether any webhook subscription is
        # active (none: no read of them at the write), and on PostgreSQL the new figure's id, so that the
        # figure and its audit event go in with one statement (app.audit.bulk; NULL on SQLite)
        outbox.ANY_ACTIVE.label("any_subscription"),
        # taken only for a key that may report (a viewer's refused POST takes none); one a reporter's refused
        # figure took is skipped, as a failed INSERT's is
        case((bindparam("takes_id", type_=Boolean()), next_id("submission"))).label("figure_id"),
    )
    .join_from(table_of(Target), table_of(Plan), _PLAN_COLUMNS[0].table.c.id == _TARGET_COLUMNS[0].table.c.plan_id)
    .where(_TARGET_COLUMNS[0].table.c.id == bindparam("target_id"))
    # PostgreSQL: the target's row lock of the figure's rules (rules.check_against_stored), taken here with
    # the read instead of in a round trip of its own; the rules' query, a later statement, sees whatever a
    # writer that held the lock before committed. SQLite renders no FOR clause: the rules lock there.
    .with_for_update(of=_TARGET_COLUMNS[0].table, key_share=True)
)
_TARGET_KEYS = [c.key for c in _TARGET_COLUMNS]
_PLAN_KEYS = [c.key for c in _PLAN_COLUMNS]
# What `reportable` hands on: the rows' values under the entities' attribute names and class names (a
# 409 names "Target 5" or "Plan 2"), read, never written: no ORM entity to build (issue 17).
_TargetRead = type("Target", (SimpleNamespace,), {"__doc__": "A target's row as read for one request."})
_PlanRead = type("Plan", (SimpleNamespace,), {"__doc__": "A plan's row as read for one request."})


def locks_target(session: Session) -> bool:
    """Whether `reportable` took the target's row lock for the figure's rules: on PostgreSQL (FOR NO KEY
    UPDATE); SQLite renders no FOR clause (the rules take its write lock)."""
    return session.get_bind().dialect.name == "postgresql"


class Reporting(NamedTuple):
    """What `reportable` read for POST a figure."""

    target: Target
    plan: Plan
    above: set[int] | None  # the figure's organisation and those above it; None for a figure naming a code
    figure_id: int | None  # PostgreSQL: the new figure's id, from the table's sequence (None on SQLite)


def reportable(
    request: Request, session: Session, principal: Principal | None, target_id: int, organization_id: int | None
) -> Reporting:
    """A target the caller may report on, with its plan: reporter or higher (the reporting organisation is
    checked per figure); neither archived. Not a dependency: POST a figure, the busiest write, calls it in its
    one thread-pool hand-off and keeps the plan. Both as read, not as ORM entities (building two entities
    was a fifth of the write's CPU): what the checks and the write read, with the entities' names.

    With the figure's `organization_id`, also that organisation and those above it (`ancestors`; empty when
    it does not exist), read in the same statement; None without one (a figure naming its organisation's code).
    The same statement tells whether any webhook subscription is active (noted for the write's events:
    `outbox.note_any_active`: a subscription committed before this read gets the figure's event; one
    committed later, even while this read waits for the target's lock, may not) and, on PostgreSQL, for a
    key that may report, takes the new figure's id from the sequence (an id a refused figure does not use is
    skipped, as a rolled-back INSERT's would be)."""
    policy.require_read(principal, open_reads=open_reads(request))
    params = {
        "target_id": target_id,
        "organization_id": organization_id or 0,
        "takes_id": principal is not None and principal.has_role(Role.REPORTER),
    }
    row = _TARGET_AND_PLAN_ROW.first(session.connection(), params)
    missing = f"Target {target_id} does not exist."
    if row is None:
        raise NotFound(missing)
    target = cast(Target, _TargetRead(**dict(zip(_TARGET_KEYS, row, strict=False))))  # the row's first columns
    plan = cast(Plan, _PlanRead(**dict(zip(_PLAN_KEYS, row[len(_TARGET_KEYS) :], strict=False))))
    policy.require_read_plan(session, principal, plan, open_reads=open_reads(request), hidden=missing)
    policy.require(session, principal, Role.REPORTER)
    check_not_archived(plan, target)
    outbox.note_any_active(session, bool(row.any_subscription))
    return Reporting(target, plan, above_of(row.above) if organization_id is not None else None, row.figure_id)


TargetDep = Annotated[Target, Depends(load_target)]
EditableTargetDep = Annotated[Target, Depends(editable_target)]
