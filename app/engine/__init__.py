"""The status engine, on the ground floor: pure, standard library only, importing nothing else of app.

- vocabulary.py  the kinds: Comparison, Direction, ChangeBasis, Aggregation, AcrossUnits, Frequency,
                 Status, Phase (and default_direction)
- types.py       the values: TargetSpec, Rules, Observation, Units, Coverage, Checkpoint, Forecast, Evaluation
- definitions.py definition_errors: whether a target's definition is consistent
- combine.py     over time within each unit, across units, coverage
- judging.py     a value against the comparison; goal and gap
- pace.py        expected share and value, pace, forecast, reporting calendar
- engine.py      evaluate (its steps) and history
- explain.py     the explanation's facts; wording.py the sentences; rollup.py counts and headlines

This package's names are re-exported here: `from app.engine import evaluate, TargetSpec, ...`.
Modules of the package import each other by module, never through this file.
"""

from app.engine.definitions import definition_errors
from app.engine.engine import evaluate, history, phase_on, select_observations
from app.engine.judging import change_from_baseline, goal_of, judge
from app.engine.types import Checkpoint, Coverage, Evaluation, Forecast, Observation, Rules, TargetSpec, Units
from app.engine.vocabulary import (
    CEILING_KINDS,
    FLOOR_KINDS,
    FLOW_AGGREGATIONS,
    MET,
    POINT_KINDS,
    VERDICT_ORDER,
    AcrossUnits,
    Aggregation,
    ChangeBasis,
    Comparison,
    Direction,
    Frequency,
    Phase,
    Status,
    default_direction,
)

__all__ = [
    "CEILING_KINDS",
    "FLOOR_KINDS",
    "FLOW_AGGREGATIONS",
    "MET",
    "POINT_KINDS",
    "VERDICT_ORDER",
    "AcrossUnits",
    "Aggregation",
    "ChangeBasis",
    "Checkpoint",
    "Comparison",
    "Coverage",
    "Direction",
    "Evaluation",
    "Forecast",
    "Frequency",
    "Observation",
    "Phase",
    "Rules",
    "Status",
    "TargetSpec",
    "Units",
    "change_from_baseline",
    "default_direction",
    "definition_errors",
    "evaluate",
    "goal_of",
    "history",
    "judge",
    "phase_on",
    "select_observations",
]
