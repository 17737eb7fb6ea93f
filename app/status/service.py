"""Loads rows, calls the pure engine, shapes the answer. No judging happens here.

Every function reads a plan's figures in one query and its targets in another,
whatever the number of targets (no query per target).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from app.assessments.models import Assessment, AssessmentPublic
from app.assessments.service import latest_assessments
from app.common.models import as_utc
from app.organizations.models import Organization
from app.plans.models import Plan
from app.plans.service import rules_of
from app.status import engine, pace
from app.status.models import (
    ForecastOut,
    GroupStatus,
    HistoryPoint,
    OrganizationStatus,
    OverdueOut,
    PathPoint,
    PlanStatus,
    PlanStatusByOrganization,
    RequiredOut,
    TargetHistory,
    TargetStatus,
)
from app.status.rollup import Summary, summarize, summarize_by
from app.submissions import versions
from app.submissions.models import Submission
from app.targets.models import Target
from app.targets.service import spec_of


_FIGURE_COLUMNS = tuple(
    getattr(Submission, name)
    for name in (
        "id", "target_id", "organization_id", "period_date", "value", "numerator", "denominator", "done",
        "is_estimate", "recorded_at", "kind", "supersedes_id", "root_id",
    )
)


def observation_of(row: Submission) -> engine.Observation:
    """The engine's view of a stored figure (times always timezone-aware)."""
    return engine.Observation(
        id=row.id,
        period_date=row.period_date,
        recorded_at=as_utc(row.recorded_at),
        organization_id=row.organization_id,
        value=row.value,
        numerator=row.numerator,
        denominator=row.denominator,
        done=row.done,
        is_estimate=row.is_estimate,
    )


def _figures(
    session: Session, target_ids: list[int], as_of: date, known_at: datetime | None
) -> dict[int, list[engine.Observation]]:
    """The figures in force as known at `known_at`, dated up to as_of, per target, in one query.

    Each chain of versions counts once, through its last version recorded by `known_at`
    (`versions.in_force`); retracted chains not at all. Whole chains are loaded: the
    originals dated up to as_of, and every row of a chain that has versions (a correction
    may move a figure's date across as_of). The engine applies known_at again (a no-op).
    """
    by_target: dict[int, list[engine.Observation]] = defaultdict(list)
    if target_ids:
        corrected = select(Submission.root_id).where(Submission.target_id.in_(target_ids), Submission.root_id.is_not(None))
        # Plain rows of the columns needed, not ORM objects: a plan may have a million figures,
        # and building an object per row (identity map, instrumentation) was most of the time.
        rows = session.exec(
            select(*_FIGURE_COLUMNS).where(
                Submission.target_id.in_(target_ids),
                (Submission.period_date <= as_of) | Submission.root_id.is_not(None) | Submission.id.in_(corrected),
            )
        ).all()
        for row in versions.in_force(rows, known_at):
            if row.period_date <= as_of:
                by_target[row.target_id].append(observation_of(row))
    return by_target


def _targets(session: Session, plan: Plan) -> list[Target]:
    """The plan's targets in order; archived targets are left out of its status."""
    stmt = select(Target).where(Target.plan_id == plan.id, Target.archived_at.is_(None))
    return list(session.exec(stmt.order_by(Target.position, Target.id)).all())


def _shape(target: Target, ev: engine.Evaluation, *, lang: str, known_at, assessment: Assessment | None) -> TargetStatus:
    return TargetStatus(
        target_id=target.id,
        code=target.code,
        title=target.title,
        unit=target.unit,
        category=target.category,
        as_of=ev.as_of,
        known_at=known_at,
        phase=ev.phase,
        status=ev.status,
        verdict_if_final=ev.verdict_if_final,
        measured=ev.measured,
        compared=ev.compared,
        done=ev.done,
        rests_on_estimate=ev.rests_on_estimate,
        submission_ids=list(ev.observation_ids),
        goal=ev.goal,
        expected=ev.expected,
        expected_share=ev.expected_share,
        pace=ev.pace,
        forecast=ForecastOut(method=ev.forecast.method, value=ev.forecast.value, verdict=ev.forecast_verdict)
        if ev.forecast
        else None,
        required=RequiredOut(total=ev.required_total, per_month=ev.required_per_month, months_remaining=round(ev.months_remaining, 2))
        if ev.required_total is not None
        else None,
        overdue=OverdueOut(due_date=ev.overdue_since, days=ev.overdue_days) if ev.overdue_since else None,
        assessment=AssessmentPublic.model_validate(assessment, from_attributes=True) if assessment else None,
        explanation=ev.explanation,
        lang=lang,
        message=ev.message_vi if lang == "vi" else ev.message_en,
        message_vi=ev.message_vi,
        message_en=ev.message_en,
    )


def _group(key: str, summary: Summary, lang: str) -> GroupStatus:
    return GroupStatus(
        key=key,
        total=summary.total,
        counts=summary.counts,
        headline=summary.headline_vi if lang == "vi" else summary.headline_en,
        headline_vi=summary.headline_vi,
        headline_en=summary.headline_en,
    )


