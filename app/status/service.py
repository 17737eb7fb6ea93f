"""Loads rows, calls the pure engine, shapes the answer. No judging happens here.

Reads are Core statements built once at import (bind parameters, no ORM objects per figure):
building a select() per call and an ORM entity per row cost more than the database did
(docs/PERFORMANCE.md sections 2 and 3). Figures stream ordered by target, and each target is
evaluated as its rows arrive, so memory holds one target's figures, not the plan's.

The plan's status keeps each target's evaluation in `target_evaluation` (app/status/cache.py):
a read recomputes only the targets whose fingerprint changed. `known_at` reads are not cached.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import chain, groupby
from operator import itemgetter

from sqlalchemy import bindparam, func, or_, select
from sqlmodel import Session

from app.assessments.models import Assessment, AssessmentPublic
from app.common.models import as_utc
from app.organizations.models import Organization
from app.plans.models import Plan
from app.plans.service import rules_of
from app.status import cache, engine, pace
from app.status.units import expected_for, load_tree
from app.status.models import (
    GroupStatus,
    HistoryPoint,
    OrganizationStatus,
    PathPoint,
    PlanStatus,
    PlanStatusByOrganization,
    TargetHistory,
    TargetHead,
    TargetJudged,
    TargetStatus,
)
from app.status.rollup import Summary, summarize, summarize_by
from app.submissions import versions
from app.submissions.models import Submission
from app.targets.models import Target
from app.targets.service import spec_of

# The plan views list at most this many figure ids per target (the latest-dated ones), with
# `submission_count`: a sum or mean target over a year of daily figures would otherwise list
# thousands. A target's own status lists them all.
PLAN_VIEW_IDS = 20

_HEAD_JSON = TargetHead.__pydantic_serializer__.to_json
_JUDGED_JSON = TargetJudged.__pydantic_serializer__.to_json
_PLAN_JSON = PlanStatus.__pydantic_serializer__.to_json

_S = Submission.__table__
_T = Target.__table__
_A = Assessment.__table__

# Column order matters: _observation reads them by position.
_FIGURE_COLUMNS = (
    _S.c.id, _S.c.target_id, _S.c.organization_id, _S.c.period_date, _S.c.value, _S.c.numerator, _S.c.denominator,
    _S.c.done, _S.c.is_estimate, _S.c.recorded_at, _S.c.kind, _S.c.supersedes_id, _S.c.root_id, _S.c.period_start,
)


def _figures_statement(of_targets):
    """The figures that may count by :as_of, ordered by target.

    Whole chains of versions are loaded: originals dated up to as_of, and every row of a chain
    that has versions (a correction may move a figure's date across as_of).
    """
    corrected = select(_S.c.root_id).where(of_targets, _S.c.root_id.is_not(None))
    return (
        select(*_FIGURE_COLUMNS)
        .where(of_targets, or_(_S.c.period_date <= bindparam("as_of"), _S.c.root_id.is_not(None), _S.c.id.in_(corrected)))
        .order_by(_S.c.target_id, _S.c.id)
    )


_FIGURES_OF_TARGET = _figures_statement(_S.c.target_id == bindparam("target_id"))
_FIGURES_OF_TARGETS = _figures_statement(_S.c.target_id.in_(bindparam("target_ids", expanding=True)))

# The target columns the engine and the answer read (spec_of takes these rows as it takes a Target),
# and the largest submission id (one index probe per target) and, on PostgreSQL, the figures'
# version: the cache's fingerprint (app/status/cache.py).
_SPEC_COLUMNS = (
    _T.c.id, _T.c.code, _T.c.title, _T.c.title_en, _T.c.category, _T.c.unit, _T.c.comparison, _T.c.value, _T.c.low,
    _T.c.high, _T.c.tolerance, _T.c.direction, _T.c.baseline_value, _T.c.change_basis, _T.c.aggregation,
    _T.c.checkpoints, _T.c.frequency, _T.c.across_units, _T.c.is_percentage, _T.c.may_exceed_whole, _T.c.reporting_unit_ids,
)
_MAX_SUBMISSION_ID = select(func.max(_S.c.id)).where(_S.c.target_id == _T.c.id).correlate(_T).scalar_subquery()
_FIGURES_VERSION = (
    select(cache.TargetFigures.__table__.c.version)
    .where(cache.TargetFigures.__table__.c.target_id == _T.c.id)
    .correlate(_T)
    .scalar_subquery()
)
_PLAN_TARGETS = (
    select(*_SPEC_COLUMNS, _MAX_SUBMISSION_ID.label("max_submission_id"), _FIGURES_VERSION.label("figures_version"))
    .where(_T.c.plan_id == bindparam("plan_id"), _T.c.archived_at.is_(None))  # archived targets leave the status
    .order_by(_T.c.position, _T.c.id)
)

_ASSESSMENTS_OF_TARGET = select(_A).where(_A.c.target_id == bindparam("target_id")).order_by(_A.c.recorded_at, _A.c.id)
_ASSESSMENTS_OF_PLAN = (
    select(_A).join(_T, _T.c.id == _A.c.target_id).where(_T.c.plan_id == bindparam("plan_id")).order_by(_A.c.recorded_at, _A.c.id)
)


def _observation(row) -> engine.Observation:
    """The engine's view of a stored figure (a row of _FIGURE_COLUMNS)."""
    recorded = row[9]
    # SQLite hands back naive datetimes, all UTC; PostgreSQL aware ones (compared as instants).
    return engine.Observation(
        row[3], recorded if recorded.tzinfo else recorded.replace(tzinfo=UTC), row[2], row[4], row[5], row[6], row[7], row[8], row[0],
        row[13],
    )


def _in_force(rows: list, as_of: date, known_at: datetime | None) -> list[engine.Observation]:
    """One target's figures in force as known at `known_at`, dated up to as_of.

    Each chain of versions counts once, through its last version recorded by `known_at`
    (`versions.in_force`); retracted chains not at all. Without versions and known_at every
    row is an original in force, so the walk is skipped. The engine applies known_at again (a no-op).
    """
    if known_at is not None or any(row[11] is not None for row in rows):
        rows = versions.in_force(rows, known_at)
    return [_observation(row) for row in rows if row[3] <= as_of]


def _replaced(rows: list, kept: list[engine.Observation], as_of: date, known_at: datetime | None) -> list[tuple[engine.Observation, str]]:
    """The versions that do not count because a later version replaced them, with why (a target's own status lists them)."""
    if not any(row[11] is not None for row in rows):
        return []  # no corrections or retractions: every row is an original in force
    kept_ids = {o.id for o in kept}
    by_root: dict[int, list] = defaultdict(list)
    for row in rows:
        by_root[row[12] or row[0]].append(row)
    out = []
    for chain in by_root.values():
        known = [r for r in chain if known_at is None or _observation(r).recorded_at <= known_at]
        if not known:
            continue
        last = max(known, key=itemgetter(0))
        for r in known:
            if r[0] in kept_ids or r[0] == last[0] or r[3] > as_of:
                continue  # counts; or is the chain's last version (a retraction row withdraws, it is not a figure)
            why = (f"retracted: by submission {last[0]}" if last[10] == versions.Kind.RETRACTION.value
                   else f"superseded: corrected by submission {last[0]}")
            out.append((_observation(r), why))
    return out


def _stream(session: Session, target_ids: list[int], as_of: date, known_at: datetime | None):
    """(target_id, its figures in force, the versions they replaced with why) for each of the targets
    that has figures, one target at a time."""
    if not target_ids:
        return
    result = session.execute(
        _FIGURES_OF_TARGETS, {"target_ids": target_ids, "as_of": as_of}, execution_options={"yield_per": 5000}
    )
    # Rows arrive in batches (a server-side cursor on PostgreSQL): memory holds a batch and one target.
    for target_id, rows in groupby(chain.from_iterable(result.partitions()), key=itemgetter(1)):
        rows = list(rows)
        figures = _in_force(rows, as_of, known_at)
        yield target_id, figures, _replaced(rows, figures, as_of, known_at)


def _latest_assessments(session: Session, statement, params: dict, known_at: datetime | None) -> dict[int, AssessmentPublic]:
    """The latest assessment per target, among those recorded by `known_at`.

    The time filter runs here, on timezone-aware values, not in SQL: SQLite keeps datetimes
    as text without an offset, so comparing there would mix clocks.
    """
    latest = {}
    for row in session.execute(statement, params):
        if known_at is None or as_utc(row.recorded_at) <= known_at:
            latest[row.target_id] = row
    return {tid: AssessmentPublic.model_validate(row, from_attributes=True) for tid, row in latest.items()}


def _judged(ev: engine.Evaluation, max_ids: int | None = None) -> dict:
    """TargetJudged's fields for one evaluation: everything of TargetStatus but its head."""
    ids = list(ev.observation_ids)
    return {
        "phase": ev.phase.value,
        "status": ev.status.value,
        "verdict_if_final": ev.verdict_if_final.value,
        "measured": ev.measured,
        "compared": ev.compared,
        "done": ev.done,
        "rests_on_estimate": ev.rests_on_estimate,
        "submission_ids": ids if max_ids is None else ids[-max_ids:],
        "submission_count": len(ids),
        "goal": ev.goal,
        "expected": ev.expected,
        "expected_share": ev.expected_share,
        "pace": ev.pace,
        "forecast": {"method": ev.forecast.method, "value": ev.forecast.value, "verdict": ev.forecast_verdict.value}
        if ev.forecast
        else None,
        "required": {"total": ev.required_total, "per_month": ev.required_per_month, "months_remaining": round(ev.months_remaining, 2)}
        if ev.required_total is not None
        else None,
        "overdue": {"due_date": ev.overdue_since.isoformat(), "days": ev.overdue_days} if ev.overdue_since else None,
        "explanation": ev.explanation if max_ids is None else _trimmed(ev.explanation, max_ids),
        "provisional": ev.provisional,
        "coverage": _coverage(ev),
        "message_vi": ev.message_vi,
        "message_en": ev.message_en,
    }


def _trimmed(explanation: dict, max_items: int) -> dict:
    """The plan views' explanation: the figures that do not count are counted by kind of reason
    (`not_counted_by_reason`, e.g. {"an earlier level": 980}) and the units by whether they count
    (`units_counted`, `units_not_counted`); the target's own status lists each figure and unit.
    A plan of 1,000 targets over a million figures from 20 units would otherwise answer 9 MB."""
    not_counted = explanation.get("not_counted") or []
    by_reason: dict[str, int] = {}
    for item in not_counted:
        kind = item["reason"].split(":", 1)[0]
        by_reason[kind] = by_reason.get(kind, 0) + 1
    units = explanation.get("units") or []
    out = {k: v for k, v in explanation.items() if k not in ("not_counted", "units")}
    out["not_counted_by_reason"] = by_reason
    out["units_counted"] = sum(1 for u in units if u["counted"])
    out["units_not_counted"] = len(units) - out["units_counted"]
    return out


def _coverage(ev: engine.Evaluation) -> dict | None:
    c = ev.coverage
    if c is None:
        return None
    missing = ev.explanation.get("coverage", {}).get("missing", [])
    return {"expected": c.expected, "reported": c.reported, "missing": missing}


def _shape(target, judged: dict, *, as_of: date, lang: str, known_at, assessment: AssessmentPublic | None) -> TargetStatus:
    """The answer for one target: its own fields (a Target or a _PLAN_TARGETS row) and what the engine decided."""
    return TargetStatus.model_validate(
        {
            "target_id": target.id,
            "code": target.code,
            "title": target.title,
            "unit": target.unit,
            "category": target.category,
            "as_of": as_of,
            "known_at": known_at,
            "assessment": assessment,
            "lang": lang,
            "message": judged["message_vi"] if lang == "vi" else judged["message_en"],
            **judged,
        }
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


def target_status(
    *, session: Session, target: Target, as_of: date, known_at: datetime | None, lang: str, plan: Plan | None = None
) -> TargetStatus:
    """Gets one target's status on a date, with what was recorded by known_at (never cached: one target is cheap).

    `plan`: the target's plan when the caller has it already (else it is read)."""
    plan = plan if plan is not None else session.get(Plan, target.plan_id)
    rows = session.execute(_FIGURES_OF_TARGET, {"target_id": target.id, "as_of": as_of}).all()
    tree = load_tree(session, plan.organization_id)
    figures = _in_force(rows, as_of, known_at)
    ev = engine.evaluate(
        spec_of(target, plan), figures, as_of=as_of, known_at=known_at, rules=rules_of(plan),
        units=tree.units(plan.organization_id, expected_for(plan, target)), excluded=_replaced(rows, figures, as_of, known_at),
    )
    assessment = _latest_assessments(session, _ASSESSMENTS_OF_TARGET, {"target_id": target.id}, known_at).get(target.id)
    return _shape(target, _judged(ev), as_of=as_of, lang=lang, known_at=known_at, assessment=assessment)


def _stored(ev: engine.Evaluation) -> cache.Stored:
    """A target's judged part for the plan views, as stored and as written out."""
    judged = TargetJudged.model_validate(_judged(ev, PLAN_VIEW_IDS))
    return cache.Stored(ev.status, ev.message_vi, ev.message_en, _JUDGED_JSON(judged), ev.provisional)


def _plan_judged(session: Session, plan: Plan, targets: list, as_of: date, known_at: datetime | None) -> dict[int, cache.Stored]:
    """target_id -> judged part, for the plan's targets: stored ones whose fingerprint still holds, the rest computed.

    The computed ones are stored (known_at None only) in their own transaction.
    """
    rules = rules_of(plan)
    tree = load_tree(session, plan.organization_id)
    units_key = f"{tree.key}:{plan.organization_id}:{plan.reporting_unit_ids}"
    judged: dict[int, cache.Stored] = {}
    prints: dict[int, str] = {}
    if known_at is None:
        stored = cache.read(session, plan, as_of)
        for t in targets:
            prints[t.id] = cache.fingerprint(t, plan, rules, t.max_submission_id, t.figures_version, units_key)
            got = stored.get(t.id)
            if got is not None and got[0] == prints[t.id]:
                judged[t.id] = got[1]
    stale = {t.id: t for t in targets if t.id not in judged}
    if not stale:
        return judged
    specs = {tid: spec_of(t, plan) for tid, t in stale.items()}
    units = {tid: tree.units(plan.organization_id, expected_for(plan, t)) for tid, t in stale.items()}
    computed: dict[int, cache.Stored] = {}
    for target_id, figures, replaced in _stream(session, list(stale), as_of, known_at):
        computed[target_id] = _stored(
            engine.evaluate(specs[target_id], figures, as_of=as_of, known_at=known_at, rules=rules, units=units[target_id],
                            excluded=replaced)
        )
    for target_id in stale.keys() - computed.keys():  # no figure at all
        computed[target_id] = _stored(
            engine.evaluate(specs[target_id], [], as_of=as_of, known_at=known_at, rules=rules, units=units[target_id])
        )
    if known_at is None:
        cache.write(session.get_bind(), as_of, [(tid, prints[tid], st) for tid, st in computed.items()])
    judged.update(computed)
    return judged


def plan_status_json(*, session: Session, plan: Plan, as_of: date, known_at: datetime | None, lang: str) -> bytes:
    """The plan's status (PlanStatus) as JSON: every target, counts and headline, and the same per category.

    Written out piece by piece: each target is its head (TargetHead, read now) followed by its
    judged part as stored, so a warm read parses and validates nothing per target. The result
    is byte for byte what PlanStatus would serialise to (TargetStatus's field order allows it;
    tests/status/test_cache.py checks it).
    """
    targets = session.execute(_PLAN_TARGETS, {"plan_id": plan.id}).all()
    judged = _plan_judged(session, plan, targets, as_of, known_at)
    assessments = _latest_assessments(session, _ASSESSMENTS_OF_PLAN, {"plan_id": plan.id}, known_at)
    phase = engine.phase_on(plan.end_date, as_of)
    summary = summarize((judged[t.id] for t in targets), as_of=as_of, phase=phase)
    by_category = summarize_by(((t.category, judged[t.id]) for t in targets), as_of=as_of, phase=phase)
    envelope = PlanStatus(
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
        targets=[],
    )
    out = _PLAN_JSON(envelope)
    assert out.endswith(b"[]}"), "targets must stay PlanStatus's last field"
    parts = []
    for t in targets:
        st = judged[t.id]
        head = TargetHead.model_construct(  # values straight from the database and the request: nothing to validate
            target_id=t.id, code=t.code, title=t.title, unit=t.unit, category=t.category, as_of=as_of, known_at=known_at,
            lang=lang, message=st.message_vi if lang == "vi" else st.message_en, assessment=assessments.get(t.id),
        )
        parts.append(_HEAD_JSON(head)[:-1] + b"," + st.payload[1:])
    return out[:-2] + b",".join(parts) + b"]}"


def plan_status(*, session: Session, plan: Plan, as_of: date, known_at: datetime | None, lang: str) -> PlanStatus:
    """The plan's status as a model (for the export), read from plan_status_json: one way to build it."""
    return PlanStatus.model_validate_json(plan_status_json(session=session, plan=plan, as_of=as_of, known_at=known_at, lang=lang))


def plan_status_by_organization(
    *, session: Session, plan: Plan, as_of: date, known_at: datetime | None, lang: str
) -> PlanStatusByOrganization:
    """Judges, for each organisation that reported, its part of the plan: target by target (those it or its
    units reported on), with the target's own rules from that organisation down, so a ward's status here and
    its line in the city's breakdown agree. Not cached."""
    targets = {t.id: t for t in session.execute(_PLAN_TARGETS, {"plan_id": plan.id}).all()}
    rules = rules_of(plan)
    phase = engine.phase_on(plan.end_date, as_of)
    tree = load_tree(session, plan.organization_id)
    plan_units = tree.units(plan.organization_id)
    evaluated: dict[int, list[tuple[int, engine.Evaluation]]] = {}
    for target_id, figures, _ in _stream(session, list(targets), as_of, known_at):
        spec = spec_of(targets[target_id], plan)
        reporters = {obs.organization_id for obs in figures}
        above = {org: set(plan_units.ancestors(org)) for org in reporters}
        # every organisation that reported, and every one above it (its view rolls its units up)
        viewers = reporters.union(*above.values()) if above else set()
        evaluated[target_id] = []
        for org_id in viewers:
            units = tree.units(org_id)
            mine = [o for o in figures if o.organization_id == org_id or org_id in above[o.organization_id]]
            ev = engine.evaluate(spec, mine, as_of=as_of, known_at=known_at, rules=rules, units=units)
            evaluated[target_id].append((org_id, ev))
    per_org: dict[int, list[tuple[object, engine.Evaluation]]] = defaultdict(list)
    for t in targets.values():  # in the plan's order
        for org_id, ev in evaluated.get(t.id, ()):
            if ev.observation_ids:  # reported something that counts by as_of / known_at
                per_org[org_id].append((t, ev))
    orgs = {o.id: o for o in session.execute(select(Organization).where(Organization.id.in_(list(per_org)))).scalars()}
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
                targets=[
                    _shape(t, _judged(ev, PLAN_VIEW_IDS), as_of=as_of, lang=lang, known_at=known_at, assessment=None)
                    for t, ev in pairs
                ],
            )
        )
    return PlanStatusByOrganization(plan_id=plan.id, as_of=as_of, known_at=known_at, phase=phase, organizations=out)


def target_history(*, session: Session, target: Target, as_of: date, known_at: datetime | None) -> TargetHistory:
    """The status at each figure's date, and the expected path month by month."""
    plan = session.get(Plan, target.plan_id)
    spec = spec_of(target, plan)
    rows = session.execute(_FIGURES_OF_TARGET, {"target_id": target.id, "as_of": as_of}).all()
    units = load_tree(session, plan.organization_id).units(plan.organization_id, expected_for(plan, target))
    evaluations = engine.history(
        spec, _in_force(rows, as_of, known_at), as_of=as_of, known_at=known_at, rules=rules_of(plan), units=units
    )
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
