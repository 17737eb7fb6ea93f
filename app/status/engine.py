"""The status engine: what a target's figures say about it, as of a date.

Pure by design: standard library only, no database, no web framework. Services
load rows, turn them into `TargetSpec` and `Observation` values and call
`evaluate`; every status the API reports comes from here, so one table of tests
pins the behaviour of the whole product.

The flow of `evaluate` is the same for every target:

1. keep the figures that count as of the date (`select_observations`);
2. combine them into one measured value (`aggregate`);
3. for `change` targets, turn the measured level into a change from the baseline;
4. judge that value against the comparison (`judge`), which yields the final
   verdict; before the period ends the verdict is reduced to met so far / not yet
   met.

Judging follows how committees assess in practice (see docs/ARCHITECTURE.md):
a range is achieved inside and exceeded beyond its better end; a point or floor
is achieved at the value and exceeded when beaten; "about X" has no tolerance
unless the target sets one; a ceiling that is met is achieved, and only counts
as exceeded when the plan sets an explicit margin. "more than" and "less than"
are read loosely, as practice reads "trên X" / "dưới X": the boundary value
itself is achieved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from app.status import combine, pace
from app.status.combine import (  # re-exported: the engine's vocabulary
    FLOW_AGGREGATIONS,
    AcrossUnits,
    Aggregation,
    Coverage,
    Observation,
    Units,
)
from app.status.pace import Checkpoint, Forecast, Frequency
from app.status.wording import describe



class Comparison(StrEnum):
    AT_LEAST = "at_least"
    MORE_THAN = "more_than"
    AT_MOST = "at_most"
    LESS_THAN = "less_than"
    BETWEEN = "between"
    APPROXIMATELY = "approximately"
    EQUAL = "equal"
    CHANGE = "change"
    MILESTONE = "milestone"


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class ChangeBasis(StrEnum):
    RELATIVE_PERCENT = "relative_percent"  # (value - baseline) / |baseline| * 100
    PERCENTAGE_POINTS = "percentage_points"  # value - baseline, both in %
    ABSOLUTE = "absolute"  # value - baseline, in the target's unit
    FACTOR = "factor"  # value / baseline: "tăng 1,6 lần so với năm 2020" is 1.6 (the baseline must be > 0)


class Status(StrEnum):
    # final verdicts, once the period has ended
    EXCEEDED = "exceeded"
    ACHIEVED = "achieved"
    BASICALLY_ACHIEVED = "basically_achieved"  # cơ bản đạt: a near miss, only with a plan's band
    NOT_ACHIEVED = "not_achieved"
    # during the period
    ACHIEVED_EARLY = "achieved_early"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    # either phase
    NO_DATA = "no_data"


MET = frozenset({Status.EXCEEDED, Status.ACHIEVED})
VERDICT_ORDER = (Status.NOT_ACHIEVED, Status.BASICALLY_ACHIEVED, Status.ACHIEVED, Status.EXCEEDED)


class Phase(StrEnum):
    IN_PROGRESS = "in_progress"
    FINAL = "final"


FLOOR_KINDS = frozenset({Comparison.AT_LEAST, Comparison.MORE_THAN})
CEILING_KINDS = frozenset({Comparison.AT_MOST, Comparison.LESS_THAN})
POINT_KINDS = frozenset({Comparison.EQUAL, Comparison.APPROXIMATELY, Comparison.CHANGE})


@dataclass(frozen=True)
class TargetSpec:
    """A target's definition, as far as judging it needs."""

    comparison: Comparison
    period_start: date
    period_end: date
    direction: Direction = Direction.HIGHER_IS_BETTER
    value: float | None = None
    low: float | None = None
    high: float | None = None
    tolerance: float | None = None
    baseline_value: float | None = None
    change_basis: ChangeBasis | None = None
    aggregation: Aggregation = Aggregation.LATEST  # over time, within one unit
    across_units: AcrossUnits = AcrossUnits.OWN
    # Ratios are x100 into a percentage target; a share's numerator never exceeds its
    # denominator (nor its forecast 100 %) unless the target says it may.
    is_percentage: bool = False
    may_exceed_whole: bool = False
    unit: str = ""
    title: str = ""
    title_en: str = ""
    checkpoints: tuple[Checkpoint, ...] = ()
    frequency: Frequency | None = None

    @property
    def is_flow(self) -> bool:
        """Figures accumulate over the period (tonnes harvested, money collected): increments or to-date figures."""
        return self.aggregation in FLOW_AGGREGATIONS

    @property
    def ratio_scale(self) -> float:
        """How a ratio becomes a figure in the target's unit: x100 for a percentage."""
        return 100.0 if self.is_percentage else 1.0

    @property
    def is_share(self) -> bool:
        """A percentage that cannot exceed its whole (100 %)."""
        return self.is_percentage and not self.may_exceed_whole


