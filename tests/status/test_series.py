"""engine._series in one pass equals the definition: aggregate over the figures up to each date."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from app.status import engine
from app.status.engine import Aggregation, Comparison, Observation, TargetSpec


def by_definition(spec: TargetSpec, kept: list[Observation]) -> list[tuple[date, float]]:
    """The quadratic reference: each date's point is aggregate() over the prefix."""
    numeric = [o for o in kept if o.value is not None or engine._is_ratio(o)]
    points = []
    for d in sorted({o.period_date for o in numeric}):
        value, _ = engine.aggregate(spec, [o for o in kept if o.period_date <= d])
        if value is not None:
            points.append((d, value))
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
                               organization_id=rng.randint(1, 5), value=value, numerator=num, denominator=den, done=done, id=k + 1))
    return engine.select_observations(out, date(2025, 12, 31))


@pytest.mark.parametrize("aggregation", list(Aggregation))
@pytest.mark.parametrize("shape", ["value", "ratio", "mixed"])
@pytest.mark.parametrize("unit", ["%", "tấn"])
def test_one_pass_series_equals_the_definition(aggregation, shape, unit):
    rng = random.Random(f"{aggregation}{shape}{unit}")
    spec = TargetSpec(comparison=Comparison.AT_LEAST, period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
                      value=1.0, aggregation=aggregation, unit=unit)
    for n in (0, 1, 2, 5, 30, 200):
        kept = figures(rng, n, shape)
        assert engine._series(spec, kept) == by_definition(spec, kept), (n, kept)


def test_exact_running_sums_round_like_fsum():
    rng = random.Random(3)
    xs = [rng.choice([1e16, 1.0, -1e16, 0.1, rng.uniform(-1, 1)]) for _ in range(500)]
    partials: list[float] = []
    for k, x in enumerate(xs, 1):
        engine._add_exact(partials, x)
        assert math.fsum(partials) == math.fsum(xs[:k])
