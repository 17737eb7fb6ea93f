"""Judging: a value against the target's comparison, the plan's near-miss band; goal and gap.

Judging follows how committees assess in practice (see docs/ARCHITECTURE.md):
a range is achieved inside and exceeded beyond its better end; a point or floor
is achieved at the value and exceeded when beaten; "about X" has no tolerance
unless the target sets one; a ceiling that is met is achieved, and only counts
as exceeded when the plan sets an explicit margin. "more than" and "less than"
are read loosely, as practice reads "trên X" / "dưới X": the boundary value
itself is achieved. Stdlib only.
"""

from __future__ import annotations

import math

from app.engine.types import Rules, TargetSpec
from app.engine.vocabulary import (
    CEILING_KINDS,
    FLOOR_KINDS,
    AcrossUnits,
    Aggregation,
    ChangeBasis,
    Comparison,
    Direction,
    Status,
)


def eq(a: float, b: float) -> bool:
    # Absorbs float noise (0.1 + 0.2 vs 0.3) without blurring real differences.
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)


def ge(a: float, b: float) -> bool:
    return a > b or eq(a, b)


def better(a: float, b: float, direction: Direction) -> bool:
    """True when a is strictly better than b (beyond float noise)."""
    if eq(a, b):
        return False
    return a > b if direction == Direction.HIGHER_IS_BETTER else a < b


def threshold(spec: TargetSpec) -> float:
    """The target's value; definition_errors requires one of every kind but 'between' and milestones."""
    if spec.value is None:
        raise ValueError(f"a '{spec.comparison}' target has no value")
    return spec.value


def range_ends(spec: TargetSpec) -> tuple[float, float]:
    """A 'between' target's (low, high); definition_errors requires both."""
    if spec.low is None or spec.high is None:
        raise ValueError(f"a '{spec.comparison}' target has no low and high")
    return spec.low, spec.high


def baseline(spec: TargetSpec) -> float:
    """A 'change' target's baseline value; definition_errors requires one."""
    if spec.baseline_value is None:
        raise ValueError(f"a '{spec.comparison}' target has no baseline value")
    return spec.baseline_value


def judge(spec: TargetSpec, x: float, rules: Rules = Rules()) -> tuple[Status, str, dict]:
    """Final verdict for the judged value x, with the plan's near-miss band; returns (verdict, rule, facts)."""
    verdict, rule, facts = judge_strictly(spec, x, rules)
    band = rules.near_miss_band
    if verdict == Status.NOT_ACHIEVED and band:
        edge = decisive_threshold(spec, x)
        if abs(x - edge) <= band * abs(edge) or eq(abs(x - edge), band * abs(edge)):
            return Status.BASICALLY_ACHIEVED, rule + "; within the near-miss band", {**facts, "near_miss_band": band}
    return verdict, rule, facts


def decisive_threshold(spec: TargetSpec, x: float) -> float:
    """The threshold a miss is measured from: the value, or the range end nearer to x."""
    if spec.comparison == Comparison.BETWEEN:
        low, high = range_ends(spec)
        return low if abs(x - low) <= abs(x - high) else high
    return threshold(spec)


def judge_strictly(spec: TargetSpec, x: float, rules: Rules) -> tuple[Status, str, dict]:
    kind, d = spec.comparison, spec.direction
    if kind == Comparison.BETWEEN:
        lo, hi = range_ends(spec)
        inside = ge(x, lo) and ge(hi, x)
        better_end = hi if d == Direction.HIGHER_IS_BETTER else lo
        if inside:
            return Status.ACHIEVED, "range: inside the range", {"low": lo, "high": hi}
        if better(x, better_end, d):
            return Status.EXCEEDED, "range: beyond its better end", {"low": lo, "high": hi}
        return Status.NOT_ACHIEVED, "range: short of its worse end", {"low": lo, "high": hi}

    if kind == Comparison.MILESTONE:  # pragma: no cover - milestones are judged on `done`
        raise ValueError("milestones are judged on done/not done")

    t = threshold(spec)
    if kind in FLOOR_KINDS:
        met = ge(x, t)
        if not met:
            return Status.NOT_ACHIEVED, "floor: below the floor", {"threshold": t}
        if d == Direction.HIGHER_IS_BETTER and better(x, t, d):
            return Status.EXCEEDED, "floor: above the floor", {"threshold": t}
        return Status.ACHIEVED, "floor: at the floor" if eq(x, t) else "floor: met", {"threshold": t}

    if kind in CEILING_KINDS:
        met = ge(t, x)
        if not met:
            return Status.NOT_ACHIEVED, "ceiling: above the ceiling", {"threshold": t}
        margin = rules.ceiling_exceed_margin
        if d == Direction.LOWER_IS_BETTER and margin is not None and ge(t - x, margin) and not eq(x, t):
            return Status.EXCEEDED, "ceiling: beaten by the exceed margin", {"threshold": t, "margin": margin}
        return Status.ACHIEVED, "ceiling: met", {"threshold": t}

    # point kinds: equal, approximately, change. Within the tolerance is achieved,
    # beyond it on the better side exceeded, beyond it on the worse side not.
    tol = spec.tolerance or 0.0
    facts = {"target": t, "tolerance": tol}
    if abs(x - t) <= tol or eq(abs(x - t), tol) or eq(x, t):
        return Status.ACHIEVED, "point: at the target" + (" within tolerance" if tol else ""), facts
    if better(x, t, d):
        return Status.EXCEEDED, "point: better than the target", facts
    return Status.NOT_ACHIEVED, "point: worse than the target", facts


def change_from_baseline(spec: TargetSpec, level: float) -> float:
    """The change a measured level represents against the baseline."""
    base = baseline(spec)
    if spec.change_basis == ChangeBasis.RELATIVE_PERCENT:
        return (level - base) / abs(base) * 100.0
    if spec.change_basis == ChangeBasis.FACTOR:
        return level / base
    return level - base


def judged_value(spec: TargetSpec, measured: float) -> float:
    return change_from_baseline(spec, measured) if spec.comparison == Comparison.CHANGE else measured


def goal_of(spec: TargetSpec) -> float | None:
    """The value the measured figure must reach: threshold, the range's worse end, or a change's level."""
    kind, higher = spec.comparison, spec.direction == Direction.HIGHER_IS_BETTER
    if kind == Comparison.MILESTONE:
        return None
    if kind == Comparison.BETWEEN:
        return spec.low if higher else spec.high
    if kind == Comparison.CHANGE:
        base, change = baseline(spec), threshold(spec)
        if spec.change_basis == ChangeBasis.RELATIVE_PERCENT:  # relative to |baseline|, as the judge measures it
            return base + abs(base) * change / 100.0
        if spec.change_basis == ChangeBasis.FACTOR:
            return base * change
        return base + change
    return spec.value


def gap(spec: TargetSpec, x: float | None) -> float | None:
    """Signed distance from the threshold that decides, positive when better."""
    if x is None:
        return None
    if spec.comparison == Comparison.BETWEEN:
        low, high = range_ends(spec)
        near = low if x < low else high if x > high else None
        if near is None:
            return 0.0
        diff = x - near
    else:
        diff = x - threshold(spec)
    # Rounded so that float noise (0.5999999999999943) does not reach readers.
    return round(diff if spec.direction == Direction.HIGHER_IS_BETTER else -diff, 9)


def locked_in(spec: TargetSpec) -> bool:
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
