"""A stored target as the engine sees it: row → `TargetSpec`.

`spec_of` takes a `Target` or any row with the same columns (app/status/queries.py reads
only the columns it needs, its JSON columns as their stored text: `json_value`), and the plan
(or anything with its start and end dates).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from app.engine import AcrossUnits, Aggregation, ChangeBasis, Checkpoint, Comparison, Direction, Frequency, TargetSpec
from app.plans.models import Plan
from app.targets.models import Target


def json_value(value: Any) -> Any:
    """A JSON column's value: as the ORM gives it, or parsed from the text a status statement read
    (app/status/queries.py SPEC_COLUMNS reads `checkpoints` and `reporting_unit_ids` as text: the plan
    status hashes every target's row and judges only the stale ones, so only those need it parsed)."""
    return json.loads(value) if isinstance(value, str) else value


def spec_of(target: Target, plan: Plan) -> TargetSpec:
    """The engine's view of a stored target."""
    return TargetSpec(
        comparison=Comparison(target.comparison),
        period_start=plan.start_date,
        period_end=plan.end_date,
        direction=Direction(target.direction),
        value=target.value,
        low=target.low,
        high=target.high,
        tolerance=target.tolerance,
        baseline_value=target.baseline_value,
        change_basis=ChangeBasis(target.change_basis) if target.change_basis else None,
        aggregation=Aggregation(target.aggregation),
        across_units=AcrossUnits(target.across_units),
        is_percentage=bool(target.is_percentage),
        may_exceed_whole=bool(target.may_exceed_whole),
        unit=target.unit,
        title=target.title,
        title_en=target.title_en,
        checkpoints=tuple(
            Checkpoint(on=date.fromisoformat(c["date"]), share=c["share"]) for c in json_value(target.checkpoints) or ()
        ),
        frequency=Frequency(target.frequency) if target.frequency else None,
    )
