"""The status engine: what a target's figures say about it, as of a date.

Pure by design: standard library only, no database, no web framework. Services
load rows, turn them into `TargetSpec` and `Observation` values and call
`evaluate`; every status the API reports comes from here, so one table of tests
pins the behaviour of the whole product.

`evaluate` takes the same steps for every target, each a function here:

1. `select_in_period`: keep the figures that count as of the date (one per unit and date,
   recorded by `known_at`, inside the period), every other one listed with why;
2. `combine_and_judge`: combine them into one measured value (app/engine/combine.py), for
   `change` targets turn the level into a change from the baseline, and judge it
   (app/engine/judging.py): the verdict the figures would give if the period ended now;
3. `pace_of`: where the figure should be by now, where it is heading, what is still needed;
4. `overdue_reports`: which expected units are late with a report;
5. `choose_status`: the final verdict once the period has ended; before, achieved early /
   on track / at risk / off track;
6. `explain` (app/engine/explain.py): the facts behind the answer, and its sentences
   (app/engine/wording.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from operator import attrgetter
from typing import Any

from app.engine import combine, pace
from app.engine.explain import explain
from app.engine.judging import ge, goal_of, judge, judged_value, locked_in
from app.engine.types import Evaluation, Forecast, Observation, Rules, TargetSpec, Units
from app.engine.vocabulary import MET, AcrossUnits, Aggregation, Comparison, Direction, Phase, Status
from app.engine.wording import describe

Overdue = tuple[int, date, int]  # (unit, due date, days overdue)


def phase_on(period_end: date, as_of: date) -> Phase:
    """Final from the last day of the period on; in progress before."""
    return Phase.FINAL if as_of >= period_end else Phase.IN_PROGRESS


def select_observations(observations: Iterable[Observation], as_of: date, known_at: datetime | None = None) -> list[Observation]:
    """The figures that count on `as_of`: one per organisation and date (see combine.select)."""
    return combine.select(observations, as_of, known_at)[0]


# ---------------------------------------------------------------- 1. selection


def select_in_period(
    spec: TargetSpec,
    observations: Iterable[Observation],
    as_of: date,
    known_at: datetime | None,
    excluded: Iterable[tuple[Observation, str]],
) -> tuple[list[Observation], list[tuple[Observation, str]]]:
    """(the figures that count on `as_of` within the period, the others with why)."""
    selected, not_counted = combine.select(observations, as_of, known_at)
    not_counted += list(excluded)
    kept = [o for o in selected if o.period_date >= spec.period_start]
    not_counted += [(o, combine.BEFORE_PERIOD) for o in selected if o.period_date < spec.period_start]
    return kept, not_counted


# ---------------------------------------------------------------- 2. combination and judging


@dataclass(frozen=True)
class Judged:
    """The combined figures and what they would give if the period ended now."""

    roll: combine.Rollup
    measured: float | None
    compared: float | None  # the measured value, or its change from the baseline
    done: bool | None  # milestones only
    verdict: Status
    rule: str
    facts: dict


def combine_and_judge(spec: TargetSpec, kept: list[Observation], units: Units, rules: Rules) -> Judged:
    """Combines the figures kept (over time, across units) and judges the result."""
    if spec.comparison == Comparison.MILESTONE:
        roll = combine.rollup_done(spec.across_units, units, kept)
        if roll.done is None:
            return Judged(roll, None, None, None, Status.NO_DATA, "no figure yet", {})
        verdict = Status.ACHIEVED if roll.done else Status.NOT_ACHIEVED
        rule = "milestone: reported done" if roll.done else "milestone: reported not done"
        return Judged(roll, None, None, roll.done, verdict, rule, {})
    roll = combine.rollup(spec.aggregation, spec.across_units, spec.ratio_scale, units, kept)
    if roll.measured is None:
        return Judged(roll, None, None, None, Status.NO_DATA, "no figure yet", {})
    compared = judged_value(spec, roll.measured)
    verdict, rule, facts = judge(spec, compared, rules)
    return Judged(roll, roll.measured, compared, None, verdict, rule, facts)


# ---------------------------------------------------------------- 3. pace


def series_of(spec: TargetSpec, kept: list[Observation], units: Units = Units()) -> list[tuple[date, float]]:
    """The combined value as it stood at each figure's date (for trends and history): combine.series."""
    return combine.series(spec.aggregation, spec.across_units, spec.ratio_scale, units, kept)


