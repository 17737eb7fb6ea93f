"""Submission use cases. Figures are only inserted, never changed in place."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from app.common.crud import commit_or_conflict, paginate
from app.errors import InvalidInput
from app.organizations.models import Organization
from app.organizations.service import is_within
from app.plans.models import Plan
from app.status.engine import Comparison
from app.submissions.models import Submission, SubmissionCreate
from app.targets.models import Target


def list_submissions(
    *,
    session: Session,
    target: Target,
    from_date: date | None,
    to_date: date | None,
    organization_id: int | None,
    limit: int,
    offset: int,
):
    """Lists a target's figures by date, optionally within dates or from one organisation."""
    stmt = select(Submission).where(Submission.target_id == target.id).order_by(Submission.period_date, Submission.id)
    if from_date is not None:
        stmt = stmt.where(Submission.period_date >= from_date)
    if to_date is not None:
        stmt = stmt.where(Submission.period_date <= to_date)
    if organization_id is not None:
        stmt = stmt.where(Submission.organization_id == organization_id)
    return paginate(session, stmt, limit=limit, offset=offset)


def _check(session: Session, target: Target, plan: Plan, body: SubmissionCreate) -> None:
    problems: dict[str, str] = {}
    if not plan.start_date <= body.period_date <= plan.end_date:
        problems["period_date"] = (
            f"must lie within the plan's period, {plan.start_date.isoformat()} to {plan.end_date.isoformat()}"
        )
    if session.get(Organization, body.organization_id) is None:
        problems["organization_id"] = f"organisation {body.organization_id} does not exist"
    elif not is_within(session, body.organization_id, plan.organization_id):
        problems["organization_id"] = "the reporting organisation must be the plan's organisation or one under it"
    is_milestone = target.comparison == Comparison.MILESTONE
    if is_milestone and body.done is None:
        problems["done"] = "this target is a milestone: report done (true or false)"
    if not is_milestone and body.done is not None:
        problems["done"] = "this target is numeric: report a value, or a numerator and denominator"
    if problems:
        raise InvalidInput.from_fields("The figure cannot be accepted for this target.", problems)


def create_submission(*, session: Session, target: Target, submission_in: SubmissionCreate) -> Submission:
    """Records a figure for a target; the server sets the recorded time."""
    plan = session.get(Plan, target.plan_id)
    _check(session, target, plan, submission_in)
    submission = Submission.model_validate({**submission_in.model_dump(), "target_id": target.id})
    session.add(submission)
    commit_or_conflict(session, "The figure could not be stored.")
    session.refresh(submission)
    return submission