@dataclass(frozen=True)
class Rules:
    """Plan-level judging settings; the defaults follow published practice."""

    # A met ceiling counts as exceeded only when beaten by at least this much (target units).
    ceiling_exceed_margin: float | None = None
    # A miss within this share of the threshold (0.05 = 5 %) is "basically achieved".
    near_miss_band: float | None = None
    # Pace bands: on track from this share of the expected value, at risk from the next.
    on_track_from: float = 0.95
    at_risk_from: float = 0.85
    # Days after a due date before a missing report counts as overdue.
    reporting_grace_days: int = 0


@dataclass(frozen=True)
class Evaluation:
    """The engine's answer for one target."""

    phase: Phase
    status: Status
    as_of: date
    measured: float | None  # the combined figure, in the target's unit
    compared: float | None  # what was judged: the measured value, or its change
    done: bool | None  # milestones only
    rests_on_estimate: bool
    observation_ids: tuple[int, ...]
    rule: str
    verdict_if_final: Status = Status.NO_DATA  # what the figures so far would give if the period ended now
    goal: float | None = None  # the value the measured figure must reach
    expected: float | None = None  # where it should be by as_of (pace)
    expected_share: float | None = None  # share of the goal due by as_of, 0..1
    pace: float | None = None  # measured against expected: 1.0 = exactly on pace
    forecast: Forecast | None = None
    forecast_verdict: Status | None = None
    required_total: float | None = None  # flows: still to add; levels: the level still to reach
    required_per_month: float | None = None
    months_remaining: float | None = None
    overdue_since: date | None = None
    overdue_days: int | None = None
    forecast_capped_at: float | None = None  # a share's forecast held at 100 % (or 0 %)
    started: bool = True  # False when as_of is before the period starts
    provisional: bool = False  # a verdict while some units expected to report have not
    coverage: Coverage | None = None
    counted_units: int = 0
    context_units: int = 0  # units whose figures are shown but do not count (context, covered)
    root_alone: bool = False  # the only counting figures are the root organisation's own
    pooled: tuple[float, float] | None = None  # pooled_ratio: (Σ numerators, Σ denominators)
    explanation: dict = field(default_factory=dict)
    message_vi: str = ""
    message_en: str = ""


def default_direction(comparison: Comparison, value: float | None) -> Direction:
    """Ceilings and cuts are better lower; everything else higher."""
    if comparison in CEILING_KINDS or (comparison == Comparison.CHANGE and value is not None and value < 0):
        return Direction.LOWER_IS_BETTER
    return Direction.HIGHER_IS_BETTER


# ---------------------------------------------------------------- definitions