@dataclass(frozen=True)
class Pace:
    """Where the figure should be by as-of, where it is heading and what it still needs."""

    goal: float | None
    share: float  # share of the goal due by as-of, 0..1
    expected: float | None = None
    performance: float | None = None  # measured against expected: 1.0 = exactly on pace
    forecast: Forecast | None = None
    forecast_verdict: Status | None = None
    capped_at: float | None = None
    required_total: float | None = None
    per_month: float | None = None
    months_left: float | None = None


def cap(spec: TargetSpec, forecast: Forecast | None) -> tuple[Forecast | None, float | None]:
    """A share's forecast stays within 0..100 %: returns the forecast and the bound it was held at (or None)."""
    if forecast is None or not spec.is_share:
        return forecast, None
    if forecast.value > 100.0:
        return replace(forecast, value=100.0), 100.0
    if forecast.value < 0.0:
        return replace(forecast, value=0.0), 0.0
    return forecast, None


def pace_of(spec: TargetSpec, measured: float | None, kept: list[Observation], units: Units, rules: Rules, as_of: date) -> Pace:
    """Pace: where the figure should be by now, and (in the period) where it is heading."""
    goal = goal_of(spec)
    share = pace.expected_share(spec.period_start, spec.period_end, min(as_of, spec.period_end), spec.checkpoints)
    if goal is None:
        return Pace(goal, share)
    higher = spec.direction == Direction.HIGHER_IS_BETTER
    expected = pace.expected_at(goal=goal, share=share, is_flow=spec.is_flow, baseline=spec.baseline_value)
    if measured is None:
        return Pace(goal, share, expected)
    performance = pace.performance(measured, expected, higher)
    if phase_on(spec.period_end, as_of) != Phase.IN_PROGRESS:
        return Pace(goal, share, expected, performance)
    forecast = pace.forecast(
        actual=measured,
        share_due=share,
        is_flow=spec.is_flow,
        has_checkpoints=bool(spec.checkpoints),
        # a flow's forecast is linear: no series
        series=[] if spec.is_flow else series_of(spec, kept, units),
        end=spec.period_end,
    )
    forecast, capped_at = cap(spec, forecast)
    forecast_verdict = judge(spec, judged_value(spec, forecast.value), rules)[0] if forecast is not None else None
    months_left = pace.months_between(as_of, spec.period_end)
    required_total = per_month = None
    if spec.is_flow and higher:
        required_total = max(0.0, goal - measured)
        per_month = required_total / months_left if months_left >= 1 / 31 else None
    elif not spec.is_flow:
        required_total = goal
    return Pace(goal, share, expected, performance, forecast, forecast_verdict, capped_at, required_total, per_month, months_left)


# ---------------------------------------------------------------- 4. reporting calendar


def overdue_reports(spec: TargetSpec, units: Units, kept: list[Observation], as_of: date, rules: Rules) -> list[Overdue]:
    """Overdue reports, per expected unit: [(unit, due date, days)], the longest overdue first.

    A unit's report is in when it, or an organisation above it, has a figure for the period.
    Without expected units (a bare engine call), the target's figures are read as one unit's.
    """
    if spec.frequency is None:
        return []
    expected = combine.expected_units(units, spec.across_units)
    if not expected:
        due = pace.overdue(
            start=spec.period_start,
            end=spec.period_end,
            frequency=spec.frequency,
            figure_dates=[o.period_date for o in kept],
            as_of=as_of,
            grace_days=rules.reporting_grace_days,
        )
        return [(units.root, *due)] if due else []
    dates: dict[int, list[date]] = {}
    for o in kept:
        dates.setdefault(o.organization_id, []).append(o.period_date)
    out: list[Overdue] = []
    for e in expected:
        mine = list(dates.get(e, ()))
        for above in units.ancestors(e):
            mine += dates.get(above, ())
        due = pace.overdue(
            start=spec.period_start,
            end=spec.period_end,
            frequency=spec.frequency,
            figure_dates=sorted(mine),
            as_of=as_of,
            grace_days=rules.reporting_grace_days,
        )
        if due:
            out.append((e, *due))
    return sorted(out, key=lambda x: (-x[2], units.label(x[0])))


