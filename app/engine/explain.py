"""The explanation of an evaluation: the facts behind the answer, as the API shows them. Stdlib only.

Its keys and their order are part of the answer (the plan status cache stores it as JSON).
"""

from __future__ import annotations

from datetime import date, datetime

from app.engine.combine import Rollup, UnitValue
from app.engine.judging import gap
from app.engine.types import Evaluation, Observation, Rules, TargetSpec, Units
from app.engine.vocabulary import AcrossUnits, Comparison, Phase


def unit_entry(u: UnitValue, units: Units) -> dict:
    """One unit that reported: its value (or done), whether it counts and why."""
    entry = {
        "organization_id": u.organization_id,
        "code": units.label(u.organization_id),
        "date": u.on.isoformat(),
        "counted": u.counted,
        "reason": u.reason,
        "figures": len(u.used),
        "submission_id": u.used[-1].id if u.used else None,
    }
    if u.done is not None:
        entry["done"] = u.done
    else:
        entry["value"] = u.value
        if u.numerator is not None:
            entry.update(numerator=u.numerator, denominator=u.denominator)
    return entry


def _pace_facts(ev: Evaluation, rules: Rules) -> dict:
    """In the period: the goal, where the figure should be, the pace, forecast and what is still required."""
    facts: dict = {
        "goal": ev.goal,
        "expected": ev.expected,
        "expected_share": round(ev.expected_share or 0.0, 6),
        "on_track_from": rules.on_track_from,
    }
    if ev.pace is not None:
        facts["pace"] = round(ev.pace, 6)
    if ev.forecast is not None:
        facts["forecast"] = {"method": ev.forecast.method, "value": ev.forecast.value, "verdict": str(ev.forecast_verdict)}
        if ev.forecast_capped_at is not None:
            facts["forecast"]["capped_at"] = ev.forecast_capped_at
    if ev.required_total is not None and ev.months_remaining is not None:
        facts["required"] = {
            "total": ev.required_total,
            "per_month": ev.required_per_month,
            "months_remaining": round(ev.months_remaining, 2),
        }
    return facts


def explain(
    spec: TargetSpec,
    ev: Evaluation,
    roll: Rollup,
    facts: dict,
    *,
    units: Units,
    known_at: datetime | None,
    rules: Rules,
    overdue: list[tuple[int, date, int]],
    not_counted: list[tuple[Observation, str]],
) -> dict:
    """The explanation of `ev` (made without one): rule, inputs, judged facts, pace, units, coverage, what did not count."""
    explanation = {
        "rule": ev.rule,
        "comparison": str(spec.comparison),
        "direction": str(spec.direction),
        "aggregation": str(spec.aggregation),
        "across_units": str(spec.across_units),
        "is_percentage": spec.is_percentage,
        "verdict_if_final": str(ev.verdict_if_final),
        "inputs": len(roll.used),
        **facts,
    }
    if not ev.started:
        explanation["started"] = False
    if known_at is not None:
        explanation["known_at"] = known_at.isoformat()
    if ev.measured is not None:
        explanation["measured"] = ev.measured
    if roll.numerator is not None and spec.across_units == AcrossUnits.POOLED_RATIO:
        explanation["pooled"] = {"numerator": roll.numerator, "denominator": roll.denominator}
    if ev.compared is not None and spec.comparison == Comparison.CHANGE:
        explanation.update(baseline=spec.baseline_value, change=ev.compared, change_basis=str(spec.change_basis))
    distance = gap(spec, ev.compared)
    if distance is not None:
        explanation["gap"] = distance
    if ev.phase == Phase.IN_PROGRESS and ev.goal is not None:
        explanation.update(_pace_facts(ev, rules))
    if ev.overdue_since is not None:
        explanation["overdue"] = {"due_date": ev.overdue_since.isoformat(), "days": ev.overdue_days}
    explanation["units"] = [unit_entry(u, units) for u in roll.units]
    if ev.coverage is not None:
        explanation["coverage"] = {
            "expected": ev.coverage.expected,
            "reported": ev.coverage.reported,
            "missing": [{"organization_id": m, "code": units.label(m)} for m in ev.coverage.missing],
        }
    if overdue and (len(overdue) > 1 or overdue[0][0] != units.root):
        explanation["overdue_units"] = [
            {"organization_id": org, "code": units.label(org), "due_date": d.isoformat(), "days": days}
            for org, d, days in overdue
        ]
    explanation["not_counted"] = [
        {"submission_id": o.id, "organization_id": o.organization_id, "date": o.period_date.isoformat(), "reason": why}
        for o, why in sorted(not_counted, key=lambda p: (p[0].period_date, p[0].organization_id, p[0].id or 0))
    ]
    return explanation
