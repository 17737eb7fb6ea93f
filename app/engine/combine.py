"""From many figures of many units to the one value a target is judged on. Pure: stdlib only.

Two questions are kept apart, on every target (DHIS2 keeps them apart the same way):

- **over time, within one unit** (`Aggregation`): a level (`latest`: the last figure dated up
  to as-of), increments (`sum`: each figure covers its own period), figures to date
  (`cumulative`: each already contains the earlier ones: the latest counts, never added), or
  the `mean`, `max` or `min` of the unit's figures;
- **across units** (`AcrossUnits`): the plan organisation's `own` figure only (the units'
  figures are context), their `sum`, a `pooled_ratio` (Σ numerators / Σ denominators of the
  units' values: shares are never averaged), their `mean`, `min` or `max`.

A figure from an organisation stands for its whole subtree: when an organisation and some of
its descendants have figures, the organisation's counts and the descendants' are its
breakdown, never added on top (`covered`).

Every figure handed in either counts or comes back with the reason it does not; every unit
expected to report is counted as reported or listed as missing (`Coverage`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from app.engine.types import Coverage, Observation, Units
from app.engine.vocabulary import AcrossUnits, Aggregation


@dataclass
class UnitValue:
    """One unit's value over time, and whether it counts across units."""

    organization_id: int
    value: float | None
    numerator: float | None
    denominator: float | None
    done: bool | None
    on: date  # the date of the latest figure the value rests on
    used: list[Observation]
    counted: bool = True
    reason: str = "counted"


@dataclass
class Rollup:
    """The combined value, the figures it rests on, and everything that does not count, with why."""

    measured: float | None
    done: bool | None
    used: list[Observation]
    units: list[UnitValue]
    not_counted: list[tuple[Observation, str]]
    numerator: float | None = None  # pooled_ratio: the sums pooled
    denominator: float | None = None


# Reasons a figure or a unit does not count (stable strings: clients may match on them).
SUPERSEDED_BY_OFFICIAL = "superseded: an official figure for the same unit and date counts instead of this estimate"
SUPERSEDED_BY_LATER = "superseded: a figure recorded later for the same unit, date and estimate flag counts"
BEFORE_PERIOD = "outside the period: dated before the plan's period starts"
EARLIER_LEVEL = "an earlier level: the unit's latest figure counts"
EARLIER_TO_DATE = "an earlier figure to date: the unit's latest figure already contains it"
NOT_EXTREME = {Aggregation.MAX: "not the unit's largest figure", Aggregation.MIN: "not the unit's smallest figure"}
NOT_A_RATIO = "a plain value cannot be pooled: this target pools numerators and denominators"
NO_FIGURE = "no numeric figure"
# Approval (a plan setting): the caller sets these figures aside before combining (`evaluate`'s `excluded`).
AWAITING_APPROVAL = "awaiting approval: submitted, not yet approved by an editor above the reporting unit"
RETURNED = "returned: sent back to the reporting unit for correction"


def covered_reason(units: Units, by: int) -> str:
    return f"covered: {units.label(by)}'s own figure stands for its whole subtree"


def context_reason(units: Units) -> str:
    return f"context: this target counts only {units.label(units.root)}'s own figure"


def is_ratio(obs: Observation) -> bool:
    # A ratio over nothing says nothing; the API refuses it, the engine ignores it.
    return obs.numerator is not None and obs.denominator is not None and obs.denominator > 0


def is_numeric(obs: Observation) -> bool:
    return obs.value is not None or is_ratio(obs)


T = TypeVar("T")


def known(x: T | None, what: str) -> T:
    """x, which the caller's logic guarantees is set; a clear error on the impossible state."""
    if x is None:
        raise ValueError(f"{what} is missing")
    return x


def _rank(obs: Observation) -> tuple:
    return (not obs.is_estimate, obs.recorded_at, obs.id or 0)


