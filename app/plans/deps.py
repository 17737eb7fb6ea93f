"""Plan loaders: a plan the caller may read (`PlanDep`) or change (`EditablePlanDep`).

What the caller may not read is answered 404 with the very message a missing id gets
(policy.require_read_plan): a draft's existence and owner are not told.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from app.auth import policy
from app.auth.models import Role
from app.common.crud import check_not_archived, get_or_404
from app.common.types import MAX_ID
from app.deps import PrincipalDep, SessionDep, open_reads
from app.plans.models import Plan

PlanId = Annotated[int, Path(ge=1, le=MAX_ID, description="The plan's id.")]


def load_plan(request: Request, session: SessionDep, principal: PrincipalDep, plan_id: PlanId) -> Plan:
    policy.require_read(principal, open_reads=open_reads(request))
    plan = get_or_404(session, Plan, plan_id, "Plan")
    policy.require_read_plan(session, principal, plan, open_reads=open_reads(request), hidden=f"Plan {plan_id} does not exist.")
    return plan


def editable_plan(session: SessionDep, principal: PrincipalDep, plan: Annotated[Plan, Depends(load_plan)]) -> Plan:
    """A plan the caller may change: editor in scope of the plan's organisation; not archived."""
    policy.require(session, principal, Role.EDITOR, plan.organization_id)
    check_not_archived(plan)
    return plan


PlanDep = Annotated[Plan, Depends(load_plan)]
EditablePlanDep = Annotated[Plan, Depends(editable_plan)]