# ---------------------------------------------------------------- 5. the status


def choose_status(
    spec: TargetSpec, judged: Judged, performance: float | None, *, as_of: date, provisional: bool, rules: Rules
) -> tuple[Status, str]:
    """(the status, the rule that decided it): the verdict once final; before, how the target is doing."""
    rule = judged.rule
    if not judged.roll.used:
        return Status.NO_DATA, rule if as_of >= spec.period_start else "not started: the period has not begun"
    if phase_on(spec.period_end, as_of) == Phase.FINAL:
        return judged.verdict, rule
    if spec.comparison == Comparison.MILESTONE:
        return (Status.ACHIEVED_EARLY, rule) if judged.done else (Status.ON_TRACK, "milestone: not done yet, due by the end")
    if judged.verdict in MET and locked_in(spec) and not provisional:
        return Status.ACHIEVED_EARLY, rule + "; already met and cannot be undone by later figures"
    if judged.verdict in MET and not spec.is_flow:
        return Status.ON_TRACK, rule  # a level that meets its condition today is on track
    if performance is None or ge(performance, rules.on_track_from):  # bands absorb float noise too
        return Status.ON_TRACK, rule
    if ge(performance, rules.at_risk_from):
        return Status.AT_RISK, rule
    return Status.OFF_TRACK, rule


# ---------------------------------------------------------------- the answer


def evaluate(
    spec: TargetSpec,
    observations: Iterable[Observation],
    *,
    as_of: date,
    known_at: datetime | None = None,
    rules: Rules = Rules(),
    units: Units = Units(),
    excluded: Iterable[tuple[Observation, str]] = (),
    awaiting: Collection[int] = frozenset(),
) -> Evaluation:
    """Says where a target stands on `as_of` (with what was recorded by `known_at`), and why.

    `units`: the plan's organisation, its tree and the units expected to report. Every figure
    handed in either counts (`observation_ids`) or is listed in the explanation's `not_counted`
    with the reason; every unit that reported is in `units`, counted or not and why.
    `excluded`: figures the caller already set aside (versions replaced by a correction, figures
    awaiting approval or returned: `combine.AWAITING_APPROVAL`, `combine.RETURNED`), with why.
    `awaiting`: ids of figures handed in that are not approved yet but count in this reading (a
    provisional picture); those the value rests on are listed in the explanation's `awaiting_approval`.
    """
    phase = phase_on(spec.period_end, as_of)
    kept, not_counted = select_in_period(spec, observations, as_of, known_at, excluded)
    judged = combine_and_judge(spec, kept, units, rules)
    roll = judged.roll
    not_counted += roll.not_counted
    coverage = combine.coverage(units, spec.across_units, {u.organization_id for u in roll.units})
    provisional = bool(roll.used) and coverage is not None and not coverage.complete
    paced = pace_of(spec, judged.measured, kept, units, rules, as_of)
    overdue = overdue_reports(spec, units, kept, as_of, rules)
    status, rule = choose_status(spec, judged, paced.performance, as_of=as_of, provisional=provisional, rules=rules)
    in_progress = phase == Phase.IN_PROGRESS
    num, den = roll.numerator, roll.denominator
    pooled = (num, den) if num is not None and den is not None and spec.across_units == AcrossUnits.POOLED_RATIO else None
    result = Evaluation(
        phase=phase,
        status=status,
        as_of=as_of,
        measured=judged.measured,
        compared=judged.compared,
        done=judged.done,
        rests_on_estimate=any(o.is_estimate for o in roll.used),
        observation_ids=tuple(o.id for o in roll.used if o.id is not None),
        rule=rule,
        verdict_if_final=judged.verdict,
        goal=paced.goal,
        expected=paced.expected if in_progress else None,
        expected_share=paced.share if in_progress else None,
        pace=paced.performance if in_progress else None,
        forecast=paced.forecast,
        forecast_verdict=paced.forecast_verdict,
        forecast_capped_at=paced.capped_at,
        required_total=paced.required_total,
        required_per_month=paced.per_month,
        months_remaining=paced.months_left,
        overdue_since=overdue[0][1] if overdue else None,
        overdue_days=overdue[0][2] if overdue else None,
        started=as_of >= spec.period_start,
        provisional=provisional,
        coverage=coverage,
        counted_units=sum(1 for u in roll.units if u.counted),
        context_units=sum(1 for u in roll.units if not u.counted),
        root_alone=[u.organization_id for u in roll.units if u.counted] == [units.root],
        pooled=pooled,
        explanation={},
    )
    explanation = explain(
        spec, result, roll, judged.facts, units=units, known_at=known_at, rules=rules, overdue=overdue, not_counted=not_counted
    )
    if awaiting and (provisional_figures := [i for i in result.observation_ids if i in awaiting]):
        explanation["awaiting_approval"] = provisional_figures
    result = replace(result, explanation=explanation)
    vi, en = describe(spec, result)
    return replace(result, message_vi=vi, message_en=en)