def select(observations: Iterable[Observation], as_of: date, known_at: datetime | None = None):
    """Keeps the figures that count on `as_of`: one per organisation and date; returns (kept, dropped).

    Figures dated after `as_of`, or recorded after `known_at` (when given), are not part of the
    picture at all (that is what makes "what did the 6-month review see?" answerable after later
    corrections). For the same organisation and date an official figure supersedes an estimate,
    and among equals the one recorded last wins; the others come back in `dropped` with why.
    """
    best: dict[tuple[int, date], Observation] = {}
    dropped: list[tuple[Observation, str]] = []
    for obs in observations:
        if obs.period_date > as_of or (known_at is not None and obs.recorded_at > known_at):
            continue
        key = (obs.organization_id, obs.period_date)
        current = best.get(key)
        if current is None:
            best[key] = obs
            continue
        loser, winner = (current, obs) if _rank(obs) > _rank(current) else (obs, current)
        best[key] = winner
        dropped.append((loser, SUPERSEDED_BY_OFFICIAL if loser.is_estimate and not winner.is_estimate else SUPERSEDED_BY_LATER))
    kept = sorted(best.values(), key=lambda o: (o.period_date, o.organization_id))
    return kept, dropped


def add_exact(partials: list[float], x: float) -> None:
    """Adds x to a running sum kept exactly, as non-overlapping partials (Shewchuk's algorithm,
    the one math.fsum uses); math.fsum(partials) is then the correctly rounded total."""
    i = 0
    for y in partials:
        if abs(x) < abs(y):
            x, y = y, x
        hi = x + y
        lo = y - (hi - x)
        if lo:
            partials[i] = lo
            i += 1
        x = hi
    partials[i:] = [x]


class UnitAccumulator:
    """One unit's figures over time, fed in date order; `value()` is the unit's value so far.

    The same accumulator serves the final value and the series through time (each date's value
    is the value over the figures up to it), so the two cannot disagree.
    """

    __slots__ = ("agg", "scale", "last", "nums", "dens", "values", "count", "all_ratios", "extreme", "extreme_obs", "on")

    def __init__(self, agg: Aggregation, scale: float):
        self.agg, self.scale = agg, scale
        self.last: Observation | None = None
        self.nums: list[float] = []
        self.dens: list[float] = []
        self.values: list[float] = []
        self.count, self.all_ratios = 0, True
        self.extreme: float | None = None
        self.extreme_obs: Observation | None = None
        self.on: date | None = None

    def single(self, obs: Observation) -> float:
        num, den = obs.numerator, obs.denominator
        if num is not None and den is not None and den > 0:  # is_ratio(obs), spelled out so the types narrow
            return num / den * self.scale
        value = obs.value  # inline, not known(): this runs once per figure
        if value is None:
            raise ValueError("a figure with neither a value nor a ratio: only numeric figures are combined")
        return value

    def add(self, obs: Observation) -> None:
        single = self.single(obs)
        self.last, self.on = obs, obs.period_date
        num, den = obs.numerator, obs.denominator
        if num is not None and den is not None and den > 0:  # is_ratio(obs)
            add_exact(self.nums, num)
            add_exact(self.dens, den)
        else:
            self.all_ratios = False
        add_exact(self.values, single)
        self.count += 1
        if (
            self.extreme is None
            or (self.agg == Aggregation.MIN and single <= self.extreme)
            or (self.agg != Aggregation.MIN and single >= self.extreme)
        ):
            self.extreme, self.extreme_obs = single, obs  # ties: the later figure

    def value(self) -> tuple[float, float | None, float | None]:
        """(value in the target's unit, numerator, denominator); the ratio parts only for ratio figures."""
        agg = self.agg
        if agg in (Aggregation.LATEST, Aggregation.CUMULATIVE):
            o = known(self.last, "a unit's latest figure")
            return self.single(o), (o.numerator if is_ratio(o) else None), (o.denominator if is_ratio(o) else None)
        if agg in (Aggregation.MAX, Aggregation.MIN):
            o = known(self.extreme_obs, "a unit's extreme figure")
            return (
                known(self.extreme, "a unit's extreme value"),
                (o.numerator if is_ratio(o) else None),
                (o.denominator if is_ratio(o) else None),
            )
        if self.all_ratios:  # percentages never add nor average: ratios pool over time too
            num, den = math.fsum(self.nums), math.fsum(self.dens)
            return num / den * self.scale, num, den
        if agg == Aggregation.SUM:
            return math.fsum(self.values), None, None
        return math.fsum(self.values) / self.count, None, None