def definition_errors(spec: TargetSpec) -> dict[str, str]:
    """Lists what makes a target definition inconsistent, by field name."""
    errors: dict[str, str] = {}
    kind = spec.comparison
    if spec.period_end < spec.period_start:
        errors["period_end"] = "the period ends before it starts"
    if kind == Comparison.BETWEEN:
        if spec.low is None or spec.high is None:
            errors["low" if spec.low is None else "high"] = "a 'between' target needs both low and high"
        elif spec.low > spec.high:
            errors["low"] = f"low ({spec.low:g}) is greater than high ({spec.high:g})"
        if spec.value is not None:
            errors["value"] = "a 'between' target uses low and high, not value"
    elif kind == Comparison.MILESTONE:
        for name in ("value", "low", "high", "tolerance", "baseline_value"):
            if getattr(spec, name) is not None:
                errors[name] = "a milestone is done or not done; it takes no numbers"
    else:
        if spec.value is None:
            errors["value"] = f"a '{kind}' target needs a value"
        for name in ("low", "high"):
            if getattr(spec, name) is not None:
                errors[name] = f"only 'between' targets take {name}"
    if kind == Comparison.CHANGE:
        if spec.baseline_value is None:
            errors["baseline_value"] = "a 'change' target needs a baseline value"
        if spec.change_basis is None:
            errors["change_basis"] = "a 'change' target needs a change basis"
        elif spec.change_basis == ChangeBasis.RELATIVE_PERCENT and spec.baseline_value == 0:
            errors["baseline_value"] = "a relative change cannot be measured from a baseline of 0"
        elif spec.change_basis == ChangeBasis.FACTOR and spec.baseline_value is not None and spec.baseline_value <= 0:
            errors["baseline_value"] = "a change by a factor needs a baseline above 0"
        elif spec.change_basis == ChangeBasis.FACTOR and spec.value is not None and spec.value <= 0:
            errors["value"] = "a factor must be above 0 (0.5 halves the baseline, 2 doubles it)"
    elif spec.change_basis is not None:
        errors["change_basis"] = "only 'change' targets take a change basis"
    if spec.tolerance is not None:
        if spec.tolerance < 0:
            errors["tolerance"] = "tolerance cannot be negative"
        elif kind not in (Comparison.APPROXIMATELY, Comparison.CHANGE):
            errors["tolerance"] = "only 'approximately' and 'change' targets take a tolerance"
    if kind == Comparison.MILESTONE and spec.aggregation != Aggregation.LATEST:
        errors["aggregation"] = "a milestone is judged on its latest report"
    if kind == Comparison.MILESTONE and spec.across_units not in (AcrossUnits.OWN, AcrossUnits.MIN, AcrossUnits.MAX):
        errors["across_units"] = "a milestone takes own (the plan organisation's report), min (every unit done) or max (any unit done)"
    if spec.may_exceed_whole and not spec.is_percentage:
        errors["may_exceed_whole"] = "only a percentage target is a share of a whole"
    checkpoints = sorted(spec.checkpoints, key=lambda c: c.on)
    if any(not spec.period_start <= c.on <= spec.period_end for c in checkpoints):
        errors["checkpoints"] = "every checkpoint must fall within the plan's period"
    elif any(not 0 <= c.share <= 100 for c in checkpoints):
        errors["checkpoints"] = "a checkpoint's share is a percentage from 0 to 100"
    elif any(b.share < a.share for a, b in zip(checkpoints, checkpoints[1:])):
        errors["checkpoints"] = "shares must not fall from one checkpoint to the next"
    elif len({c.on for c in checkpoints}) != len(checkpoints):
        errors["checkpoints"] = "two checkpoints on the same date"
    elif any(c.on == spec.period_end and c.share != 100 for c in checkpoints):
        errors["checkpoints"] = "the whole goal is due on the period's last day: a checkpoint there must be 100"
    return errors


# ---------------------------------------------------------------- selection and combination
# (app/status/combine.py: over time within a unit, across units, coverage)


def select_observations(observations, as_of: date, known_at: datetime | None = None) -> list[Observation]:
    """The figures that count on `as_of`: one per organisation and date (see combine.select)."""
    return combine.select(observations, as_of, known_at)[0]


def change_from_baseline(spec: TargetSpec, level: float) -> float:
    """The change a measured level represents against the baseline."""
    base = spec.baseline_value
    if spec.change_basis == ChangeBasis.RELATIVE_PERCENT:
        return (level - base) / abs(base) * 100.0
    if spec.change_basis == ChangeBasis.FACTOR:
        return level / base
    return level - base


# ---------------------------------------------------------------- judging


def _eq(a: float, b: float) -> bool:
    # Absorbs float noise (0.1 + 0.2 vs 0.3) without blurring real differences.
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)


def _ge(a: float, b: float) -> bool:
    return a > b or _eq(a, b)


def _better(a: float, b: float, direction: Direction) -> bool:
    """True when a is strictly better than b (beyond float noise)."""
    if _eq(a, b):
        return False
    return a > b if direction == Direction.HIGHER_IS_BETTER else a < b


