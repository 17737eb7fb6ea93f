"""engine.series_of in one pass equals the definition: the roll-up over the figures up to each date."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from app.engine import AcrossUnits, Aggregation, Comparison, Observation, TargetSpec, Units, combine, engine

# Units 1..5 under a root 0, and 6 under 1 (its figure is covered whenever 1 has one).
UNITS = Units(root=0, parent={0: None, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 1}, expected=(1, 2, 3, 4, 5))


def by_definition(spec: TargetSpec, kept: list[Observation]) -> list[tuple[date, float]]:
    """The quadratic reference: each date's point is the roll-up over the prefix."""
    numeric = [o for o in kept if combine.is_numeric(o)]
    points = []
    for d in sorted({o.period_date for o in numeric}):
        roll = combine.rollup(spec.aggregation, spec.across_units, spec.ratio_scale, UNITS, [o for o in kept if o.period_date <= d])
        if roll.measured is not None:
            points.append((d, roll.measured))
    return points


def figures(rng: random.Random, n: int, shape: str) -> list[Observation]:
    start, out = date(2025, 1, 1), []
    for k in range(n):
        kind = shape if shape != "mixed" else rng.choice(["value", "ratio", "done"])
        value = num = den = done = None
        if kind == "value":
            value = rng.choice([rng.uniform(-1e6, 1e6), rng.uniform(0, 1), 0.1, 1e15, -1e15, 3.0])
        elif kind == "ratio":
            den = float(rng.randint(0, 90))  # 0: a ratio over nothing, ignored
            num = float(rng.randint(0, 90))
        else:
            done = rng.random() < 0.5
        out.append(Observation(start + timedelta(days=rng.randint(0, 40)), datetime(2025, 6, 1, tzinfo=UTC) + timedelta(seconds=k),
                               organization_id=rng.randint(0, 6), value=value, numerator=num, denominator=den, done=done, id=k + 1))
    return engine.select_observations(out, date(2025, 12, 31))


@pytest.mark.parametrize("aggregation", list(Aggregation))
@pytest.mark.parametrize("across", list(AcrossUnits))
@pytest.mark.parametrize("shape", ["value", "ratio", "mixed"])
@pytest.mark.parametrize("percent", [True, False])
def test_one_pass_series_equals_the_definition(aggregation, across, shape, percent):
    rng = random.Random(f"{aggregation}{across}{shape}{percent}")
    spec = TargetSpec(comparison=Comparison.AT_LEAST, period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
                      value=1.0, aggregation=aggregation, across_units=across, is_percentage=percent)
    for n in (0, 1, 2, 5, 30, 200):
        kept = figures(rng, n, shape)
        assert engine.series_of(spec, kept, UNITS) == by_definition(spec, kept), (n, kept)


def test_exact_running_sums_round_like_fsum():
    rng = random.Random(3)
    xs = [rng.choice([1e16, 1.0, -1e16, 0.1, rng.uniform(-1, 1)]) for _ in range(500)]
    partials: list[float] = []
    for k, x in enumerate(xs, 1):
        combine.add_exact(partials, x)
        assert math.fsum(partials) == math.fsum(xs[:k])