@dataclass(slots=True)
class HistoryPoint:
    """A target's status as it stood on one date: what `evaluate` on that date says, as far as a
    history shows it (status, measured, expected, pace, the figures it rests on).

    Not frozen, as Observation: a history makes one per figure date, and a frozen dataclass's
    __init__ sets each field through object.__setattr__. Treat it as a value all the same."""

    as_of: date
    phase: Phase
    status: Status
    measured: float | None
    expected: float | None
    pace: float | None
    observation_ids: tuple[int, ...]
    rests_on_estimate: bool


def history(
    spec: TargetSpec,
    observations: Iterable[Observation],
    *,
    as_of: date,
    known_at: datetime | None = None,
    rules: Rules = Rules(),
    units: Units = Units(),
) -> list[HistoryPoint]:
    """The status as it stood on each date a figure refers to, up to `as_of`, in one pass.

    Each point equals `evaluate(spec, observations, as_of=that date, ...)` (tests/status/
    test_history_engine.py compares them on random series): the figures that count on an earlier
    date are a prefix of those that count on `as_of` (a unit and date's figures share the date),
    so the figures are walked once in date order, each unit keeps an accumulator
    (combine.UnitAccumulator, as combine.series), and at each date the units are combined again.
    Only what a point shows is computed: no explanation, wording, forecast or overdue reports.
    Cost: units x dates plus the ids listed, where evaluating every date was figures x dates
    (93 to 228 ms for 1,000 figures, issue 17).
    """
    selected = combine.select(observations, as_of, known_at)[0]
    kept = [o for o in selected if o.period_date >= spec.period_start]
    milestone = spec.comparison == Comparison.MILESTONE
    agg, across_rule, scale = spec.aggregation, spec.across_units, spec.ratio_scale
    accs: dict[int, combine.UnitAccumulator] = {}
    numeric: list[Observation] = []  # numeric figures so far, in (date, unit) order
    numeric_ids: list[int] = []  # their ids, and how many are estimates: a sum's point lists them all
    numeric_estimates = 0
    latest_done: dict[int, Observation] = {}
    goal = goal_of(spec)
    higher = spec.direction == Direction.HIGHER_IS_BETTER
    points: list[HistoryPoint] = []
    snaps: dict[int, tuple[float, float | None, float | None]] = {}  # each unit's value so far
    excluded: dict[int, str] = {}
    coverage = None
    reporters_seen = -1
    i, n = 0, len(kept)
    while i < n:
        day = kept[i].period_date
        changed: set[int] = set()
        while i < n and kept[i].period_date == day:
            o = kept[i]
            if milestone:
                if o.done is not None:
                    latest_done[o.organization_id] = o
            elif combine.is_numeric(o):
                acc = accs.get(o.organization_id)
                if acc is None:  # not setdefault: that would build an accumulator for every figure
                    acc = accs[o.organization_id] = combine.UnitAccumulator(agg, scale)
                acc.add(o)
                numeric.append(o)
                if o.id is not None:
                    numeric_ids.append(o.id)
                numeric_estimates += o.is_estimate
                changed.add(o.organization_id)
            i += 1
        reporters: dict[int, Any] = latest_done if milestone else accs
        if len(reporters) != reporters_seen:  # who counts and the coverage change only when a unit first reports
            reporters_seen = len(reporters)
            excluded = combine._counting_units(reporters, units, across_rule)
            coverage = combine.coverage(units, across_rule, set(reporters))
        if milestone:
            roll = _done_so_far(across_rule, latest_done, excluded)
        else:
            for org in changed:  # only the units with a new figure today have a new value
                snaps[org] = accs[org].value()
            roll = _rollup_so_far(agg, across_rule, scale, accs, snaps, excluded, numeric)
        judged = _judge_rollup(spec, roll, rules)
        provisional = bool(roll.used) and coverage is not None and not coverage.complete
        expected = performance = None
        if goal is not None:
            share = pace.expected_share(spec.period_start, spec.period_end, min(day, spec.period_end), spec.checkpoints)
            expected = pace.expected_at(goal=goal, share=share, is_flow=spec.is_flow, baseline=spec.baseline_value)
            if judged.measured is not None:
                performance = pace.performance(judged.measured, expected, higher)
        status, _ = choose_status(spec, judged, performance, as_of=day, provisional=provisional, rules=rules)
        phase = phase_on(spec.period_end, day)
        in_progress = phase == Phase.IN_PROGRESS
        if roll.used is numeric:  # every figure so far (a sum or mean, every unit counting): kept as it went
            ids, estimate = tuple(numeric_ids), numeric_estimates > 0
        else:
            ids, estimate = tuple(o.id for o in roll.used if o.id is not None), any(o.is_estimate for o in roll.used)
        points.append(
            HistoryPoint(
                as_of=day,
                phase=phase,
                status=status,
                measured=judged.measured,
                expected=expected if in_progress else None,
                pace=performance if in_progress else None,
                observation_ids=ids,
                rests_on_estimate=estimate,
            )
        )
    return points


