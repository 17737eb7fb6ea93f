"""Loads rows, calls the pure engine, shapes the answer. No judging happens here."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import Session, select

from app.plans.models import Plan
from app.status import engine
from app.status.models import PlanStatus, TargetStatus
from app.submissions.models import Submission
from app.targets.models import Target
from app.targets.service import spec_of


def observation_of(row: Submission) -> engine.Observation:
    """The engine's view of a stored figure."""
    return engine.Observation(
        id=row.id,
        period_date=row.period_date,
        recorded_at=row.recorded_at,
        organization_id=row.organization_id,
        value=row.value,
        numerator=row.numerator,
        denominator=row.denominator,
        done=row.done,
        is_estimate=row.is_estimate,
    )


def _shape(target: Target, ev: engine.Evaluation) -> TargetStatus:
    return TargetStatus(
        target_id=target.id,
        code=target.code,
        title=target.title,
        unit=target.unit,
        category=target.category,
        as_of=ev.as_of,
        phase=ev.phase,
        status=ev.status,
        measured=ev.measured,
        compared=ev.compared,
        done=ev.done,
        rests_on_estimate=ev.rests_on_estimate,
        submission_ids=list(ev.observation_ids),
        explanation=ev.explanation,
        message_vi=ev.message_vi,
        message_en=ev.message_en,
    )


def target_status(*, session: Session, target: Target, as_of: date) -> TargetStatus:
    """Gets one target's status on a date."""
    when = as_of
    plan = session.get(Plan, target.plan_id)
    rows = session.exec(
        select(Submission).where(Submission.target_id == target.id, Submission.period_date <= when)
    ).all()
    ev = engine.evaluate(spec_of(target, plan), [observation_of(r) for r in rows], as_of=when)
    return _shape(target, ev)


def plan_status(*, session: Session, plan: Plan, as_of: date) -> PlanStatus:
    """Gets every target's status and the plan's counts and headline; two queries in all."""
    when = as_of
    targets = session.exec(select(Target).where(Target.plan_id == plan.id).order_by(Target.position, Target.id)).all()
    by_target: dict[int, list[engine.Observation]] = defaultdict(list)
    rows = session.exec(
        select(Submission)
        .join(Target, Target.id == Submission.target_id)
        .where(Target.plan_id == plan.id, Submission.period_date <= when)
    ).all()
    for row in rows:
        by_target[row.target_id].append(observation_of(row))
    evaluations = [engine.evaluate(spec_of(t, plan), by_target[t.id], as_of=when) for t in targets]
    phase = engine.phase_on(plan.end_date, when)
    summary = engine.summarize(evaluations, as_of=when, phase=phase)
    return PlanStatus(
        plan_id=plan.id,
        code=plan.code,
        title=plan.title,
        as_of=when,
        phase=phase,
        total=summary.total,
        counts=summary.counts,
        headline_vi=summary.headline_vi,
        headline_en=summary.headline_en,
        targets=[_shape(t, ev) for t, ev in zip(targets, evaluations)],
    )