def target_status(*, session: Session, target: Target, as_of: date, known_at: datetime | None, lang: str) -> TargetStatus:
    """Gets one target's status on a date, with what was recorded by known_at."""
    plan = session.get(Plan, target.plan_id)
    figures = _figures(session, [target.id], as_of, known_at)[target.id]
    ev = engine.evaluate(spec_of(target, plan), figures, as_of=as_of, known_at=known_at, rules=rules_of(plan))
    assessment = latest_assessments(session, [target.id], known_at).get(target.id)
    return _shape(target, ev, lang=lang, known_at=known_at, assessment=assessment)


def plan_status(*, session: Session, plan: Plan, as_of: date, known_at: datetime | None, lang: str) -> PlanStatus:
    """Gets every target's status, the plan's counts and headline, and the same per category."""
    targets = _targets(session, plan)
    figures = _figures(session, [t.id for t in targets], as_of, known_at)
    rules = rules_of(plan)
    evaluations = [
        engine.evaluate(spec_of(t, plan), figures[t.id], as_of=as_of, known_at=known_at, rules=rules) for t in targets
    ]
    assessments = latest_assessments(session, [t.id for t in targets], known_at)
    phase = engine.phase_on(plan.end_date, as_of)
    summary = summarize(evaluations, as_of=as_of, phase=phase)
    by_category = summarize_by(((t.category, ev) for t, ev in zip(targets, evaluations)), as_of=as_of, phase=phase)
    return PlanStatus(
        plan_id=plan.id,
        code=plan.code,
        title=plan.title,
        as_of=as_of,
        known_at=known_at,
        phase=phase,
        total=summary.total,
        counts=summary.counts,
        lang=lang,
        headline=summary.headline_vi if lang == "vi" else summary.headline_en,
        headline_vi=summary.headline_vi,
        headline_en=summary.headline_en,
        by_category=[_group(key, s, lang) for key, s in by_category.items()],
        targets=[
            _shape(t, ev, lang=lang, known_at=known_at, assessment=assessments.get(t.id)) for t, ev in zip(targets, evaluations)
        ],
    )


def plan_status_by_organization(
    *, session: Session, plan: Plan, as_of: date, known_at: datetime | None, lang: str
) -> PlanStatusByOrganization:
    """Judges each reporting organisation's own figures, target by target (targets it reported on)."""
    targets = _targets(session, plan)
    figures = _figures(session, [t.id for t in targets], as_of, known_at)
    rules = rules_of(plan)
    phase = engine.phase_on(plan.end_date, as_of)
    per_org: dict[int, list[tuple[Target, engine.Evaluation]]] = defaultdict(list)
    for t in targets:
        by_org: dict[int, list[engine.Observation]] = defaultdict(list)
        for obs in figures[t.id]:
            by_org[obs.organization_id].append(obs)
        for org_id, obs in by_org.items():
            ev = engine.evaluate(spec_of(t, plan), obs, as_of=as_of, known_at=known_at, rules=rules)
            if ev.observation_ids:  # reported something that counts by as_of / known_at
                per_org[org_id].append((t, ev))
    orgs = {o.id: o for o in session.exec(select(Organization).where(Organization.id.in_(list(per_org)))).all()}
    out = []
    for org_id in sorted(per_org, key=lambda i: orgs[i].code):
        pairs = per_org[org_id]
        summary = summarize((ev for _, ev in pairs), as_of=as_of, phase=phase)
        out.append(
            OrganizationStatus(
                organization_id=org_id,
                code=orgs[org_id].code,
                name=orgs[org_id].name,
                summary=_group(orgs[org_id].code, summary, lang),
                targets=[_shape(t, ev, lang=lang, known_at=known_at, assessment=None) for t, ev in pairs],
            )
        )
    return PlanStatusByOrganization(plan_id=plan.id, as_of=as_of, known_at=known_at, phase=phase, organizations=out)


def target_history(*, session: Session, target: Target, as_of: date, known_at: datetime | None) -> TargetHistory:
    """The status at each figure's date, and the expected path month by month."""
    plan = session.get(Plan, target.plan_id)
    spec = spec_of(target, plan)
    figures = _figures(session, [target.id], as_of, known_at)[target.id]
    evaluations = engine.history(spec, figures, as_of=as_of, known_at=known_at, rules=rules_of(plan))
    goal = engine.goal_of(spec)
    path: list[PathPoint] = []
    if goal is not None:
        for day in _month_ends(spec.period_start, spec.period_end):
            share = pace.expected_share(spec.period_start, spec.period_end, day, spec.checkpoints)
            path.append(PathPoint(date=day, expected=pace.expected_at(goal=goal, share=share, is_flow=spec.is_flow, baseline=spec.baseline_value)))
    points = [
        HistoryPoint(
            date=ev.as_of,
            measured=ev.measured,
            status=ev.status,
            expected=ev.expected,
            pace=ev.pace,
            submission_ids=list(ev.observation_ids),
        )
        for ev in evaluations
    ]
    return TargetHistory(
        target_id=target.id, unit=target.unit, goal=goal, as_of=as_of, known_at=known_at, points=points, expected_path=path
    )


def _month_ends(start: date, end: date) -> list[date]:
    """Every month end within the period, and the period end."""
    days, current = [], start
    while current <= end:
        nxt = (current.replace(day=1) + timedelta(days=32)).replace(day=1)
        days.append(min(nxt - timedelta(days=1), end))
        current = nxt
    return days
