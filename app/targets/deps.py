"""Target loaders: a target the caller may read (`TargetDep`), change (`EditableTargetDep`) or
report on (`reportable`, called by POST a figure); each answers 404 for what may not be read, as for a missing id."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any, NamedTuple, cast

from fastapi import Depends, Path, Request
from sqlalchemy import Boolean, bindparam, case, false, or_
from sqlalchemy import select as select_core
from sqlmodel import Session, col, select

from app.auth import policy
from app.auth.models import Role
from app.auth.service import Principal
from app.common.crud import check_not_archived
from app.common.models import next_id, table_of
from app.common.prepared import Prepared
from app.common.types import MAX_ID
from app.deps import (
    KEY_IS_LIVE,
    KEY_TABLE,
    PrincipalDep,
    SessionDep,
    bearer_secret,
    identified,
    key_params,
    key_statement,
    open_reads,
)
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
_TARGET_NAMES = ("id", "plan_id", "comparison", "aggregation", "across_units", "is_percentage", "may_exceed_whole", "archived_at")
_PLAN_NAMES = ("id", "code", "state", "organization_id", "start_date", "end_date", "approval_required", "archived_at")
_T, _P = table_of(Target), table_of(Plan)
# Labelled apart from each other and from the key's columns they are read with (`target_id`, `plan_code`, ...)
_TARGET_LABELS = [f"target_{name}" for name in _TARGET_NAMES]
_PLAN_LABELS = [f"plan_{name}" for name in _PLAN_NAMES]
# Roles that may report, as SQL on the key's row (each role may do what the ones before it may)
_MAY_REPORT = or_(*(KEY_TABLE.c.role == role.value for role in Role if role.rank >= Role.REPORTER.rank))


def _reporting(takes_id: Any, *, where: Any = None) -> Any:
    """The read of POST a figure's target (bind parameters `target_id`, `organization_id`): its columns and its
    plan's; the figure's organisation and those above it (its scope check, the plan's tree); and what the write
    needs next, in the same round trip (issue 17): whether any webhook subscription is active (none: no read of
    them at the write), and on PostgreSQL, when `takes_id` holds, the new figure's id, so that the figure and
    its audit event go in with one statement (app.audit.bulk; NULL on SQLite).

    PostgreSQL: the target's row lock of the figure's rules (rules.check_against_stored) is taken with the
    read (FOR NO KEY UPDATE) instead of in a round trip of its own; the rules' read, in a later statement (the
    figure's), sees whatever a writer that held the lock before committed. SQLite renders no FOR clause: the
    rules lock there."""
    condition = _T.c.id == bindparam("target_id")
    return (
        select_core(
            *(_T.c[name].label(label) for name, label in zip(_TARGET_NAMES, _TARGET_LABELS, strict=True)),
            *(_P.c[name].label(label) for name, label in zip(_PLAN_NAMES, _PLAN_LABELS, strict=True)),
            ANCESTORS_COLUMN.label("above"),
            outbox.ANY_ACTIVE.label("any_subscription"),
            # an id a reporter's refused figure took is skipped, as a failed INSERT's is
            case((takes_id, next_id("submission"))).label("figure_id"),
        )
        .join_from(_T, _P, _P.c.id == _T.c.plan_id)
        .where(condition if where is None else condition & where)
        .with_for_update(of=_T, key_share=True)
    )


# The target alone, `takes_id` given (a key that may report): read again after the key's use was noted
# (that commit ended the transaction and its lock: `identified`), or without a key.
_TARGET_AND_PLAN_ROW = Prepared(_reporting(bindparam("takes_id", type_=Boolean())))
# The key (and its Idempotency-Key's record) with the target, in one round trip (issue 17): the target is read,
# locked and given an id only for a live key (401 comes first, and a key that may not report takes no id).
# PostgreSQL: a LATERAL subquery (FOR NO KEY UPDATE may not lock the nullable side of an outer join); SQLite,
# which has no LATERAL and no row lock: the target and its plan outer-joined to the key's row.
_LATERAL = _reporting(_MAY_REPORT, where=KEY_IS_LIVE).lateral("reporting")
_JOINED = _reporting(false()).subquery("reporting")  # SQLite takes no id ahead: its figure_id is NULL anyway


def _with_key(with_record: bool) -> dict[str, Prepared]:
    return {
        "postgresql": Prepared(key_statement(with_record=with_record, also=_LATERAL, columns=list(_LATERAL.c))),
        "sqlite": Prepared(key_statement(with_record=with_record, also=_JOINED, onclause=KEY_IS_LIVE, columns=list(_JOINED.c))),
    }


_KEY_WITH_TARGET = {False: _with_key(False), True: _with_key(True)}
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

    principal: Principal | None
    target: Target
    plan: Plan
    above: set[int] | None  # the figure's organisation and those above it; None for a figure naming a code
    figure_id: int | None  # PostgreSQL: the new figure's id, from the table's sequence (None on SQLite)


def reportable(request: Request, session: Session, target_id: int, organization_id: int | None) -> Reporting:
    """The caller (`identify`'s answers: 401, an Idempotency-Key's earlier answer) and a target it may report
    on, with its plan: reporter or higher (the reporting organisation is checked per figure); neither
    archived (else 404 for what it may not read, as for a missing id, 403, 409). Not a dependency: POST a
    figure, the busiest write, calls it in its one thread-pool hand-off. The key, its Idempotency-Key's record
    and the target are one statement (`_KEY_WITH_TARGET`); the target and plan are handed on as read, not as
    ORM entities (building two entities was a fifth of the write's CPU).

    With the figure's `organization_id`, also that organisation and those above it (`ancestors`; empty when
    it does not exist), read in the same statement; None without one (a figure naming its organisation's code).
    The same statement tells whether any webhook subscription is active (noted for the write's events:
    `outbox.note_any_active`: a subscription committed before this read gets the figure's event; one
    committed later, even while this read waits for the target's lock, may not) and, on PostgreSQL, for a
    key that may report, takes the new figure's id from the sequence (an id a refused figure does not use is
    skipped, as a rolled-back INSERT's would be)."""
    connection = session.connection()
    params: dict[str, Any] = {"target_id": target_id, "organization_id": organization_id or 0}
    secret = bearer_secret(request)
    principal: Principal | None = None
    row: Any = None
    if secret is not None:
        with_record = session.info.get("idempotency") is not None
        statement = _KEY_WITH_TARGET[with_record][connection.dialect.name]
        keyed = key_params(session, secret)
        row = statement.first(connection, {**params, **keyed})
        principal, noted = identified(request, session, row, keyed["now"])  # 401, or an earlier answer, before anything else
        if noted:  # that commit ended the transaction, and the target's lock with it: read (and lock) again
            row, connection = None, session.connection()
    policy.require_read(principal, open_reads=open_reads(request))
    if row is None:  # without a key (app.deps.api_gate lets no write through so), or after the key's use was noted
        takes_id = principal is not None and principal.has_role(Role.REPORTER)
        row = _TARGET_AND_PLAN_ROW.first(connection, {**params, "takes_id": takes_id})
    missing = f"Target {target_id} does not exist."
    if row is None or row.target_id is None:
        raise NotFound(missing)
    target = cast(
        Target, _TargetRead(**{name: getattr(row, label) for name, label in zip(_TARGET_NAMES, _TARGET_LABELS, strict=True)})
    )
    plan = cast(Plan, _PlanRead(**{name: getattr(row, label) for name, label in zip(_PLAN_NAMES, _PLAN_LABELS, strict=True)}))
    policy.require_read_plan(session, principal, plan, open_reads=open_reads(request), hidden=missing)
    policy.require(session, principal, Role.REPORTER)
    check_not_archived(plan, target)
    outbox.note_any_active(session, bool(row.any_subscription))
    return Reporting(principal, target, plan, above_of(row.above) if organization_id is not None else None, row.figure_id)


TargetDep = Annotated[Target, Depends(load_target)]
EditableTargetDep = Annotated[Target, Depends(editable_target)]