def _within_unit(
    agg: Aggregation, figures: list[Observation], acc: UnitAccumulator
) -> tuple[list[Observation], list[tuple[Observation, str]]]:
    """Which of one unit's figures the unit's value rests on, and why the others do not count."""
    if agg in (Aggregation.SUM, Aggregation.MEAN):
        return list(figures), []
    if agg in (Aggregation.LATEST, Aggregation.CUMULATIVE):
        chosen = acc.last
        why = EARLIER_LEVEL if agg == Aggregation.LATEST else EARLIER_TO_DATE
    else:
        chosen, why = acc.extreme_obs, NOT_EXTREME[agg]
    return [known(chosen, "the figure a unit's value rests on")], [(o, why) for o in figures if o is not chosen]


def _counting_units(snapshots: Mapping[int, object], units: Units, across: AcrossUnits) -> dict[int, str]:
    """org -> reason it does not count, for the units with a value that do not; the others count."""
    out: dict[int, str] = {}
    if across == AcrossUnits.OWN:
        for org in snapshots:
            if org != units.root:
                out[org] = context_reason(units)
        return out
    for org in snapshots:
        for above in units.ancestors(org):
            if above in snapshots:
                out[org] = covered_reason(units, above)
                break
    return out


def across(spec_across: AcrossUnits, values: list[tuple[float, float | None, float | None]], scale: float):
    """Combines the counting units' (value, numerator, denominator); returns (measured, Σnum, Σden)."""
    if not values:
        return None, None, None
    if spec_across == AcrossUnits.POOLED_RATIO and all(n is not None for _, n, _ in values):
        num = math.fsum(n for _, n, _ in values if n is not None)  # all are set: the filter only narrows
        den = math.fsum(known(d, "a ratio's denominator") for _, _, d in values)
        return num / den * scale, num, den
    plain = [v for v, _, _ in values]
    if spec_across in (AcrossUnits.OWN, AcrossUnits.POOLED_RATIO):
        return plain[0], None, None  # one unit (own; or a single covering unit that reported a value)
    if spec_across == AcrossUnits.SUM:
        return math.fsum(plain), None, None
    if spec_across == AcrossUnits.MEAN:
        return math.fsum(plain) / len(plain), None, None
    return (max if spec_across == AcrossUnits.MAX else min)(plain), None, None


def rollup(agg: Aggregation, across_rule: AcrossUnits, scale: float, units: Units, kept: list[Observation]) -> Rollup:
    """The value of the figures `kept` (date-ordered, one per unit and date, in the period)."""
    by_unit: dict[int, list[Observation]] = {}
    for o in kept:
        by_unit.setdefault(o.organization_id, []).append(o)
    not_counted: list[tuple[Observation, str]] = []
    unit_values: dict[int, UnitValue] = {}
    for org, figures in by_unit.items():
        numeric = [o for o in figures if is_numeric(o)]
        if not numeric:
            continue
        acc = UnitAccumulator(agg, scale)
        for o in numeric:
            acc.add(o)
        used, unused = _within_unit(agg, numeric, acc)
        not_counted += unused
        value, num, den = acc.value()
        unit_values[org] = UnitValue(org, value, num, den, None, known(acc.on, "a unit's latest date"), used)
    excluded = _counting_units(unit_values, units, across_rule)
    if across_rule == AcrossUnits.POOLED_RATIO:
        counting = [u for org, u in unit_values.items() if org not in excluded]
        if len(counting) > 1:
            for u in counting:
                if u.numerator is None:
                    excluded[u.organization_id] = NOT_A_RATIO
    for org, why in excluded.items():
        u = unit_values[org]
        u.counted, u.reason = False, why
        not_counted += [(o, why) for o in u.used]
    counting = [u for u in unit_values.values() if u.counted]
    values = [(known(u.value, "a unit's value"), u.numerator, u.denominator) for u in counting]
    measured, num, den = across(across_rule, values, scale)
    used = sorted((o for u in counting for o in u.used), key=lambda o: (o.period_date, o.organization_id))
    ordered = sorted(unit_values.values(), key=lambda u: (not u.counted, units.label(u.organization_id)))
    return Rollup(measured, None, used, ordered, not_counted, num, den)


