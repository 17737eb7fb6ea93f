"""The engine's vocabulary: the kinds of comparison, directions, aggregations, verdicts.

Stdlib only. Table models (app/targets/models.py, app/plans/models.py, ...) and the exchange
read these names to store and parse targets; nothing here knows about rows.
"""

from __future__ import annotations

from enum import StrEnum


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


class Aggregation(StrEnum):
    """How one unit's figures combine over time."""

    LATEST = "latest"
    SUM = "sum"
    CUMULATIVE = "cumulative"
    MEAN = "mean"
    MAX = "max"
    MIN = "min"


class AcrossUnits(StrEnum):
    """How the units' values combine into the plan organisation's."""

    OWN = "own"
    SUM = "sum"
    POOLED_RATIO = "pooled_ratio"
    MEAN = "mean"
    MIN = "min"
    MAX = "max"


# Over time: flows accumulate through the period (their pace grows with time).
FLOW_AGGREGATIONS = frozenset({Aggregation.SUM, Aggregation.CUMULATIVE})


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"


def default_direction(comparison: Comparison, value: float | None) -> Direction:
    """Ceilings and cuts are better lower; everything else higher."""
    if comparison in CEILING_KINDS or (comparison == Comparison.CHANGE and value is not None and value < 0):
        return Direction.LOWER_IS_BETTER
    return Direction.HIGHER_IS_BETTER
