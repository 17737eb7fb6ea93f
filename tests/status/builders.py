"""The engine tests' builders: a target spec and a figure in a line each.

Each test module binds its own defaults (its period, its as-of date, its recording time) with
functools.partial, e.g. `spec = partial(builders.spec, start=START, end=END)`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.engine import AcrossUnits, Aggregation, Comparison, Direction, Observation, TargetSpec


def spec(
    kind,
    value=None,
    *,
    start: date,
    end: date,
    d=Direction.HIGHER_IS_BETTER,
    low=None,
    high=None,
    tol=None,
    base=None,
    basis=None,
    agg="latest",
    unit="",
    across="own",
    title="",
    **kw,
) -> TargetSpec:
    """A target of `kind` over start..end; a unit starting with % makes it a percentage (as the API defaults).
    Other TargetSpec fields (checkpoints, frequency, may_exceed_whole, ...) pass through."""
    if "checkpoints" in kw:
        kw["checkpoints"] = tuple(kw["checkpoints"])
    return TargetSpec(
        comparison=Comparison(kind),
        period_start=start,
        period_end=end,
        direction=d,
        value=value,
        low=low,
        high=high,
        tolerance=tol,
        baseline_value=base,
        change_basis=basis,
        aggregation=Aggregation(agg),
        unit=unit,
        across_units=AcrossUnits(across),
        is_percentage=unit.strip().startswith("%"),
        title=title,
        **kw,
    )


def obs(
    value=None,
    *,
    on: date,
    at: datetime | int | None = None,
    base: datetime | None = None,
    org=0,
    est=False,
    num=None,
    den=None,
    done=None,
    id=None,
) -> Observation:
    """A figure dated `on`, recorded at `at`: a datetime, or minutes after `base`."""
    if isinstance(at, datetime):
        recorded = at
    elif base is not None:
        recorded = base + timedelta(minutes=at or 0)
    else:
        raise TypeError("obs() needs `at`: a datetime, or minutes after a `base`")
    return Observation(
        period_date=on,
        recorded_at=recorded,
        organization_id=org,
        value=value,
        numerator=num,
        denominator=den,
        done=done,
        is_estimate=est,
        id=id,
    )