def judge(spec: TargetSpec, x: float, rules: Rules = Rules()) -> tuple[Status, str, dict]:
    """Final verdict for the judged value x, with the plan's near-miss band; returns (verdict, rule, facts)."""
    verdict, rule, facts = _judge_strictly(spec, x, rules)
    band = rules.near_miss_band
    if verdict == Status.NOT_ACHIEVED and band:
        edge = _decisive_threshold(spec, x)
        if abs(x - edge) <= band * abs(edge) or _eq(abs(x - edge), band * abs(edge)):
            return Status.BASICALLY_ACHIEVED, rule + "; within the near-miss band", {**facts, "near_miss_band": band}
    return verdict, rule, facts


def _decisive_threshold(spec: TargetSpec, x: float) -> float:
    """The threshold a miss is measured from: the value, or the range end nearer to x."""
    if spec.comparison == Comparison.BETWEEN:
        return spec.low if abs(x - spec.low) <= abs(x - spec.high) else spec.high
    return spec.value


def _judge_strictly(spec: TargetSpec, x: float, rules: Rules) -> tuple[Status, str, dict]:
    kind, d = spec.comparison, spec.direction
    if kind == Comparison.BETWEEN:
        lo, hi = spec.low, spec.high
        inside = _ge(x, lo) and _ge(hi, x)
        better_end = hi if d == Direction.HIGHER_IS_BETTER else lo
        if inside:
            return Status.ACHIEVED, "range: inside the range", {"low": lo, "high": hi}
        if _better(x, better_end, d):
            return Status.EXCEEDED, "range: beyond its better end", {"low": lo, "high": hi}
        return Status.NOT_ACHIEVED, "range: short of its worse end", {"low": lo, "high": hi}

    t = spec.value
    if kind in FLOOR_KINDS:
        met = _ge(x, t)
        if not met:
            return Status.NOT_ACHIEVED, "floor: below the floor", {"threshold": t}
        if d == Direction.HIGHER_IS_BETTER and _better(x, t, d):
            return Status.EXCEEDED, "floor: above the floor", {"threshold": t}
        return Status.ACHIEVED, "floor: at the floor" if _eq(x, t) else "floor: met", {"threshold": t}

    if kind in CEILING_KINDS:
        met = _ge(t, x)
        if not met:
            return Status.NOT_ACHIEVED, "ceiling: above the ceiling", {"threshold": t}
        margin = rules.ceiling_exceed_margin
        if d == Direction.LOWER_IS_BETTER and margin is not None and _ge(t - x, margin) and not _eq(x, t):
            return Status.EXCEEDED, "ceiling: beaten by the exceed margin", {"threshold": t, "margin": margin}
        return Status.ACHIEVED, "ceiling: met", {"threshold": t}

    if kind == Comparison.MILESTONE:  # pragma: no cover - milestones are judged on `done`
        raise ValueError("milestones are judged on done/not done")

    # point kinds: equal, approximately, change. Within the tolerance is achieved,
    # beyond it on the better side exceeded, beyond it on the worse side not.
    tol = spec.tolerance or 0.0
    facts = {"target": t, "tolerance": tol}
    if abs(x - t) <= tol or _eq(abs(x - t), tol) or _eq(x, t):
        return Status.ACHIEVED, "point: at the target" + (" within tolerance" if tol else ""), facts
    if _better(x, t, d):
        return Status.EXCEEDED, "point: better than the target", facts
    return Status.NOT_ACHIEVED, "point: worse than the target", facts


# ---------------------------------------------------------------- the answer


def phase_on(period_end: date, as_of: date) -> Phase:
    """Final from the last day of the period on; in progress before."""
    return Phase.FINAL if as_of >= period_end else Phase.IN_PROGRESS


def goal_of(spec: TargetSpec) -> float | None:
    """The value the measured figure must reach: threshold, the range's worse end, or a change's level."""
    kind, higher = spec.comparison, spec.direction == Direction.HIGHER_IS_BETTER
    if kind == Comparison.MILESTONE:
        return None
    if kind == Comparison.BETWEEN:
        return spec.low if higher else spec.high
    if kind == Comparison.CHANGE:
        if spec.change_basis == ChangeBasis.RELATIVE_PERCENT:  # relative to |baseline|, as the judge measures it
            return spec.baseline_value + abs(spec.baseline_value) * spec.value / 100.0
        if spec.change_basis == ChangeBasis.FACTOR:
            return spec.baseline_value * spec.value
        return spec.baseline_value + spec.value
    return spec.value


