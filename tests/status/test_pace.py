"""Tests for the in-period half of the status engine (app/engine/pace.py and its use in
engine.evaluate), written against the spec.

Layout:
  1. goal and expected value (threshold, range's worse end, change level; flows, levels, baselines)
  2. the pace table: {flow, level, level with baseline, change} x {higher, lower} x the bands,
     with the boundaries at exactly 0.95 and 0.85
  3. achieved early, and the met-but-not-locked cases
  4. checkpoints (expected_share)
  5. forecasts (linear, checkpoints, trend, last_value) and their verdicts
  6. required total / per month
  7. the reporting calendar: due dates and overdue
  8. near-miss band (basically achieved)
  9. messages in progress
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction
from functools import partial

import pytest

from app.engine import (
    ChangeBasis,
    Checkpoint,
    Comparison,
    Direction,
    Frequency,
    Phase,
    Rules,
    Status,
    TargetSpec,
    definition_errors,
    evaluate,
    pace,
)
from tests.status import builders

# ---------------------------------------------------------------- helpers

# A 100-day period: 2021-02-19 is day 50, so half of it has passed by the end of that day.
P_START, P_END = date(2021, 1, 1), date(2021, 4, 10)
P_MID = date(2021, 2, 19)
AFTER = date(2021, 6, 30)  # final phase
RECORDED = datetime(2021, 5, 1, 8, 0)

H, L = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER
E, A, BA, NA = Status.EXCEEDED, Status.ACHIEVED, Status.BASICALLY_ACHIEVED, Status.NOT_ACHIEVED
ON, RISK, OFF, EARLY, ND = Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK, Status.ACHIEVED_EARLY, Status.NO_DATA
REL, PP, ABS = ChangeBasis.RELATIVE_PERCENT, ChangeBasis.PERCENTAGE_POINTS, ChangeBasis.ABSOLUTE
M, Q, HY, Y = Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.HALF_YEARLY, Frequency.YEARLY


spec = partial(builders.spec, start=P_START, end=P_END)
obs = partial(builders.obs, on=P_MID, base=RECORDED)  # `at`: minutes after RECORDED




def flow(kind, value, d=H, **kw):
    return spec(kind, value, d=d, agg="sum", **kw)


def change(target, base, basis, d=H, **kw):
    return spec("change", target, d=d, base=base, basis=basis, **kw)


def band_of(p, r=Rules()):
    return ON if p >= r.on_track_from else RISK if p >= r.at_risk_from else OFF


def lsq(points, at):
    """Least-squares line through (date, value) points at `at`, exactly (Fractions)."""
    xs = [Fraction((d - points[0][0]).days) for d, _ in points]
    ys = [Fraction(v) for _, v in points]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=False)) / sum((x - mx) ** 2 for x in xs)
    return float(my + slope * (Fraction((at - points[0][0]).days) - mx))


# ---------------------------------------------------------------- 1. goal and expected


@pytest.mark.parametrize(
    "sp, goal",
    [
        pytest.param(spec("at_least", 100), 100, id="at_least-value"),
        pytest.param(spec("more_than", 100), 100, id="more_than-value"),
        pytest.param(spec("at_most", 3.6, d=L), 3.6, id="at_most-value"),
        pytest.param(spec("less_than", 4, d=L), 4, id="less_than-value"),
        pytest.param(spec("equal", 7), 7, id="equal-value"),
        pytest.param(spec("approximately", 65, tol=0.5), 65, id="approximately-value-not-band-end"),
        pytest.param(spec("between", low=6, high=7), 6, id="between-H-worse-end-is-low"),
        pytest.param(spec("between", low=6, high=7, d=L), 7, id="between-L-worse-end-is-high"),
        pytest.param(change(25, 80, REL), 100, id="change-rel-up-level"),
        pytest.param(change(-20, 150, REL, L), 120, id="change-rel-down-level"),
        pytest.param(change(2.5, 40, PP), 42.5, id="change-pp-level"),
        pytest.param(change(-1.5, 10, PP, L), 8.5, id="change-pp-down-level"),
        pytest.param(change(500, 1000, ABS), 1500, id="change-abs-level"),
        pytest.param(change(-50, 300, ABS, L), 250, id="change-abs-down-level"),
        pytest.param(spec("milestone"), None, id="milestone-has-no-goal"),
    ],
)
def test_goal(sp, goal):
    assert definition_errors(sp) == {}
    ev = evaluate(sp, [], as_of=P_MID)
    assert ev.goal == (None if goal is None else pytest.approx(goal, rel=1e-12))


def test_goal_of_a_relative_change_from_a_negative_baseline_is_the_level_judge_accepts():
    sp = change(10, -50, REL)
    ev = evaluate(sp, [obs(-45.0)], as_of=AFTER)
    assert ev.status == A  # judge: (-45 - -50) / |-50| = +10%
    assert evaluate(sp, [], as_of=P_MID).goal == pytest.approx(-45)


EXPECTED = [
    # flows: goal x share (a 100-day period)
    pytest.param(flow("at_least", 1000), P_MID, 0.5, 500, id="flow-half-way"),
    pytest.param(flow("at_least", 1000), P_START, 0.01, 10, id="flow-first-day"),
    pytest.param(flow("at_least", 1000), P_END - timedelta(days=1), 0.99, 990, id="flow-day-before-end"),
    pytest.param(flow("at_least", 1000), P_START - timedelta(days=5), 0.0, 0, id="flow-before-start"),
    pytest.param(flow("at_most", 1000, L), P_MID, 0.5, 500, id="flow-ceiling-half-way"),
    # levels without a baseline: the goal all along
    pytest.param(spec("at_least", 100), P_START, 0.01, 100, id="level-first-day"),
    pytest.param(spec("at_least", 100), P_MID, 0.5, 100, id="level-half-way"),
    pytest.param(spec("between", low=6, high=7), P_MID, 0.5, 6, id="level-range-H"),
    pytest.param(spec("between", low=6, high=7, d=L), P_MID, 0.5, 7, id="level-range-L"),
    # levels with a baseline: the straight line from baseline to goal
    pytest.param(spec("at_least", 100, base=60), P_MID, 0.5, 80, id="baseline-H-half-way"),
    pytest.param(spec("at_least", 100, base=60), P_START, 0.01, 60.4, id="baseline-H-first-day"),
    pytest.param(spec("at_least", 100, base=60), P_START - timedelta(days=1), 0.0, 60, id="baseline-H-before-start"),
    pytest.param(spec("at_most", 100, d=L, base=140), P_MID, 0.5, 120, id="baseline-L-half-way"),
    # change targets: from the baseline to the level the change leads to
    pytest.param(change(25, 80, REL), P_MID, 0.5, 90, id="change-rel-H"),
    pytest.param(change(-20, 150, REL, L), P_MID, 0.5, 135, id="change-rel-L"),
    pytest.param(change(-4, 12, PP, L), P_MID, 0.5, 10, id="change-pp-L"),
    pytest.param(change(40, 60, ABS), P_MID, 0.5, 80, id="change-abs-H"),
]


@pytest.mark.parametrize("sp, as_of, share, expected", EXPECTED)
def test_expected_value_and_share(sp, as_of, share, expected):
    ev = evaluate(sp, [], as_of=as_of)
    assert ev.phase == Phase.IN_PROGRESS
    assert ev.expected_share == pytest.approx(share, abs=1e-12)
    assert ev.expected == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_expected_and_pace_are_not_reported_once_final():
    ev = evaluate(flow("at_least", 1000), [obs(400)], as_of=AFTER)
    assert ev.phase == Phase.FINAL
    assert (ev.expected, ev.expected_share, ev.pace, ev.forecast, ev.forecast_verdict) == (None,) * 5
    assert (ev.required_total, ev.required_per_month, ev.months_remaining) == (None, None, None)


# ---------------------------------------------------------------- 2. the pace table


def prow(id_, sp, actual, expected_pace, status, rules=Rules()):
    return pytest.param(sp, actual, expected_pace, status, rules, id=id_)


PACE = [
    # flow, higher is better: sum at least 1000; half-way expected 500
    prow("flow-H-ahead", flow("at_least", 1000), 600, 1.2, ON),
    prow("flow-H-exactly-on-pace", flow("at_least", 1000), 500, 1.0, ON),
    prow("flow-H-on-at-exactly-0.95", flow("at_least", 1000), 475, 0.95, ON),
    prow("flow-H-risk-just-below-0.95", flow("at_least", 1000), 474.5, 0.949, RISK),
    prow("flow-H-risk-at-exactly-0.85", flow("at_least", 1000), 425, 0.85, RISK),
    prow("flow-H-off-just-below-0.85", flow("at_least", 1000), 424.5, 0.849, OFF),
    prow("flow-H-off-nothing-yet", flow("at_least", 1000), 0, 0.0, OFF),
    # flow, lower is better: sum at most 1000 (a ceiling on a flow is never locked in)
    prow("flow-L-below-pace", flow("at_most", 1000, L), 400, 1.2, ON),
    prow("flow-L-on-at-exactly-0.95", flow("at_most", 1000, L), 525, 0.95, ON),
    prow("flow-L-risk-just-below-0.95", flow("at_most", 1000, L), 525.5, 0.949, RISK),
    prow("flow-L-risk-at-exactly-0.85", flow("at_most", 1000, L), 575, 0.85, RISK),
    prow("flow-L-off-just-below-0.85", flow("at_most", 1000, L), 575.5, 0.849, OFF),
    # level, higher is better: at least 100, held to the goal all along
    prow("level-H-on-at-exactly-0.95", spec("at_least", 100), 95, 0.95, ON),
    prow("level-H-risk-just-below-0.95", spec("at_least", 100), 94.9, 0.949, RISK),
    prow("level-H-risk-at-exactly-0.85", spec("at_least", 100), 85, 0.85, RISK),
    prow("level-H-off-just-below-0.85", spec("at_least", 100), 84.9, 0.849, OFF),
    prow("level-H-range-on-at-0.95", spec("between", low=100, high=120), 95, 0.95, ON),
    prow("level-H-range-off", spec("between", low=100, high=120), 84.9, 0.849, OFF),
    prow("level-H-negative-goal-on-at-0.95", spec("at_least", -10), -10.5, 0.95, ON),
    prow("level-H-negative-goal-risk-at-0.85", spec("at_least", -10), -11.5, 0.85, RISK),
    # level, lower is better: at most 100
    prow("level-L-on-at-exactly-0.95", spec("at_most", 100, d=L), 105, 0.95, ON),
    prow("level-L-risk-just-below-0.95", spec("at_most", 100, d=L), 105.1, 0.949, RISK),
    prow("level-L-risk-at-exactly-0.85", spec("at_most", 100, d=L), 115, 0.85, RISK),
    prow("level-L-off-just-below-0.85", spec("at_most", 100, d=L), 115.1, 0.849, OFF),
    prow("level-L-range-risk-at-0.85", spec("between", low=80, high=100, d=L), 115, 0.85, RISK),
    prow("level-L-negative-goal-on-at-0.95", spec("at_most", -10, d=L), -9.5, 0.95, ON),
    # level with a baseline: at least 100 from 60 (expected 80), at most 100 from 140 (expected 120)
    prow("baseline-H-on-at-exactly-0.95", spec("at_least", 100, base=60), 76, 0.95, ON),
    prow("baseline-H-risk-just-below-0.95", spec("at_least", 100, base=60), 75.92, 0.949, RISK),
    prow("baseline-H-risk-at-exactly-0.85", spec("at_least", 100, base=60), 68, 0.85, RISK),
    prow("baseline-H-off-just-below-0.85", spec("at_least", 100, base=60), 67.92, 0.849, OFF),
    prow("baseline-L-on-at-exactly-0.95", spec("at_most", 100, d=L, base=140), 126, 0.95, ON),
    prow("baseline-L-risk-just-below-0.95", spec("at_most", 100, d=L, base=140), 126.12, 0.949, RISK),
    prow("baseline-L-risk-at-exactly-0.85", spec("at_most", 100, d=L, base=140), 138, 0.85, RISK),
    prow("baseline-L-off-just-below-0.85", spec("at_most", 100, d=L, base=140), 138.12, 0.849, OFF),
    # change, +25% from 80 (goal 100, expected 90) and -20% from 150 (goal 120, expected 135)
    prow("change-rel-H-on-at-exactly-0.95", change(25, 80, REL), 85.5, 0.95, ON),
    prow("change-rel-H-risk-just-below-0.95", change(25, 80, REL), 85.41, 0.949, RISK),
    prow("change-rel-H-risk-at-exactly-0.85", change(25, 80, REL), 76.5, 0.85, RISK),
    prow("change-rel-H-off-just-below-0.85", change(25, 80, REL), 76.41, 0.849, OFF),
    prow("change-rel-L-on-at-exactly-0.95", change(-20, 150, REL, L), 141.75, 0.95, ON),
    prow("change-rel-L-risk-just-below-0.95", change(-20, 150, REL, L), 141.885, 0.949, RISK),
    prow("change-rel-L-risk-at-exactly-0.85", change(-20, 150, REL, L), 155.25, 0.85, RISK),
    prow("change-rel-L-off-just-below-0.85", change(-20, 150, REL, L), 155.385, 0.849, OFF),
    # change in percentage points (-4 from 12: expected 10) and absolute (+40 from 60: expected 80)
    prow("change-pp-L-on-at-exactly-0.95", change(-4, 12, PP, L), 10.5, 0.95, ON),
    prow("change-pp-L-risk-just-below-0.95", change(-4, 12, PP, L), 10.51, 0.949, RISK),
    prow("change-pp-L-risk-at-exactly-0.85", change(-4, 12, PP, L), 11.5, 0.85, RISK),
    prow("change-pp-L-off-just-below-0.85", change(-4, 12, PP, L), 11.51, 0.849, OFF),
    prow("change-abs-H-on-at-exactly-0.95", change(40, 60, ABS), 76, 0.95, ON),
    prow("change-abs-H-off-just-below-0.85", change(40, 60, ABS), 67.92, 0.849, OFF),
    # expected 0: not worse than 0 is 1.0, worse is 0.0
    prow("level-H-expected-0-at-0", spec("at_least", 0, base=0), 0, 1.0, ON),
    prow("level-H-expected-0-below", spec("at_least", 0), -1, 0.0, OFF),
    prow("level-L-expected-0-above", spec("at_most", 0, d=L), 0.5, 0.0, OFF),
    # the plan's own pace bands
    prow("rules-0.9-on", spec("at_least", 100), 90, 0.9, ON, Rules(on_track_from=0.9, at_risk_from=0.5)),
    prow("rules-0.9-risk", spec("at_least", 100), 89, 0.89, RISK, Rules(on_track_from=0.9, at_risk_from=0.5)),
    prow("rules-0.5-risk-at", spec("at_least", 100), 50, 0.5, RISK, Rules(on_track_from=0.9, at_risk_from=0.5)),
    prow("rules-0.5-off", spec("at_least", 100), 49, 0.49, OFF, Rules(on_track_from=0.9, at_risk_from=0.5)),
]


@pytest.mark.parametrize("sp, actual, expected_pace, status, rules", PACE)
def test_pace_table(sp, actual, expected_pace, status, rules):
    assert definition_errors(sp) == {}
    ev = evaluate(sp, [obs(actual, on=P_MID)], as_of=P_MID, rules=rules)
    assert ev.phase == Phase.IN_PROGRESS
    assert ev.expected_share == 0.5
    assert ev.pace == pytest.approx(expected_pace, rel=1e-12, abs=1e-12)
    assert ev.status == status, (ev.pace, ev.rule)
    assert ev.explanation["pace"] == round(ev.pace, 6)
    assert ev.explanation["on_track_from"] == rules.on_track_from


def test_pace_table_covers_each_shape_direction_and_band():
    shapes = {p.id.split("-")[0] for p in PACE}
    assert {"flow", "level", "baseline", "change"} <= shapes
    for shape in ("flow", "level", "baseline", "change-rel"):
        for d in "HL":
            ids = [p.id for p in PACE if p.id.startswith(f"{shape}-{d}-")]
            assert any("exactly-0.95" in i for i in ids) and any("exactly-0.85" in i for i in ids), (shape, d)


@pytest.mark.parametrize(
    "actual, expected, higher, result",
    [
        pytest.param(120, 100, True, 1.2, id="H-ahead"),
        pytest.param(80, 100, True, 0.8, id="H-behind"),
        pytest.param(80, 100, False, 1.2, id="L-below"),
        pytest.param(120, 100, False, 0.8, id="L-above"),
        pytest.param(-12, -10, True, 0.8, id="H-negative-expected-sign-safe"),
        pytest.param(-8, -10, True, 1.2, id="H-negative-expected-better"),
        pytest.param(-12, -10, False, 1.2, id="L-negative-expected-better"),
        pytest.param(0, 0, True, 1.0, id="H-zero-at-zero"),
        pytest.param(5, 0, True, 1.0, id="H-zero-above"),
        pytest.param(-5, 0, True, 0.0, id="H-zero-below"),
        pytest.param(0, 0, False, 1.0, id="L-zero-at-zero"),
        pytest.param(-5, 0, False, 1.0, id="L-zero-below"),
        pytest.param(5, 0, False, 0.0, id="L-zero-above"),
    ],
)
def test_performance_formula(actual, expected, higher, result):
    assert pace.performance(actual, expected, higher) == pytest.approx(result, rel=1e-12)


# Decimal inputs whose pace is exactly on a band boundary, but float arithmetic lands 1 ulp
# below it. The judge absorbs such noise (app/engine/judging.py eq: "0.1+0.2 is at 0.3"); the pace bands do not.
PACE_FLOAT_NOISE = [
    # unemployment ceiling 7%, 8.05% reported: 1 - 1.05/7 = 0.85 exactly → at risk
    prow("level-L-ceiling-7-got-8.05-is-0.85", spec("at_most", 7, d=L, unit="%"), 8.05, 0.85, RISK),
    # 2.295 against at least 2.7: 2.295/2.7 = 0.85 exactly → at risk
    prow("level-H-floor-2.7-got-2.295-is-0.85", spec("at_least", 2.7), 2.295, 0.85, RISK),
    # 37.95 against at most 33: 1 - 4.95/33 = 0.85 exactly → at risk
    prow("level-L-ceiling-33-got-37.95-is-0.85", spec("at_most", 33, d=L), 37.95, 0.85, RISK),
]


@pytest.mark.parametrize("sp, actual, expected_pace, status, rules", PACE_FLOAT_NOISE)
def test_pace_band_boundary_with_decimal_inputs(sp, actual, expected_pace, status, rules):
    ev = evaluate(sp, [obs(actual, on=P_MID)], as_of=P_MID, rules=rules)
    assert ev.pace == pytest.approx(expected_pace, rel=1e-12)
    assert ev.status == status, (ev.pace, ev.status)


# ---------------------------------------------------------------- 3. achieved early / not locked

D_JAN, D_FEB = date(2021, 1, 20), date(2021, 2, 10)


def erow(id_, sp, values, status):
    """Figures dated D_JAN, D_FEB, ... (in progress, as of P_MID)."""
    return pytest.param(sp, values, status, id=id_)


EARLY_ROWS = [
    # locked in: sum / max with higher-is-better and a non-ceiling kind
    erow("sum-at_least-H", flow("at_least", 100), [60, 50], EARLY),
    erow("sum-more_than-H", flow("more_than", 100), [60, 40], EARLY),
    erow("sum-between-H-inside", flow("between", None, low=100, high=120), [60, 50], EARLY),
    erow("sum-between-H-beyond", flow("between", None, low=100, high=120), [90, 50], EARLY),
    erow("sum-equal-H", flow("equal", 100), [60, 40], EARLY),
    erow("sum-approximately-H", flow("approximately", 100), [70, 40], EARLY),
    erow("sum-change-abs-H", change(100, 0, ABS, agg="sum"), [60, 50], EARLY),
    erow("max-at_least-H", spec("at_least", 100, agg="max"), [120, 80], EARLY),
    erow("max-between-H", spec("between", low=6, high=7, agg="max"), [6.5, 5], EARLY),
    erow("max-equal-H", spec("equal", 7, agg="max"), [7, 5], EARLY),
    # locked in: min with lower-is-better and a non-floor kind
    erow("min-at_most-L", spec("at_most", 4, d=L, agg="min"), [3.5, 4.5], EARLY),
    erow("min-less_than-L", spec("less_than", 4, d=L, agg="min"), [4, 5], EARLY),
    erow("min-between-L", spec("between", low=2, high=3, d=L, agg="min"), [1.5, 5], EARLY),
    erow("min-approximately-L", spec("approximately", 4, d=L, agg="min"), [4, 9], EARLY),
    erow("min-change-rel-L", change(-10, 100, REL, L, agg="min"), [85, 120], EARLY),
    # milestones: done is done; not done yet is on track
    erow("milestone-done", spec("milestone"), [True], EARLY),
    erow("milestone-not-done-yet", spec("milestone"), [False], ON),
    erow("milestone-done-then-not", spec("milestone"), [True, False], ON),  # the latest report decides
    # met today but not locked: a ceiling on a flow is judged on pace (expected 50 by P_MID)
    erow("sum-at_most-L-met-below-pace", flow("at_most", 100, L), [20, 20], ON),
    erow("sum-at_most-L-met-at-risk", flow("at_most", 100, L), [30, 25], RISK),  # pace 0.9
    erow("sum-at_most-L-met-off-pace", flow("at_most", 100, L), [30, 30], OFF),  # pace 0.8
    erow("sum-less_than-L-met", flow("less_than", 100, L), [20, 20], ON),
    erow("sum-at_most-H-met", flow("at_most", 100, H), [30, 30], ON),  # H: pace 1.2
    erow("sum-at_least-L-met", flow("at_least", 100, L), [60, 50], OFF),  # L flow: not locked; pace -0.2
    # met today but not locked: levels (latest, mean) and mismatched max/min
    erow("latest-at_least-H", spec("at_least", 100), [120, 110], ON),
    erow("latest-between-H", spec("between", low=6, high=7), [5, 6.5], ON),
    erow("mean-at_least-H", spec("at_least", 100, agg="mean"), [120, 100], ON),
    erow("max-at_least-L", spec("at_least", 100, d=L, agg="max"), [120, 80], ON),
    erow("max-at_most-H-ceiling", spec("at_most", 100, agg="max"), [90, 80], ON),
    erow("min-at_least-L-floor", spec("at_least", 100, d=L, agg="min"), [120, 110], ON),
    erow("min-at_most-H", spec("at_most", 4, agg="min"), [3.5, 4.5], ON),
    erow("latest-at_most-L", spec("at_most", 4, d=L), [5, 3.5], ON),
    # not met: pace decides, never early
    erow("sum-at_least-H-not-yet", flow("at_least", 100), [20, 20], OFF),  # pace 0.8
    erow("max-at_least-H-not-yet", spec("at_least", 100, agg="max"), [90, 80], RISK),  # pace 0.9
    erow("min-at_most-L-not-yet", spec("at_most", 4, d=L, agg="min"), [5, 4.5], RISK),  # pace 0.875
]


@pytest.mark.parametrize("sp, values, status", EARLY_ROWS)
def test_achieved_early_and_not_locked(sp, values, status):
    assert definition_errors(sp) == {}
    dates = [D_JAN, D_FEB, P_MID]
    if isinstance(values[0], bool):
        figures = [obs(done=v, on=d) for v, d in zip(values, dates, strict=False)]
    else:
        figures = [obs(v, on=d) for v, d in zip(values, dates, strict=False)]
    ev = evaluate(sp, figures, as_of=P_MID)
    assert ev.phase == Phase.IN_PROGRESS
    assert ev.status == status, (ev.pace, ev.rule, ev.verdict_if_final)
    if status == EARLY and sp.comparison != Comparison.MILESTONE:
        assert ev.verdict_if_final in (A, E)
        assert "cannot be undone" in ev.rule
    if status != EARLY and sp.comparison != Comparison.MILESTONE and ev.verdict_if_final in (A, E) and sp.is_flow:
        assert ev.status == band_of(ev.pace)  # a met flow that is not locked is judged on pace


def test_achieved_early_holds_to_the_end_of_the_period():
    # what "cannot be undone" means: later non-negative flows, larger maxima or smaller minima keep it met
    cases = [
        (flow("at_least", 100), [60, 50], [0, 5]),
        (spec("at_least", 100, agg="max"), [120], [10, 0]),
        (spec("at_most", 4, d=L, agg="min"), [3.5], [9, 100]),
    ]
    for sp, before, after in cases:
        figures = [obs(v, on=D_JAN + timedelta(days=i)) for i, v in enumerate(before)]
        assert evaluate(sp, figures, as_of=P_MID).status == EARLY
        figures += [obs(v, on=date(2021, 3, 1) + timedelta(days=i)) for i, v in enumerate(after)]
        assert evaluate(sp, figures, as_of=AFTER).status in (A, E)


# ---------------------------------------------------------------- 4. checkpoints

Y_START, Y_END = date(2021, 1, 1), date(2021, 12, 31)  # 365 days
CPS = (Checkpoint(date(2021, 6, 30), 40), Checkpoint(date(2021, 9, 30), 70))  # day 181; +92 days; +92 days


@pytest.mark.parametrize(
    "as_of, share",
    [
        pytest.param(date(2020, 6, 1), 0.0, id="long-before-the-period"),
        pytest.param(date(2020, 12, 31), 0.0, id="day-before-the-period-is-0"),
        pytest.param(date(2021, 1, 1), 0.4 / 181, id="first-day"),
        pytest.param(date(2021, 3, 31), 0.4 * 90 / 181, id="before-first-checkpoint"),
        pytest.param(date(2021, 6, 30), 0.4, id="on-first-checkpoint"),
        pytest.param(date(2021, 8, 15), 0.4 + 0.3 * 46 / 92, id="between-checkpoints"),
        pytest.param(date(2021, 9, 30), 0.7, id="on-last-checkpoint"),
        pytest.param(date(2021, 11, 15), 0.7 + 0.3 * 46 / 92, id="after-last-checkpoint"),
        pytest.param(date(2021, 12, 30), 0.7 + 0.3 * 91 / 92, id="day-before-the-end"),
        pytest.param(date(2021, 12, 31), 1.0, id="last-day-is-100"),
        pytest.param(date(2022, 3, 1), 1.0, id="after-the-period"),
    ],
)
@pytest.mark.parametrize("order", [CPS, CPS[::-1]], ids=["sorted", "unsorted"])
def test_expected_share_through_checkpoints(as_of, share, order):
    assert pace.expected_share(Y_START, Y_END, as_of, order) == pytest.approx(share, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    "checkpoints, as_of, share",
    [
        pytest.param((Checkpoint(Y_START, 10),), Y_START, 0.1, id="checkpoint-on-first-day"),
        pytest.param((Checkpoint(Y_START, 10),), date(2021, 1, 2), 0.1 + 0.9 / 364, id="after-first-day-checkpoint"),
        pytest.param(
            (Checkpoint(date(2021, 3, 31), 0),), date(2021, 3, 1), 0.0, id="nothing-due-before-a-0-checkpoint"
        ),
        pytest.param((Checkpoint(date(2021, 6, 30), 100),), date(2021, 8, 1), 1.0, id="all-due-by-mid-year"),
        pytest.param((Checkpoint(date(2021, 6, 30), 50),), date(2021, 6, 29), 0.5 * 180 / 181, id="one-checkpoint"),
    ],
)
def test_expected_share_checkpoint_edges(checkpoints, as_of, share):
    assert pace.expected_share(Y_START, Y_END, as_of, checkpoints) == pytest.approx(share, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    "as_of, share",
    [
        pytest.param(date(2020, 12, 31), 0.0, id="day-before"),
        pytest.param(date(2019, 1, 1), 0.0, id="long-before"),
        pytest.param(Y_START, 1 / 365, id="first-day-counts"),
        pytest.param(date(2021, 7, 2), 183 / 365, id="mid"),
        pytest.param(Y_END, 1.0, id="last-day"),
        pytest.param(date(2023, 1, 1), 1.0, id="after"),
    ],
)
def test_elapsed_share_without_checkpoints(as_of, share):
    assert pace.elapsed_share(Y_START, Y_END, as_of) == pytest.approx(share, rel=1e-12)
    assert pace.expected_share(Y_START, Y_END, as_of) == pytest.approx(share, rel=1e-12)


def test_checkpoints_drive_expected_pace_and_forecast_of_a_flow():
    sp = flow("at_least", 1000, start=Y_START, end=Y_END, checkpoints=CPS, unit="tỷ đồng")
    assert definition_errors(sp) == {}
    ev = evaluate(sp, [obs(380, on=date(2021, 6, 30))], as_of=date(2021, 6, 30))
    assert ev.expected_share == pytest.approx(0.4)
    assert ev.expected == pytest.approx(400)
    assert ev.pace == pytest.approx(0.95)
    assert ev.status == ON
    assert ev.forecast == pace.Forecast("checkpoints", pytest.approx(950))
    assert ev.forecast_verdict == NA
    # without the checkpoints the same figure is well ahead of a linear pace (181/365 of 1000)
    linear = evaluate(
        flow("at_least", 1000, start=Y_START, end=Y_END), [obs(380, on=date(2021, 6, 30))], as_of=date(2021, 6, 30)
    )
    assert linear.expected == pytest.approx(1000 * 181 / 365)
    assert linear.pace == pytest.approx(380 / (1000 * 181 / 365))  # 0.766
    assert linear.status == OFF
    assert linear.forecast.method == "linear"


def test_checkpoints_move_a_baseline_level_but_not_a_plain_level():
    with_base = spec("at_least", 100, base=60, start=Y_START, end=Y_END, checkpoints=CPS)
    ev = evaluate(with_base, [obs(70, on=date(2021, 6, 30))], as_of=date(2021, 6, 30))
    assert ev.expected == pytest.approx(60 + 40 * 0.4)
    assert ev.pace == pytest.approx(70 / 76)
    assert (ev.status, ev.forecast.method) == (RISK, "last_value")  # checkpoints only name flow forecasts
    plain = spec("at_least", 100, start=Y_START, end=Y_END, checkpoints=CPS)
    ev = evaluate(plain, [obs(70, on=date(2021, 6, 30))], as_of=date(2021, 6, 30))
    assert (ev.expected, ev.expected_share) == (100, pytest.approx(0.4))


def test_flow_before_anything_is_due_has_no_forecast_and_is_on_pace():
    sp = flow("at_least", 1000, start=Y_START, end=Y_END, checkpoints=[Checkpoint(date(2021, 6, 30), 0)])
    ev = evaluate(sp, [obs(10, on=date(2021, 3, 1))], as_of=date(2021, 3, 1))
    assert (ev.expected_share, ev.expected, ev.pace, ev.status) == (0.0, 0.0, 1.0, ON)
    assert ev.forecast is None and ev.forecast_verdict is None
    assert "dự báo" not in ev.message_vi


# ---------------------------------------------------------------- 5. forecasts

D1, D2, D3 = date(2021, 1, 10), date(2021, 1, 30), date(2021, 2, 19)  # 20 days apart; P_END is D1 + 90 days


def frow(id_, sp, figures, method, value, verdict, rules=Rules()):
    return pytest.param(sp, figures, method, value, verdict, rules, id=id_)


FORECASTS = [
    # flows: actual / share (share 0.5 at P_MID)
    frow("flow-linear-short", flow("at_least", 1000), [obs(200, on=D1), obs(250, on=D3)], "linear", 900, NA),
    frow("flow-linear-exceeds", flow("at_least", 1000), [obs(520, on=D3)], "linear", 1040, E),
    frow("flow-linear-at", flow("at_least", 1000), [obs(500, on=D3)], "linear", 1000, A),
    frow("flow-linear-ceiling-broken", flow("at_most", 1000, L), [obs(550, on=D3)], "linear", 1100, NA),
    frow("flow-linear-ceiling-met", flow("at_most", 1000, L), [obs(450, on=D3)], "linear", 900, A),
    frow(
        "flow-linear-ceiling-margin",
        flow("at_most", 1000, L),
        [obs(450, on=D3)],
        "linear",
        900,
        E,
        Rules(ceiling_exceed_margin=50),
    ),
    frow(
        "flow-checkpoints",
        flow("at_least", 1000, checkpoints=[Checkpoint(D3, 40)]),
        [obs(450, on=D3)],
        "checkpoints",
        1125,
        E,
    ),
    frow(
        "flow-linear-near-miss-band",
        flow("at_least", 1000),
        [obs(480, on=D3)],
        "linear",
        960,
        BA,
        Rules(near_miss_band=0.05),
    ),
    # levels with two or more dates: the least-squares line at the period end
    frow(
        "level-trend-collinear",
        spec("at_least", 100),
        [obs(50, on=D1), obs(60, on=D2), obs(70, on=D3)],
        "trend",
        95,
        NA,
    ),
    frow(
        "level-trend-scattered",
        spec("at_least", 100),
        [obs(50, on=D1), obs(64, on=D2), obs(70, on=D3)],
        "trend",
        lsq([(D1, 50), (D2, 64), (D3, 70)], P_END),
        NA,
    ),
    frow("level-trend-two-dates-exceeds", spec("at_least", 100), [obs(80, on=D1), obs(90, on=D3)], "trend", 102.5, E),
    frow(
        "level-trend-L", spec("at_most", 100, d=L), [obs(130, on=D1), obs(120, on=D2), obs(110, on=D3)], "trend", 85, A
    ),
    frow(
        "level-trend-L-margin",
        spec("at_most", 100, d=L),
        [obs(130, on=D1), obs(120, on=D2), obs(110, on=D3)],
        "trend",
        85,
        E,
        Rules(ceiling_exceed_margin=10),
    ),
    frow(
        "level-trend-near-miss",
        spec("at_least", 100),
        [obs(60, on=D1), obs(76, on=D3)],
        "trend",
        96,
        BA,
        Rules(near_miss_band=0.05),
    ),
    # the trend runs through the combined value at each date: running mean here (60, then 70)
    frow(
        "level-trend-of-running-mean",
        spec("at_least", 100, agg="mean"),
        [obs(60, on=D1), obs(80, on=D2)],
        "trend",
        105,
        E,
    ),
    # ...and the pooled ratio of the latest date (40% then 50%)
    frow(
        "level-trend-of-pooled-ratios",
        spec("at_least", 60, unit="%", across="pooled_ratio"),
        [
            obs(num=3, den=10, org=1, on=D1),
            obs(num=5, den=10, org=2, on=D1),
            obs(num=4, den=10, org=1, on=D3),
            obs(num=6, den=10, org=2, on=D3),
        ],
        "trend",
        62.5,
        E,
    ),
    frow(
        "level-trend-range-H",
        spec("between", low=6, high=7, unit="%"),
        [obs(5.5, on=D1), obs(5.9, on=D3)],
        "trend",
        6.4,
        A,
    ),
    # one date: the last value carried forward
    frow("level-last-value", spec("at_least", 100), [obs(70, on=D3)], "last_value", 70, NA),
    frow("level-last-value-met", spec("at_least", 100), [obs(120, on=D3)], "last_value", 120, E),
    frow(
        "level-last-value-several-orgs-same-date",
        spec("at_least", 50, unit="%", across="pooled_ratio"),
        [obs(num=1, den=2, org=1, on=D3), obs(num=99, den=100, org=2, on=D3)],
        "last_value",
        100 / 102 * 100,
        E,
    ),
    # change targets: the forecast level is judged as a change (+25% from 80 needs 100)
    frow(
        "change-trend-exceeds", change(25, 80, REL), [obs(84, on=D1), obs(88, on=D2), obs(92, on=D3)], "trend", 102, E
    ),
    frow("change-trend-short", change(25, 80, REL), [obs(80, on=D1), obs(82, on=D3)], "trend", 84.5, NA),
    frow("change-last-value-at", change(-20, 150, REL, L), [obs(120, on=D3)], "last_value", 120, A),
    frow(
        "change-pp-trend-within-tolerance",
        change(-4, 12, PP, L, tol=0.5),
        [obs(12, on=D1), obs(10.4, on=D3)],
        "trend",
        8.4,
        A,
    ),
]


@pytest.mark.parametrize("sp, figures, method, value, verdict, rules", FORECASTS)
def test_forecast_table(sp, figures, method, value, verdict, rules):
    assert definition_errors(sp) == {}
    ev = evaluate(sp, figures, as_of=P_MID, rules=rules)
    assert ev.phase == Phase.IN_PROGRESS
    assert ev.forecast.method == method
    assert ev.forecast.value == pytest.approx(value, rel=1e-9)
    assert ev.forecast_verdict == verdict
    assert ev.explanation["forecast"] == {"method": method, "value": ev.forecast.value, "verdict": str(verdict)}


@pytest.mark.parametrize(
    "sp, figures, as_of",
    [
        pytest.param(flow("at_least", 1000), [obs(900, on=D3)], AFTER, id="final-phase"),
        pytest.param(flow("at_least", 1000), [obs(900, on=D3)], P_END, id="last-day-is-final"),
        pytest.param(flow("at_least", 1000), [], P_MID, id="no-figure"),
        pytest.param(spec("milestone"), [obs(done=False, on=D3)], P_MID, id="milestone"),
    ],
)
def test_no_forecast(sp, figures, as_of):
    ev = evaluate(sp, figures, as_of=as_of)
    assert ev.forecast is None and ev.forecast_verdict is None
    assert "forecast" not in ev.explanation


@pytest.mark.parametrize(
    "kwargs, result",
    [
        pytest.param(
            dict(actual=10, share_due=0.0, is_flow=True, has_checkpoints=False, series=[]), None, id="flow-share-0"
        ),
        pytest.param(
            dict(actual=10, share_due=0.25, is_flow=True, has_checkpoints=False, series=[]),
            pace.Forecast("linear", 40),
            id="flow-linear",
        ),
        pytest.param(
            dict(actual=10, share_due=0.25, is_flow=True, has_checkpoints=True, series=[]),
            pace.Forecast("checkpoints", 40),
            id="flow-checkpoints",
        ),
        pytest.param(
            dict(actual=7, share_due=0.5, is_flow=False, has_checkpoints=False, series=[(D1, 5), (D1, 7)]),
            pace.Forecast("last_value", 7),
            id="level-one-distinct-date",
        ),
        pytest.param(
            dict(actual=7, share_due=0.5, is_flow=False, has_checkpoints=False, series=[(D1, 5), (D3, 7)]),
            pace.Forecast("trend", 7 + 2 / 40 * 50),
            id="level-two-dates",
        ),
    ],
)
def test_forecast_function(kwargs, result):
    assert pace.forecast(end=P_END, **kwargs) == result


# ---------------------------------------------------------------- 6. required

MONTHS_LEFT_AT_MID = 50 / (365.25 / 12)  # P_MID → P_END is 50 days


@pytest.mark.parametrize(
    "sp, figures, total, per_month",
    [
        pytest.param(
            flow("at_least", 1200), [obs(200, on=D1), obs(300, on=D3)], 700, 700 / MONTHS_LEFT_AT_MID, id="flow-H-short"
        ),
        pytest.param(flow("at_least", 1200), [obs(1300, on=D3)], 0.0, 0.0, id="flow-H-already-met"),
        pytest.param(
            flow("between", None, low=1000, high=1200),
            [obs(400, on=D3)],
            600,
            600 / MONTHS_LEFT_AT_MID,
            id="flow-H-range-to-low",
        ),
        pytest.param(flow("at_most", 1200, L), [obs(300, on=D3)], None, None, id="flow-L-none"),
        pytest.param(spec("at_least", 100), [obs(80, on=D3)], 100, None, id="level-goal"),
        pytest.param(spec("at_least", 100), [obs(120, on=D3)], 100, None, id="level-met-still-goal"),
        pytest.param(spec("at_most", 4, d=L), [obs(5, on=D3)], 4, None, id="level-L-goal"),
        pytest.param(change(25, 80, REL), [obs(85, on=D3)], 100, None, id="change-level"),
        pytest.param(spec("between", low=6, high=7, d=L), [obs(8, on=D3)], 7, None, id="range-L-worse-end"),
    ],
)
def test_required(sp, figures, total, per_month):
    ev = evaluate(sp, figures, as_of=P_MID)
    assert ev.months_remaining == pytest.approx(MONTHS_LEFT_AT_MID, rel=1e-12)
    assert ev.required_total == (None if total is None else pytest.approx(total, rel=1e-12))
    assert ev.required_per_month == (None if per_month is None else pytest.approx(per_month, rel=1e-12))
    if total is not None:
        assert ev.explanation["required"]["total"] == ev.required_total
        assert ev.explanation["required"]["months_remaining"] == round(MONTHS_LEFT_AT_MID, 2)


def test_required_on_the_day_before_the_end():
    ev = evaluate(flow("at_least", 1200), [obs(1100, on=D3)], as_of=P_END - timedelta(days=1))
    assert ev.months_remaining == pytest.approx(1 / (365.25 / 12))
    assert ev.required_per_month == pytest.approx(100 / (1 / (365.25 / 12)))


@pytest.mark.parametrize(
    "a, b, months",
    [
        pytest.param(date(2021, 1, 1), date(2021, 12, 31), 364 / (365.25 / 12), id="a-year"),
        pytest.param(date(2021, 6, 30), date(2021, 6, 30), 0.0, id="same-day"),
        pytest.param(date(2021, 7, 30), date(2021, 6, 30), 0.0, id="never-negative"),
    ],
)
def test_months_between(a, b, months):
    assert pace.months_between(a, b) == pytest.approx(months, rel=1e-12)


# ---------------------------------------------------------------- 7. reporting calendar

C_START, C_END = date(2019, 1, 1), date(2019, 12, 31)


@pytest.mark.parametrize(
    "start, end, frequency, dues",
    [
        pytest.param(
            C_START,
            C_END,
            M,
            [date(2019, m, 28 if m == 2 else 30 if m in (4, 6, 9, 11) else 31) for m in range(1, 13)],
            id="monthly",
        ),
        pytest.param(
            C_START,
            C_END,
            Q,
            [date(2019, 3, 31), date(2019, 6, 30), date(2019, 9, 30), date(2019, 12, 31)],
            id="quarterly",
        ),
        pytest.param(C_START, C_END, HY, [date(2019, 6, 30), date(2019, 12, 31)], id="half-yearly"),
        pytest.param(C_START, C_END, Y, [C_END], id="yearly"),
        pytest.param(
            date(2021, 1, 1), date(2025, 12, 31), Y, [date(2025, 12, 31)], id="yearly-five-year-plan-only-the-end"
        ),
        pytest.param(
            date(2020, 1, 1),
            date(2020, 3, 31),
            M,
            [date(2020, 1, 31), date(2020, 2, 29), date(2020, 3, 31)],
            id="monthly-leap",
        ),
        pytest.param(
            date(2019, 2, 15),
            date(2019, 11, 20),
            Q,
            [date(2019, 3, 31), date(2019, 6, 30), date(2019, 9, 30), date(2019, 11, 20)],
            id="quarterly-plus-odd-period-end",
        ),
        pytest.param(
            date(2019, 2, 15),
            date(2020, 8, 10),
            HY,
            [date(2019, 6, 30), date(2019, 12, 31), date(2020, 6, 30), date(2020, 8, 10)],
            id="half-yearly-across-years",
        ),
        pytest.param(date(2019, 4, 1), date(2019, 5, 15), Q, [date(2019, 5, 15)], id="quarterly-short-period"),
    ],
)
def test_due_dates(start, end, frequency, dues):
    assert pace.due_dates(start, end, frequency) == dues


def orow(id_, frequency, figures, as_of, result, grace=0, start=C_START, end=C_END):
    return pytest.param(frequency, figures, as_of, result, grace, start, end, id=id_)


OVERDUE = [
    orow("no-frequency-none", None, [], date(2020, 6, 1), None),
    # monthly
    orow("monthly-nothing-on-due-day", M, [], date(2019, 1, 31), None),
    orow("monthly-nothing-day-after", M, [], date(2019, 2, 1), (date(2019, 1, 31), 1)),
    orow("monthly-first-gap-counts-from-first-due", M, [], date(2019, 3, 10), (date(2019, 1, 31), 38)),
    orow("monthly-jan-covered", M, [date(2019, 1, 15)], date(2019, 3, 5), (date(2019, 2, 28), 5)),
    orow("monthly-figure-on-due-date-covers-it", M, [date(2019, 2, 28)], date(2019, 3, 31), None),
    orow("monthly-figure-on-due-date-next-due", M, [date(2019, 2, 28)], date(2019, 4, 1), (date(2019, 3, 31), 1)),
    orow("monthly-later-figure-covers-earlier-gaps", M, [date(2019, 3, 1)], date(2019, 4, 10), None),
    orow("monthly-later-figure-next-due", M, [date(2019, 3, 1)], date(2019, 5, 3), (date(2019, 4, 30), 3)),
    orow(
        "monthly-early-gaps-not-chased",
        M,
        [date(2019, 1, 5), date(2019, 6, 5)],
        date(2019, 8, 1),
        (date(2019, 7, 31), 1),
    ),
    orow("monthly-grace-not-yet", M, [], date(2019, 2, 10), None, 10),
    orow("monthly-grace-passed", M, [], date(2019, 2, 11), (date(2019, 1, 31), 11), 10),
    # quarterly
    orow("quarterly-nothing-q1-late", Q, [], date(2019, 4, 1), (date(2019, 3, 31), 1)),
    orow("quarterly-q1-covered-q2-late", Q, [date(2019, 2, 10)], date(2019, 7, 15), (date(2019, 6, 30), 15)),
    orow("quarterly-may-figure-covers-q1-and-q2", Q, [date(2019, 5, 1)], date(2019, 9, 30), None),
    orow("quarterly-grace-15-exactly", Q, [date(2019, 5, 1)], date(2019, 10, 15), None, 15),
    orow("quarterly-grace-15-passed", Q, [date(2019, 5, 1)], date(2019, 10, 16), (date(2019, 9, 30), 16), 15),
    orow("quarterly-last-figure-on-period-end", Q, [C_END], date(2020, 6, 1), None),
    orow(
        "quarterly-odd-period-end-due",
        Q,
        [date(2019, 9, 15)],
        date(2019, 11, 25),
        (date(2019, 11, 20), 5),
        0,
        date(2019, 2, 15),
        date(2019, 11, 20),
    ),
    # half-yearly
    orow("half-yearly-nothing", HY, [], date(2019, 7, 1), (date(2019, 6, 30), 1)),
    orow("half-yearly-h1-covered", HY, [date(2019, 6, 30)], date(2019, 12, 31), None),
    orow("half-yearly-h2-late-after-period", HY, [date(2019, 6, 30)], date(2020, 1, 5), (date(2019, 12, 31), 5)),
    orow("half-yearly-q3-figure-covers-h2", HY, [date(2019, 7, 1)], date(2020, 3, 1), None),
    # yearly: only the period end
    orow("yearly-before-end", Y, [], date(2019, 11, 30), None),
    orow("yearly-on-end", Y, [], C_END, None),
    orow("yearly-after-end", Y, [], date(2020, 1, 10), (C_END, 10)),
    orow("yearly-any-figure-covers", Y, [date(2019, 3, 31)], date(2020, 2, 1), None),
    orow("yearly-grace-30", Y, [], date(2020, 1, 30), None, 30),
    orow("yearly-grace-30-passed", Y, [], date(2020, 1, 31), (C_END, 31), 30),
]


@pytest.mark.parametrize("frequency, figures, as_of, result, grace, start, end", OVERDUE)
def test_overdue(frequency, figures, as_of, result, grace, start, end):
    got = pace.overdue(start=start, end=end, frequency=frequency, figure_dates=figures, as_of=as_of, grace_days=grace)
    assert got == result


@pytest.mark.parametrize("frequency, figures, as_of, result, grace, start, end", OVERDUE)
def test_overdue_through_evaluate(frequency, figures, as_of, result, grace, start, end):
    sp = spec("at_least", 100, start=start, end=end, frequency=frequency)
    ev = evaluate(sp, [obs(50, on=d) for d in figures], as_of=as_of, rules=Rules(reporting_grace_days=grace))
    assert (ev.overdue_since, ev.overdue_days) == (result or (None, None))
    if result:
        assert ev.explanation["overdue"] == {"due_date": result[0].isoformat(), "days": result[1]}
    else:
        assert "overdue" not in ev.explanation


def test_overdue_ignores_figures_after_as_of_before_the_period_or_recorded_later():
    sp = spec("at_least", 100, start=C_START, end=C_END, frequency=Q)
    as_of = date(2019, 4, 10)
    late_in_time = obs(50, on=date(2019, 5, 1))  # dated after as_of
    before_period = obs(50, on=date(2018, 12, 31))
    assert evaluate(sp, [late_in_time, before_period], as_of=as_of).overdue_since == date(2019, 3, 31)
    # a Q1 figure recorded after the review's known_at does not cover Q1 for that review
    q1 = obs(50, on=date(2019, 3, 31))  # recorded RECORDED = 2021-05-01
    assert evaluate(sp, [q1], as_of=as_of).overdue_since is None
    seen = evaluate(sp, [q1], as_of=as_of, known_at=RECORDED - timedelta(days=1))
    assert (seen.overdue_since, seen.overdue_days) == (date(2019, 3, 31), 10)


def test_overdue_applies_to_milestones_and_no_data():
    sp = spec("milestone", start=C_START, end=C_END, frequency=HY)
    ev = evaluate(sp, [], as_of=date(2019, 7, 20))
    assert (ev.status, ev.overdue_since, ev.overdue_days) == (ND, date(2019, 6, 30), 20)
    ev = evaluate(sp, [obs(done=False, on=date(2019, 6, 30))], as_of=date(2019, 7, 20))
    assert (ev.status, ev.overdue_since) == (ON, None)


# ---------------------------------------------------------------- 8. near-miss band


def nrow(id_, sp, value, band, status):
    return pytest.param(sp, value, band, status, id=id_)


NEAR_MISS = [
    # floors: 5% of 100 is 5
    nrow("at_least-H-at-band", spec("at_least", 100), 95, 0.05, BA),
    nrow("at_least-H-beyond-band", spec("at_least", 100), 94.99, 0.05, NA),
    nrow("at_least-H-off-by-default", spec("at_least", 100), 95, None, NA),
    nrow("at_least-H-band-0-is-off", spec("at_least", 100), 99.99, 0.0, NA),
    nrow("at_least-H-met-stays-achieved", spec("at_least", 100), 100, 0.05, A),
    nrow("at_least-H-beaten-stays-exceeded", spec("at_least", 100), 101, 0.05, E),
    nrow("at_least-L-at-band", spec("at_least", 100, d=L), 95, 0.05, BA),
    nrow("at_least-L-beyond-band", spec("at_least", 100, d=L), 94.9, 0.05, NA),
    nrow("more_than-H-at-band", spec("more_than", 100), 95, 0.05, BA),
    nrow("more_than-H-beyond-band", spec("more_than", 100), 94.99, 0.05, NA),
    nrow("more_than-L-at-band", spec("more_than", 100, d=L), 95, 0.05, BA),
    nrow("at_least-H-negative-threshold-at-band", spec("at_least", -2), -2.1, 0.05, BA),
    nrow("at_least-H-negative-threshold-beyond", spec("at_least", -2), -2.11, 0.05, NA),
    nrow("at_least-H-threshold-0-no-band", spec("at_least", 0), -0.01, 0.05, NA),
    # ceilings
    nrow("at_most-L-at-band", spec("at_most", 100, d=L), 105, 0.05, BA),
    nrow("at_most-L-beyond-band", spec("at_most", 100, d=L), 105.01, 0.05, NA),
    nrow("at_most-L-off-by-default", spec("at_most", 100, d=L), 100.01, None, NA),
    nrow("at_most-H-at-band", spec("at_most", 100), 105, 0.05, BA),
    nrow("at_most-H-beyond-band", spec("at_most", 100), 105.01, 0.05, NA),
    nrow("less_than-L-at-band", spec("less_than", 3.6, d=L, unit="%"), 3.78, 0.05, BA),
    nrow("less_than-L-beyond-band", spec("less_than", 3.6, d=L, unit="%"), 3.79, 0.05, NA),
    nrow("less_than-H-at-band", spec("less_than", 100), 105, 0.05, BA),
    # ranges: measured from the nearer end
    nrow("between-H-at-band-below-low", spec("between", low=6, high=7), 5.7, 0.05, BA),
    nrow("between-H-beyond-band-below-low", spec("between", low=6, high=7), 5.69, 0.05, NA),
    nrow("between-H-above-high-exceeded", spec("between", low=6, high=7), 7.5, 0.05, E),
    nrow("between-L-at-band-above-high", spec("between", low=6, high=7, d=L), 7.35, 0.05, BA),
    nrow("between-L-beyond-band-above-high", spec("between", low=6, high=7, d=L), 7.36, 0.05, NA),
    nrow("between-L-below-low-exceeded", spec("between", low=6, high=7, d=L), 5, 0.05, E),
    # points: measured from the value, not from the tolerance band's edge
    nrow("equal-H-at-band", spec("equal", 100), 95, 0.05, BA),
    nrow("equal-H-beyond-band", spec("equal", 100), 94.99, 0.05, NA),
    nrow("equal-L-at-band", spec("equal", 100, d=L), 105, 0.05, BA),
    nrow("equal-L-beyond-band", spec("equal", 100, d=L), 105.01, 0.05, NA),
    nrow("about-H-at-band", spec("approximately", 65), 61.75, 0.05, BA),
    nrow("about-H-beyond-band", spec("approximately", 65), 61.74, 0.05, NA),
    nrow("about-L-at-band", spec("approximately", 4, d=L), 4.2, 0.05, BA),
    nrow("about-L-beyond-band", spec("approximately", 4, d=L), 4.21, 0.05, NA),
    nrow("about-tol-H-at-band-from-value", spec("approximately", 65, tol=0.5), 64.35, 0.01, BA),
    nrow("about-tol-H-beyond-band", spec("approximately", 65, tol=0.5), 64.34, 0.01, NA),
    nrow("about-tol-band-inside-tolerance-does-nothing", spec("approximately", 65, tol=0.5), 64.49, 0.001, NA),
    # changes: measured on the change (+10% misses by at most 0.5 point with a 5% band)
    nrow("change-rel-H-at-band", change(10, 200, REL), 219, 0.05, BA),  # +9.5%
    nrow("change-rel-H-beyond-band", change(10, 200, REL), 218.98, 0.05, NA),  # +9.49%
    nrow("change-rel-L-at-band", change(-10, 200, REL, L), 181, 0.05, BA),  # -9.5%
    nrow("change-rel-L-beyond-band", change(-10, 200, REL, L), 181.02, 0.05, NA),
    nrow("change-pp-H-at-band", change(2, 40, PP), 41.9, 0.05, BA),
    nrow("change-pp-H-beyond-band", change(2, 40, PP), 41.89, 0.05, NA),
    nrow("change-abs-L-at-band", change(-50, 300, ABS, L), 252.5, 0.05, BA),
    nrow("change-abs-L-beyond-band", change(-50, 300, ABS, L), 252.6, 0.05, NA),
]


@pytest.mark.parametrize("sp, value, band, status", NEAR_MISS)
def test_near_miss_band(sp, value, band, status):
    assert definition_errors(sp) == {}
    ev = evaluate(sp, [obs(value, on=P_END)], as_of=AFTER, rules=Rules(near_miss_band=band))
    assert ev.status == status, (ev.compared, ev.rule)
    assert ev.verdict_if_final == status
    if status == BA:
        assert "near-miss" in ev.rule
        assert ev.explanation["near_miss_band"] == band


def test_near_miss_covers_every_kind_and_direction():
    seen = {(p.values[0].comparison, p.values[0].direction) for p in NEAR_MISS if p.values[3] == BA}
    assert seen == {(k, d) for k in Comparison for d in (H, L) if k != Comparison.MILESTONE}


def test_near_miss_does_not_touch_milestones():
    ev = evaluate(spec("milestone"), [obs(done=False, on=P_END)], as_of=AFTER, rules=Rules(near_miss_band=0.5))
    assert ev.status == NA


def test_near_miss_in_progress_is_only_the_would_be_verdict():
    # during the period the band shows in verdict_if_final, the status still follows pace
    ev = evaluate(spec("at_least", 100), [obs(96, on=P_MID)], as_of=P_MID, rules=Rules(near_miss_band=0.05))
    assert (ev.verdict_if_final, ev.status, ev.pace) == (BA, ON, pytest.approx(0.96))


# ---------------------------------------------------------------- 9. messages in progress


def test_message_in_progress_flow_vi_en():
    # a leap year: 2020-07-01 is day 183 of 366, so half the period has passed
    sp = flow(
        "at_least", 9640.1, unit="tấn", title="Sản lượng lương thực", start=date(2020, 1, 1), end=date(2020, 12, 31)
    )
    figures = [obs(2000, on=date(2020, 3, 31)), obs(2500, on=date(2020, 6, 30))]
    ev = evaluate(sp, figures, as_of=date(2020, 7, 1))
    assert ev.status == RISK  # 4500 / 4820.05 = 0.934
    assert ev.message_vi == (
        "Sản lượng lương thực: 4.500 tấn (tổng các kỳ) đến ngày 01/07/2020; theo tiến độ cần 4.820,05 tấn (50% kỳ); "
        "dự báo cả kỳ 9.000 tấn (theo tốc độ hiện tại), không đạt chỉ tiêu; "
        "chỉ tiêu từ 9.640,1 tấn trở lên: có nguy cơ không đạt."
    )
    assert ev.message_en == (
        "Sản lượng lương thực: 4,500 tấn (increments added up) as of 2020-07-01; on pace it should be 4,820.05 tấn (50% of the period); "
        "forecast for the period 9,000 tấn (at the current rate), not achieved; "
        "target at least 9,640.1 tấn: at risk."
    )


@pytest.mark.parametrize(
    "sp, figures, as_of, fragments",
    [
        pytest.param(
            flow("at_least", 1000, unit="tỷ đồng", start=Y_START, end=Y_END, checkpoints=CPS),
            [obs(380, on=date(2021, 6, 30))],
            date(2021, 6, 30),
            [
                "theo tiến độ cần 400 tỷ đồng (40% kỳ)",
                "dự báo cả kỳ 950 tỷ đồng (theo các mốc tiến độ), không đạt chỉ tiêu",
            ],
            id="checkpoints",
        ),
        pytest.param(
            spec("at_least", 100, unit="%", base=60),
            [obs(70, on=D1), obs(76, on=D3)],
            P_MID,
            [
                "theo tiến độ cần 80% (50% kỳ)",
                "dự báo cả kỳ 83,5% (theo xu hướng các kỳ báo cáo), không đạt chỉ tiêu",
                ": gần đúng tiến độ (95% mức cần có), theo xu hướng các kỳ báo cáo sẽ thiếu 16,5%.",
            ],
            id="baseline-trend",
        ),
        pytest.param(
            spec("at_least", 100, unit="%"),
            [obs(80, on=D3)],
            P_MID,
            ["; cần đạt 100%", "dự báo cả kỳ 80% (giữ mức hiện tại), không đạt chỉ tiêu", ": chậm tiến độ."],
            id="level-last-value",
        ),
        pytest.param(
            spec("at_least", 100, start=C_START, end=C_END, frequency=Q, title="Số doanh nghiệp"),
            [obs(80, on=date(2019, 2, 1))],
            date(2019, 7, 15),
            ["Số doanh nghiệp: 80 đến ngày 15/07/2019", ". Quá hạn báo cáo 15 ngày (kỳ đến 30/06/2019)."],
            id="overdue",
        ),
        pytest.param(
            spec("at_least", 100, start=C_START, end=C_END, frequency=M),
            [],
            date(2019, 2, 3),
            ["chưa có số liệu đến ngày 03/02/2019", "Quá hạn báo cáo 3 ngày (kỳ đến 31/01/2019)."],
            id="overdue-no-data",
        ),
    ],
)
def test_message_fragments_vi(sp, figures, as_of, fragments):
    ev = evaluate(sp, figures, as_of=as_of)
    for fragment in fragments:
        assert fragment in ev.message_vi, ev.message_vi


def test_message_overdue_en():
    sp = spec("at_least", 100, start=C_START, end=C_END, frequency=Q)
    ev = evaluate(sp, [obs(80, on=date(2019, 2, 1))], as_of=date(2019, 7, 15))
    assert ev.message_en.endswith(" Report overdue by 15 days (due 2019-06-30).")
    assert ev.message_vi.endswith(" Quá hạn báo cáo 15 ngày (kỳ đến 30/06/2019).")


def test_a_checkpoint_on_the_last_day_must_be_the_whole_goal():
    """The period's last day is 100 % by definition; a lower share there is refused, not silently overridden."""
    sp = flow("at_least", 1000)
    bad = TargetSpec(**{**sp.__dict__, "checkpoints": (Checkpoint(on=sp.period_end, share=80),)})
    assert "checkpoints" in definition_errors(bad)
    good = TargetSpec(**{**sp.__dict__, "checkpoints": (Checkpoint(on=sp.period_end, share=100),)})
    assert definition_errors(good) == {}
