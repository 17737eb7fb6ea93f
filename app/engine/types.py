"""The engine's values: a target's definition, the plan's rules, a figure, who reports, the answer.

Stdlib only (and the engine's vocabulary).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from app.engine.vocabulary import (
    FLOW_AGGREGATIONS,
    AcrossUnits,
    Aggregation,
    ChangeBasis,
    Comparison,
    Direction,
    Frequency,
    Phase,
    Status,
)


@dataclass(frozen=True)
class Checkpoint:
    """By `on`, `share` percent of the goal should be reached (flows) or of the way from baseline to goal (levels)."""

    on: date
    share: float


@dataclass(frozen=True)
class Forecast:
    """A projected end-of-period figure and how it was made."""

    method: str  # linear | checkpoints | trend | last_value
    value: float


@dataclass(slots=True)
class Observation:
    """One reported figure: a value, a ratio, or done/not done.

    Not frozen, on purpose: a plan's status builds up to a million of these, and a frozen
    dataclass's __init__ (object.__setattr__ per field) cost more than reading the row.
    Treat it as a value all the same: nothing in the engine changes one.
    """

    period_date: date
    recorded_at: datetime
    organization_id: int = 0
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    done: bool | None = None
    is_estimate: bool = False
    id: int | None = None
    period_start: date | None = None


@dataclass(frozen=True)
class Units:
    """Who reports for a target: the organisation it belongs to, its tree, who is expected.

    - `root`: the plan's organisation (or, for a unit's own view, that unit);
    - `parent`: organisation id -> its parent, for the organisations under the root (the root's
      own entry may be absent or point outside). An organisation missing from the map is taken
      as a direct child of the root;
    - `expected`: the units expected to report (coverage); empty: coverage is not judged;
    - `labels`: organisation id -> code, for explanations.
    """

    root: int = 0
    parent: Mapping[int, int | None] = field(default_factory=dict)
    expected: tuple[int, ...] = ()
    labels: Mapping[int, str] = field(default_factory=dict)

    def ancestors(self, org: int) -> list[int]:
        """The organisations above `org` up to and including the root (nearest first); none for the root."""
        if org == self.root:
            return []
        out, seen = [], {org}
        current = self.parent.get(org, self.root)
        while current is not None and current not in seen:
            out.append(current)
            if current == self.root:
                break
            seen.add(current)
            current = self.parent.get(current, self.root)
        return out

    def label(self, org: int) -> str:
        return self.labels.get(org, str(org))


@dataclass(frozen=True)
class Coverage:
    """How many of the units expected to report did so by as-of (DHIS2's reporting rate)."""

    expected: int
    reported: int
    missing: tuple[int, ...]

    @property
    def complete(self) -> bool:
        return self.reported >= self.expected


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