def _judged_value(spec: TargetSpec, measured: float) -> float:
    return change_from_baseline(spec, measured) if spec.comparison == Comparison.CHANGE else measured


def _locked_in(spec: TargetSpec) -> bool:
    """Whether a met target stays met whatever later figures say (so it is achieved early).

    Over time, increments and maxima only grow (minima only fall); across units, so do a sum,
    a maximum (a minimum) and the plan organisation's own figure. A mean or a pooled share can
    move either way when another unit reports.
    """
    higher = spec.direction == Direction.HIGHER_IS_BETTER
    across = spec.across_units
    if spec.aggregation in (Aggregation.SUM, Aggregation.MAX) and across in (AcrossUnits.OWN, AcrossUnits.SUM, AcrossUnits.MAX):
        return higher and spec.comparison not in CEILING_KINDS
    if spec.aggregation == Aggregation.MIN and across in (AcrossUnits.OWN, AcrossUnits.MIN):
        return not higher and spec.comparison not in FLOOR_KINDS
    return False


def _series(spec: TargetSpec, kept: list[Observation], units: Units = Units()) -> list[tuple[date, float]]:
    """The combined value as it stood at each figure's date (for trends and history): combine.series."""
    return combine.series(spec.aggregation, spec.across_units, spec.ratio_scale, units, kept)


def _cap(spec: TargetSpec, forecast: Forecast | None) -> tuple[Forecast | None, float | None]:
    """A share's forecast stays within 0..100 %: returns the forecast and the bound it was held at (or None)."""
    if forecast is None or not spec.is_share:
        return forecast, None
    if forecast.value > 100.0:
        return replace(forecast, value=100.0), 100.0
    if forecast.value < 0.0:
        return replace(forecast, value=0.0), 0.0
    return forecast, None


def _unit_entry(u: combine.UnitValue, units: Units) -> dict:
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


def _overdue(spec: TargetSpec, units: Units, kept: list[Observation], as_of: date, rules: Rules):
    """Overdue reports, per expected unit: [(unit, due date, days)], the longest overdue first.

    A unit's report is in when it, or an organisation above it, has a figure for the period.
    Without expected units (a bare engine call), the target's figures are read as one unit's.
    """
    if spec.frequency is None:
        return []
    expected = combine.expected_units(units, spec.across_units)
    if not expected:
        due = pace.overdue(start=spec.period_start, end=spec.period_end, frequency=spec.frequency,
                           figure_dates=[o.period_date for o in kept], as_of=as_of, grace_days=rules.reporting_grace_days)
        return [(units.root, *due)] if due else []
    dates: dict[int, list[date]] = {}
    for o in kept:
        dates.setdefault(o.organization_id, []).append(o.period_date)
    out = []
    for e in expected:
        mine = list(dates.get(e, ()))
        for above in units.ancestors(e):
            mine += dates.get(above, ())
        due = pace.overdue(start=spec.period_start, end=spec.period_end, frequency=spec.frequency,
                           figure_dates=sorted(mine), as_of=as_of, grace_days=rules.reporting_grace_days)
        if due:
            out.append((e, *due))
    return sorted(out, key=lambda x: (-x[2], units.label(x[0])))


