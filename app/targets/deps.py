"""Target loaders: a target the caller may read (`TargetDep`), change (`EditableTargetDep`) or
report on (`reportable`, called by POST a figure); each answers 404 for what may not be read, as for a missing id."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from app.auth import policy
from app.auth.models import Role
from app.auth.service import Principal
from app.common.crud import check_not_archived
from app.common.types import MAX_ID
from app.deps import PrincipalDep, SessionDep, open_reads
from app.errors import NotFound
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


def reportable(request: Request, session: Session, principal: Principal | None, target_id: int) -> tuple[Target, Plan]:
    """A target the caller may report on, with its plan: reporter or higher (the reporting organisation is
    checked per figure); neither archived. Not a dependency: POST a figure, the busiest write, calls it in its
    one thread-pool hand-off and keeps the plan (the write reads it again by id: held, it costs no query)."""
    target, plan = readable_target(request, session, principal, target_id)
    policy.require(session, principal, Role.REPORTER)
    check_not_archived(plan, target)
    return target, plan


TargetDep = Annotated[Target, Depends(load_target)]
EditableTargetDep = Annotated[Target, Depends(editable_target)]