def _judge_rollup(spec: TargetSpec, roll: combine.Rollup, rules: Rules) -> Judged:
    """`combine_and_judge` from a roll-up already made."""
    if spec.comparison == Comparison.MILESTONE:
        if roll.done is None:
            return Judged(roll, None, None, None, Status.NO_DATA, "no figure yet", {})
        verdict = Status.ACHIEVED if roll.done else Status.NOT_ACHIEVED
        rule = "milestone: reported done" if roll.done else "milestone: reported not done"
        return Judged(roll, None, None, roll.done, verdict, rule, {})
    if roll.measured is None:
        return Judged(roll, None, None, None, Status.NO_DATA, "no figure yet", {})
    compared = judged_value(spec, roll.measured)
    verdict, rule, facts = judge(spec, compared, rules)
    return Judged(roll, roll.measured, compared, None, verdict, rule, facts)


_order = attrgetter("period_date", "organization_id")  # figures in (date, unit) order


def _rollup_so_far(
    agg: Aggregation,
    across_rule: AcrossUnits,
    scale: float,
    accs: dict[int, combine.UnitAccumulator],
    snaps: dict[int, tuple[float, float | None, float | None]],
    excluded: dict[int, str],
    numeric: list[Observation],
) -> combine.Rollup:
    """`combine.rollup` over the figures fed to the accumulators so far (each unit's value in `snaps`,
    the units that do not count in `excluded`): measured and used only."""
    counting = [org for org in snaps if org not in excluded]
    if across_rule == AcrossUnits.POOLED_RATIO and len(counting) > 1:
        counting = [org for org in counting if snaps[org][1] is not None]
    measured = combine.across(across_rule, [snaps[org] for org in counting], scale)[0]
    used: list[Observation]
    if agg in (Aggregation.SUM, Aggregation.MEAN):  # every figure of the counting units, in order
        if len(counting) == len(snaps):
            used = numeric  # itself, not a copy: `history` reads it before the next figure is added
        else:
            keep = set(counting)
            used = [o for o in numeric if o.organization_id in keep]
    else:  # one figure per counting unit: its latest, or its extreme
        pick = [
            accs[org].last if agg in (Aggregation.LATEST, Aggregation.CUMULATIVE) else accs[org].extreme_obs for org in counting
        ]
        used = sorted((o for o in pick if o is not None), key=_order)
    return combine.Rollup(measured, None, used, [], [])


def _done_so_far(across_rule: AcrossUnits, latest: dict[int, Observation], excluded: dict[int, str]) -> combine.Rollup:
    """`combine.rollup_done` over each unit's latest report so far: done and used only."""
    counting = [o for org, o in latest.items() if org not in excluded]
    done = None
    if counting:
        flags = [o.done for o in counting]
        done = any(flags) if across_rule == AcrossUnits.MAX else all(flags)
    return combine.Rollup(None, done, sorted(counting, key=_order), [], [])