def rollup_done(across_rule: AcrossUnits, units: Units, kept: list[Observation]) -> Rollup:
    """Milestones: each unit's latest report; `own` takes the root's, `min` needs every counting
    unit done, `max` any (the other rules read as `min`)."""
    latest: dict[int, Observation] = {}
    not_counted: list[tuple[Observation, str]] = []
    for o in kept:
        if o.done is None:
            continue
        if o.organization_id in latest:
            not_counted.append((latest[o.organization_id], "an earlier report: the unit's latest report counts"))
        latest[o.organization_id] = o
    unit_values = {org: UnitValue(org, None, None, None, o.done, o.period_date, [o]) for org, o in latest.items()}
    excluded = _counting_units(unit_values, units, across_rule)
    for org, why in excluded.items():
        unit_values[org].counted, unit_values[org].reason = False, why
        not_counted.append((latest[org], why))
    counting = [u for u in unit_values.values() if u.counted]
    done = None
    if counting:
        flags = [u.done for u in counting]
        done = any(flags) if across_rule == AcrossUnits.MAX else all(flags)
    used = sorted((o for u in counting for o in u.used), key=lambda o: (o.period_date, o.organization_id))
    ordered = sorted(unit_values.values(), key=lambda u: (not u.counted, units.label(u.organization_id)))
    return Rollup(None, done, used, ordered, not_counted)


def expected_units(units: Units, across_rule: AcrossUnits) -> tuple[int, ...]:
    """The units whose reports the coverage counts: the root alone for `own`, else `units.expected`."""
    if across_rule == AcrossUnits.OWN:
        return (units.root,)
    return units.expected


def coverage(units: Units, across_rule: AcrossUnits, reporters: set[int]) -> Coverage | None:
    """How many expected units reported: a unit counts as reported when it, or an organisation
    above it (whose figure stands for it), has a figure by as-of. None when nobody is expected."""
    expected = expected_units(units, across_rule)
    if not expected:
        return None
    missing = tuple(e for e in expected if e not in reporters and not any(a in reporters for a in units.ancestors(e)))
    return Coverage(expected=len(expected), reported=len(expected) - len(missing), missing=missing)


def series(
    agg: Aggregation, across_rule: AcrossUnits, scale: float, units: Units, kept: list[Observation]
) -> list[tuple[date, float]]:
    """The combined value as it stood at each figure's date (for trends and history), in one pass.

    Each point equals `rollup` over the figures up to its date: every unit keeps an accumulator,
    and at each date the counting units are combined again (units × dates, not figures²).
    """
    accs: dict[int, UnitAccumulator] = {}
    points: list[tuple[date, float]] = []
    i, n = 0, len(kept)
    while i < n:
        day, moved = kept[i].period_date, False
        while i < n and kept[i].period_date == day:
            o = kept[i]
            if is_numeric(o):
                accs.setdefault(o.organization_id, UnitAccumulator(agg, scale)).add(o)
                moved = True
            i += 1
        if not moved:
            continue
        snaps = {org: acc.value() for org, acc in accs.items()}
        excluded = _counting_units(snaps, units, across_rule)
        counting = [snap for org, snap in snaps.items() if org not in excluded]
        if across_rule == AcrossUnits.POOLED_RATIO and len(counting) > 1:
            counting = [s for s in counting if s[1] is not None]
        value = across(across_rule, counting, scale)[0]
        if value is not None:
            points.append((day, value))
    return points