def evaluate(
    spec: TargetSpec,
    observations,
    *,
    as_of: date,
    known_at: datetime | None = None,
    rules: Rules = Rules(),
    units: Units = Units(),
    excluded: list[tuple[Observation, str]] = (),
) -> Evaluation:
    """Says where a target stands on `as_of` (with what was recorded by `known_at`), and why.

    `units`: the plan's organisation, its tree and the units expected to report. Every figure
    handed in either counts (`observation_ids`) or is listed in the explanation's `not_counted`
    with the reason; every unit that reported is in `units`, counted or not and why.
    `excluded`: figures the caller already set aside (versions replaced by a correction), with why.
    """
    phase = phase_on(spec.period_end, as_of)
    selected, not_counted = combine.select(observations, as_of, known_at)
    not_counted += list(excluded)
    kept = [o for o in selected if o.period_date >= spec.period_start]
    not_counted += [(o, combine.BEFORE_PERIOD) for o in selected if o.period_date < spec.period_start]
    higher = spec.direction == Direction.HIGHER_IS_BETTER
    started = as_of >= spec.period_start

    measured = compared = done = None
    verdict, rule, facts = Status.NO_DATA, "no figure yet", {}
    if spec.comparison == Comparison.MILESTONE:
        roll = combine.rollup_done(spec.across_units, units, kept)
        done = roll.done
        if done is not None:
            verdict = Status.ACHIEVED if done else Status.NOT_ACHIEVED
            rule = "milestone: reported done" if done else "milestone: reported not done"
    else:
        roll = combine.rollup(spec.aggregation, spec.across_units, spec.ratio_scale, units, kept)
        measured = roll.measured
        if measured is not None:
            compared = _judged_value(spec, measured)
            verdict, rule, facts = judge(spec, compared, rules)
    used = roll.used
    not_counted += roll.not_counted
    reporters = {u.organization_id for u in roll.units}
    coverage = combine.coverage(units, spec.across_units, reporters)
    provisional = bool(used) and coverage is not None and not coverage.complete

    # Pace: where the figure should be by now, and where it is heading.
    goal = goal_of(spec)
    share = pace.expected_share(spec.period_start, spec.period_end, min(as_of, spec.period_end), spec.checkpoints)
    expected = performance = forecast = forecast_verdict = capped_at = None
    required_total = per_month = months_left = None
    if goal is not None:
        expected = pace.expected_at(goal=goal, share=share, is_flow=spec.is_flow, baseline=spec.baseline_value)
    if measured is not None and expected is not None:
        performance = pace.performance(measured, expected, higher)
    if measured is not None and goal is not None and phase == Phase.IN_PROGRESS:
        forecast = pace.forecast(
            actual=measured,
            share_due=share,
            is_flow=spec.is_flow,
            has_checkpoints=bool(spec.checkpoints),
            series=[] if spec.is_flow else _series(spec, kept, units),  # a flow's forecast is linear: no series
            end=spec.period_end,
        )
        forecast, capped_at = _cap(spec, forecast)
        if forecast is not None:
            forecast_verdict = judge(spec, _judged_value(spec, forecast.value), rules)[0]
        months_left = pace.months_between(as_of, spec.period_end)
        if spec.is_flow and higher:
            required_total = max(0.0, goal - measured)
            per_month = required_total / months_left if months_left >= 1 / 31 else None
        elif not spec.is_flow:
            required_total = goal
    overdue = _overdue(spec, units, kept, as_of, rules)
    due = (overdue[0][1], overdue[0][2]) if overdue else None

    if not used:
        status = Status.NO_DATA
        if not started:
            rule = "not started: the period has not begun"
    elif phase == Phase.FINAL:
        status = verdict
    elif spec.comparison == Comparison.MILESTONE:
        status, rule = (Status.ACHIEVED_EARLY, rule) if done else (Status.ON_TRACK, "milestone: not done yet, due by the end")
    elif verdict in MET and _locked_in(spec) and not provisional:
        status, rule = Status.ACHIEVED_EARLY, rule + "; already met and cannot be undone by later figures"
    elif verdict in MET and not spec.is_flow:
        status = Status.ON_TRACK  # a level that meets its condition today is on track
    elif performance is None or _ge(performance, rules.on_track_from):  # bands absorb float noise too
        status = Status.ON_TRACK
    elif _ge(performance, rules.at_risk_from):
        status = Status.AT_RISK
    else:
        status = Status.OFF_TRACK

    explanation = {
        "rule": rule,
        "comparison": str(spec.comparison),
        "direction": str(spec.direction),
        "aggregation": str(spec.aggregation),
        "across_units": str(spec.across_units),
        "is_percentage": spec.is_percentage,
        "verdict_if_final": str(verdict),
        "inputs": len(used),
        **facts,
    }
    if not started:
        explanation["started"] = False
    if known_at is not None:
        explanation["known_at"] = known_at.isoformat()
    if measured is not None:
        explanation["measured"] = measured
    if roll.numerator is not None and spec.across_units == AcrossUnits.POOLED_RATIO:
        explanation["pooled"] = {"numerator": roll.numerator, "denominator": roll.denominator}
    if compared is not None and spec.comparison == Comparison.CHANGE:
        explanation.update(baseline=spec.baseline_value, change=compared, change_basis=str(spec.change_basis))
    gap = _gap(spec, compared)
    if gap is not None:
        explanation["gap"] = gap
    if phase == Phase.IN_PROGRESS and goal is not None:
        explanation.update(goal=goal, expected=expected, expected_share=round(share, 6), on_track_from=rules.on_track_from)
        if performance is not None:
            explanation["pace"] = round(performance, 6)
        if forecast is not None:
            explanation["forecast"] = {"method": forecast.method, "value": forecast.value, "verdict": str(forecast_verdict)}
            if capped_at is not None:
                explanation["forecast"]["capped_at"] = capped_at
        if required_total is not None:
            explanation["required"] = {"total": required_total, "per_month": per_month, "months_remaining": round(months_left, 2)}
    if due is not None:
        explanation["overdue"] = {"due_date": due[0].isoformat(), "days": due[1]}
    explanation["units"] = [_unit_entry(u, units) for u in roll.units]
    if coverage is not None:
        explanation["coverage"] = {
            "expected": coverage.expected,
            "reported": coverage.reported,
            "missing": [{"organization_id": m, "code": units.label(m)} for m in coverage.missing],
        }
    if overdue and (len(overdue) > 1 or overdue[0][0] != units.root):
        explanation["overdue_units"] = [
            {"organization_id": org, "code": units.label(org), "due_date": d.isoformat(), "days": days} for org, d, days in overdue
        ]
    explanation["not_counted"] = [
        {"submission_id": o.id, "organization_id": o.organization_id, "date": o.period_date.isoformat(), "reason": why}
        for o, why in sorted(not_counted, key=lambda p: (p[0].period_date, p[0].organization_id, p[0].id or 0))
    ]

    result = Evaluation(
        phase=phase,
        status=status,
        as_of=as_of,
        measured=measured,
        compared=compared,
        done=done,
        rests_on_estimate=any(o.is_estimate for o in used),
        observation_ids=tuple(o.id for o in used if o.id is not None),
        rule=rule,
        verdict_if_final=verdict,
        goal=goal,
        expected=expected if phase == Phase.IN_PROGRESS else None,
        expected_share=share if phase == Phase.IN_PROGRESS else None,
        pace=performance if phase == Phase.IN_PROGRESS else None,
        forecast=forecast,
        forecast_verdict=forecast_verdict,
        forecast_capped_at=capped_at,
        required_total=required_total,
        required_per_month=per_month,
        months_remaining=months_left,
        overdue_since=due[0] if due else None,
        overdue_days=due[1] if due else None,
        started=started,
        provisional=provisional,
        coverage=coverage,
        counted_units=sum(1 for u in roll.units if u.counted),
        context_units=sum(1 for u in roll.units if not u.counted),
        root_alone=[u.organization_id for u in roll.units if u.counted] == [units.root],
        pooled=(roll.numerator, roll.denominator) if roll.numerator is not None and spec.across_units == AcrossUnits.POOLED_RATIO else None,
        explanation=explanation,
    )
    vi, en = describe(spec, result)
    return replace(result, message_vi=vi, message_en=en)


def _gap(spec: TargetSpec, x: float | None) -> float | None:
    """Signed distance from the threshold that decides, positive when better."""
    if x is None:
        return None
    if spec.comparison == Comparison.BETWEEN:
        near = spec.low if x < spec.low else spec.high if x > spec.high else None
        if near is None:
            return 0.0
        diff = x - near
    else:
        diff = x - spec.value
    # Rounded so that float noise (0.5999999999999943) does not reach readers.
    return round(diff if spec.direction == Direction.HIGHER_IS_BETTER else -diff, 9)


def history(
    spec: TargetSpec, observations, *, as_of: date, known_at: datetime | None = None, rules: Rules = Rules(),
    units: Units = Units(),
) -> list[Evaluation]:
    """The status as it stood on each date a figure refers to, up to `as_of`."""
    observations = list(observations)
    kept = select_observations(observations, as_of, known_at)
    dates = sorted({o.period_date for o in kept if o.period_date >= spec.period_start})
    return [evaluate(spec, observations, as_of=d, known_at=known_at, rules=rules, units=units) for d in dates]
