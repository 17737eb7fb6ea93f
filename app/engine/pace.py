"""Pace, forecast and reporting calendar: the in-period half of the status engine.

Pure like the engine (standard library only). Given a target and the figure the
engine has combined, it answers three questions:

- what should the figure be by now? (`expected_at`): for a flow (sum), the goal
  times the share of the period that has passed, or the share the target's dated
  checkpoints give; for a level, the goal, or the straight line from the baseline
  to the goal when the target has a baseline;
- where will it end? (`forecast`): flows extrapolate linearly (or along the
  checkpoints); levels with two or more dated points follow the least-squares
  trend through them; with one point the last value is carried forward;
- is a report missing? (`overdue`): from the target's reporting frequency.

"Goal" is the value the target must reach: the threshold, the range's worse end
(low when higher is better), or for a `change` the level the change leads to.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from app.engine.types import Checkpoint, Forecast
from app.engine.vocabulary import Frequency

DAYS_PER_MONTH = 365.25 / 12
MONTHS_PER_REPORT = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.HALF_YEARLY: 6}


# ---------------------------------------------------------------- time


def elapsed_share(start: date, end: date, as_of: date) -> float:
    """Share of the period passed by the end of `as_of`, from 0 to 1 (days counted inclusively)."""
    total = (end - start).days + 1
    passed = (min(max(as_of, start - timedelta(days=1)), end) - start).days + 1
    return max(0.0, min(1.0, passed / total))


def expected_share(start: date, end: date, as_of: date, checkpoints: tuple[Checkpoint, ...] = ()) -> float:
    """Share of the goal due by `as_of`: linear in time, or through the checkpoints."""
    if not checkpoints:
        return elapsed_share(start, end, as_of)
    points = [(start - timedelta(days=1), 0.0)]
    points += [(c.on, c.share / 100.0) for c in sorted(checkpoints, key=lambda c: c.on) if start <= c.on <= end]
    if points[-1][0] < end:
        points.append((end, 1.0))
    if as_of <= points[0][0]:
        return 0.0
    for (d0, s0), (d1, s1) in zip(points, points[1:], strict=False):
        if as_of <= d1:
            span = (d1 - d0).days
            return s0 + (s1 - s0) * ((as_of - d0).days / span if span else 1.0)
    return points[-1][1]


def months_between(a: date, b: date) -> float:
    """Months from a to b, as a decimal (average month length)."""
    return max(0.0, (b - a).days / DAYS_PER_MONTH)


# ---------------------------------------------------------------- expected


def expected_at(*, goal: float, share: float, is_flow: bool, baseline: float | None) -> float:
    """What the combined figure should be when `share` of the goal is due."""
    if is_flow:
        return goal * share
    if baseline is None:
        return goal
    return baseline + (goal - baseline) * share


def performance(actual: float, expected: float, higher_is_better: bool) -> float:
    """Actual against expected as a ratio (1.0 = exactly on pace), sign-safe.

    For positive expectations this is actual / expected (higher is better) or
    expected / actual's mirror (lower is better): 1 + the relative gap.
    """
    if expected == 0:
        better_or_equal = actual >= 0 if higher_is_better else actual <= 0
        return 1.0 if better_or_equal else 0.0
    gap = (actual - expected) / abs(expected)
    return 1.0 + (gap if higher_is_better else -gap)


# ---------------------------------------------------------------- forecast


def linear_trend(points: list[tuple[date, float]], at: date) -> float:
    """Least-squares line through dated values, evaluated at `at`."""
    origin = points[0][0]
    xs = [(d - origin).days for d, _ in points]
    ys = [v for _, v in points]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return ys[-1]
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=False)) / sxx
    return mean_y + slope * ((at - origin).days - mean_x)


def forecast(
    *, actual: float, share_due: float, is_flow: bool, has_checkpoints: bool, series: list[tuple[date, float]], end: date
) -> Forecast | None:
    """Projects the end-of-period figure, naming the method used."""
    if is_flow:
        if share_due <= 0:
            return None
        return Forecast("checkpoints" if has_checkpoints else "linear", actual / share_due)
    if len({d for d, _ in series}) >= 2:
        return Forecast("trend", linear_trend(series, end))
    return Forecast("last_value", actual)


# ---------------------------------------------------------------- reporting calendar


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def due_dates(start: date, end: date, frequency: Frequency) -> list[date]:
    """The dates reports fall due within the period: calendar month, quarter or half-year ends, and the period end."""
    if frequency == Frequency.YEARLY:
        return [end]
    step = MONTHS_PER_REPORT[frequency]
    dues = []
    year, month = start.year, start.month
    while True:
        d = _month_end(year, month)
        if d > end:
            break
        if month % step == 0:
            dues.append(d)
        month += 1
        if month > 12:
            year, month = year + 1, 1
    if not dues or dues[-1] != end:
        dues.append(end)
    return dues


def overdue(
    *, start: date, end: date, frequency: Frequency | None, figure_dates: list[date], as_of: date, grace_days: int = 0
) -> tuple[date, int] | None:
    """The first report due after the latest figure, once its grace has passed: (due date, days overdue).

    A figure dated inside a reporting interval covers that interval and every
    earlier one (gaps before the latest figure are not chased).
    """
    if frequency is None:
        return None
    last = max(figure_dates, default=None)
    previous = start - timedelta(days=1)
    for due in due_dates(start, end, frequency):
        if last is None or previous >= last:
            days = (as_of - due).days
            return (due, days) if days > grace_days else None
        previous = due
    return None
