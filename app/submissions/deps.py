"""The figure loader: a submission the caller may read (its target's plan readable), else 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from app.auth import policy
from app.common.crud import get_or_404
from app.common.types import MAX_ID
from app.deps import PrincipalDep, SessionDep, open_reads
from app.plans.models import Plan
from app.submissions.models import Submission
from app.targets.models import Target

SubmissionId = Annotated[int, Path(ge=1, le=MAX_ID, description="The submission's id.")]


def load_submission(request: Request, session: SessionDep, principal: PrincipalDep, submission_id: SubmissionId) -> Submission:
    policy.require_read(principal, open_reads=open_reads(request))
    submission = get_or_404(session, Submission, submission_id, "Submission")
    target = session.get(Target, submission.target_id)
    assert target is not None, "a figure's target is kept (foreign key)"
    plan = session.get(Plan, target.plan_id)
    assert plan is not None, "a target's plan is kept (foreign key)"
    policy.require_read_plan(
        session, principal, plan, open_reads=open_reads(request), hidden=f"Submission {submission_id} does not exist."
    )
    return submission


SubmissionDep = Annotated[Submission, Depends(load_submission)]
