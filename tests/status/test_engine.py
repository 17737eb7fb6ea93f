"""Tests for the status engine (app/engine/), written against the spec.

Layout:
  1. the judging table: every comparison kind x both directions, final phase
  2. the same table during the period (met so far / not yet met / no data)
  3. aggregation (latest, sum, mean, max, min; plain values and pooled ratios)
  4. selection (as_of cutoff, period start, official vs estimate, last recorded)
  5. change targets (each basis, both directions, tolerance)
  6. published practice
  7. definition_errors
  8. summarize
  9. hypothesis properties
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import (
    AcrossUnits,
    Aggregation,
    ChangeBasis,
    Comparison,
    Direction,
    Phase,
    Rules,
    Status,
    TargetSpec,
    definition_errors,
    evaluate,
)
from app.engine.rollup import summarize
from tests.status import builders

# ---------------------------------------------------------------- helpers

START, END = date(2021, 1, 1), date(2025, 12, 31)
AFTER_END = date(2026, 3, 31)  # a final-phase as_of
MID = date(2023, 6, 30)  # an in-progress as_of
RECORDED = datetime(2026, 1, 1, 8, 0)

H, L = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER
E, A, NA = Status.EXCEEDED, Status.ACHIEVED, Status.NOT_ACHIEVED
ON, RISK, OFF, EARLY, ND = Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK, Status.ACHIEVED_EARLY, Status.NO_DATA
REL, PP, ABS = ChangeBasis.RELATIVE_PERCENT, ChangeBasis.PERCENTAGE_POINTS, ChangeBasis.ABSOLUTE

NOISY_03 = 0.1 + 0.2  # 0.30000000000000004


spec = partial(builders.spec, start=START, end=END)
obs = partial(builders.obs, on=END, base=RECORDED)  # `at`: minutes after RECORDED




def at_least(x, d=H):
    return spec("at_least", x, d=d)


def more_than(x, d=H):
    return spec("more_than", x, d=d)


def at_most(x, d=H):
    return spec("at_most", x, d=d)


def less_than(x, d=H):
    return spec("less_than", x, d=d)


def between(lo, hi, d=H):
    return spec("between", low=lo, high=hi, d=d)


def equal(x, d=H):
    return spec("equal", x, d=d)


def about(x, d=H, tol=None):
    return spec("approximately", x, d=d, tol=tol)


def change(target, base, basis, d=H, tol=None, unit=""):
    return spec("change", target, d=d, base=base, basis=basis, tol=tol, unit=unit)


def milestone(d=H):
    return spec("milestone", d=d)


def figure(v, on=END):
    """One figure: a done/not-done report for bools, a plain value otherwise."""
    return obs(done=v, on=on) if isinstance(v, bool) else obs(v, on=on)


def rules(margin=None) -> Rules:
    return Rules(ceiling_exceed_margin=margin)


def final(sp, observations, margin=None):
    return evaluate(sp, observations, as_of=AFTER_END, rules=rules(margin))


def row(id_, sp, value, expected, margin=None):
    return pytest.param(sp, value, expected, margin, id=id_)


# ---------------------------------------------------------------- 1. judging table (final)

JUDGING = [
    # at_least 100, higher is better: a floor, beaten floors are exceeded
    row("at_least-H-just-below", at_least(100), 99.99, NA),
    row("at_least-H-at", at_least(100), 100, A),
    row("at_least-H-just-above", at_least(100), 100.01, E),
    row("at_least-H-far-above", at_least(100), 250, E),
    row("at_least-H-zero", at_least(100), 0, NA),
    row("at_least-H-float-noise", at_least(0.3), NOISY_03, A),  # 0.1+0.2 is "at" 0.3, not above
    row("at_least-H-negative-at", at_least(-2), -2, A),
    row("at_least-H-negative-above", at_least(-2), -1.5, E),
    row("at_least-H-negative-below", at_least(-2), -2.5, NA),
    # at_least with lower-is-better: meeting the floor is all there is, never exceeded
    row("at_least-L-just-below", at_least(100, L), 99.99, NA),
    row("at_least-L-at", at_least(100, L), 100, A),
    row("at_least-L-just-above", at_least(100, L), 100.01, A),
    row("at_least-L-far-above", at_least(100, L), 250, A),
    row("at_least-L-float-noise", at_least(0.3, L), NOISY_03, A),
    # more_than is read loosely ("trên X"): X itself is achieved
    row("more_than-H-just-below", more_than(100), 99.99, NA),
    row("more_than-H-at-is-achieved", more_than(100), 100, A),
    row("more_than-H-just-above", more_than(100), 100.01, E),
    row("more_than-H-float-noise", more_than(0.3), NOISY_03, A),
    row("more_than-L-just-below", more_than(100, L), 99.99, NA),
    row("more_than-L-at-is-achieved", more_than(100, L), 100, A),
    row("more_than-L-just-above", more_than(100, L), 100.01, A),
    # at_most: a ceiling; without a margin a met ceiling is only achieved
    row("at_most-H-just-above", at_most(100), 100.01, NA),
    row("at_most-H-at", at_most(100), 100, A),
    row("at_most-H-just-below", at_most(100), 99.99, A),
    row("at_most-H-zero", at_most(100), 0, A),
    row("at_most-H-float-noise", at_most(0.3), NOISY_03, A),  # not "above" 0.3
    row("at_most-L-just-above", at_most(100, L), 100.01, NA),
    row("at_most-L-at", at_most(100, L), 100, A),
    row("at_most-L-just-below", at_most(100, L), 99.99, A),
    row("at_most-L-far-below-no-margin", at_most(100, L), 10, A),  # no margin: never exceeded
    row("at_most-L-float-noise", at_most(0.3, L), NOISY_03, A),
    # at_most with a plan margin of 5: exceeded only when beaten by >= 5 with direction L
    row("at_most-L-m5-at", at_most(100, L), 100, A, 5),
    row("at_most-L-m5-short-of-margin", at_most(100, L), 95.01, A, 5),
    row("at_most-L-m5-exactly-margin", at_most(100, L), 95, E, 5),
    row("at_most-L-m5-beyond-margin", at_most(100, L), 94.99, E, 5),
    row("at_most-L-m5-zero", at_most(100, L), 0, E, 5),
    row("at_most-L-m5-just-above", at_most(100, L), 100.01, NA, 5),
    row("at_most-L-m0.3-float-noise", at_most(5, L), 4.7, E, 0.3),  # 5-4.7 = 0.2999999999999998
    row("at_most-H-m5-far-below", at_most(100), 50, A, 5),  # H: a met ceiling is only achieved
    row("at_most-H-m5-at", at_most(100), 100, A, 5),
    row("at_most-H-m5-just-above", at_most(100), 100.01, NA, 5),
    # less_than is read loosely ("dưới X"): X itself is achieved
    row("less_than-H-just-above", less_than(100), 100.01, NA),
    row("less_than-H-at-is-achieved", less_than(100), 100, A),
    row("less_than-H-just-below", less_than(100), 99.99, A),
    row("less_than-L-just-above", less_than(100, L), 100.01, NA),
    row("less_than-L-at-is-achieved", less_than(100, L), 100, A),
    row("less_than-L-just-below", less_than(100, L), 99.99, A),
    row("less_than-L-float-noise", less_than(0.3, L), NOISY_03, A),
    row("less_than-L-m5-exactly-margin", less_than(100, L), 95, E, 5),
    row("less_than-L-m5-short-of-margin", less_than(100, L), 96, A, 5),
    row("less_than-L-m5-at", less_than(100, L), 100, A, 5),
    row("less_than-L-m5-just-above", less_than(100, L), 100.01, NA, 5),
    row("less_than-L-m0-just-below", less_than(100, L), 99.99, E, 0),  # margin 0: any beat counts
    row("less_than-L-m0-at", less_than(100, L), 100, A, 0),  # ...but X itself is never exceeded
    row("less_than-H-m5-far-below", less_than(100), 50, A, 5),
    # between [6, 7], higher is better: above the high end is exceeded
    row("between-H-below-low", between(6, 7), 5.99, NA),
    row("between-H-at-low", between(6, 7), 6, A),
    row("between-H-inside", between(6, 7), 6.5, A),
    row("between-H-at-high", between(6, 7), 7, A),
    row("between-H-above-high", between(6, 7), 7.01, E),
    row("between-H-far-below", between(6, 7), 0, NA),
    # between [6, 7], lower is better: below the low end is exceeded
    row("between-L-below-low", between(6, 7, L), 5.99, E),
    row("between-L-at-low", between(6, 7, L), 6, A),
    row("between-L-inside", between(6, 7, L), 6.5, A),
    row("between-L-at-high", between(6, 7, L), 7, A),
    row("between-L-above-high", between(6, 7, L), 7.01, NA),
    row("between-L-far-below", between(6, 7, L), 0, E),
    row("between-H-degenerate-at", between(5, 5), 5, A),
    row("between-L-degenerate-above", between(5, 5, L), 5.01, NA),
    row("between-H-float-noise-high", between(0.1, 0.3), NOISY_03, A),  # not "above" 0.3
    row("between-L-float-noise-high", between(0.1, 0.3, L), NOISY_03, A),
    row("between-L-negative-below", between(-3, -1, L), -3.5, E),
    row("between-L-negative-above", between(-3, -1, L), -0.5, NA),
    row("between-H-negative-above", between(-3, -1), -0.5, E),
    # equal X: a point; beaten is exceeded, missed is not achieved
    row("equal-H-just-below", equal(100), 99.99, NA),
    row("equal-H-at", equal(100), 100, A),
    row("equal-H-just-above", equal(100), 100.01, E),
    row("equal-L-just-below", equal(100, L), 99.99, E),
    row("equal-L-at", equal(100, L), 100, A),
    row("equal-L-just-above", equal(100, L), 100.01, NA),
    row("equal-H-float-noise", equal(0.3), NOISY_03, A),  # not "better" than 0.3
    row("equal-L-float-noise", equal(0.3, L), NOISY_03, A),  # not "worse" than 0.3
    # approximately X without tolerance: as strict as equal
    row("about-H-64.5-vs-65", about(65), 64.5, NA),  # published practice: about 65, 64.5 missed
    row("about-H-just-below", about(65), 64.99, NA),
    row("about-H-at", about(65), 65, A),
    row("about-H-just-above", about(65), 65.01, E),
    row("about-L-just-below", about(65, L), 64.99, E),
    row("about-L-at", about(65, L), 65, A),
    row("about-L-just-above", about(65, L), 65.01, NA),
    row("about-L-cpi-2.79-vs-4", about(4, L), 2.79, E),  # published practice: CPI about 4, 2.79
    row("about-L-cpi-4.5-vs-4", about(4, L), 4.5, NA),
    row("about-H-explicit-tol0-at", about(65, tol=0), 65, A),
    row("about-H-explicit-tol0-above", about(65, tol=0), 65.01, E),
    # approximately X +/- 0.5: the tolerance band is achieved, ends included
    row("about-H-t0.5-below-band", about(65, tol=0.5), 64.49, NA),
    row("about-H-t0.5-band-low-end", about(65, tol=0.5), 64.5, A),
    row("about-H-t0.5-centre", about(65, tol=0.5), 65, A),
    row("about-H-t0.5-band-high-end", about(65, tol=0.5), 65.5, A),
    row("about-H-t0.5-above-band", about(65, tol=0.5), 65.51, E),
    row("about-L-t0.5-below-band", about(65, L, tol=0.5), 64.49, E),
    row("about-L-t0.5-band-low-end", about(65, L, tol=0.5), 64.5, A),
    row("about-L-t0.5-band-high-end", about(65, L, tol=0.5), 65.5, A),
    row("about-L-t0.5-above-band", about(65, L, tol=0.5), 65.51, NA),
    row("about-H-t0.1-float-noise-high", about(1.0, tol=0.1), 1.1, A),  # 1.1-1.0 = 0.10000000000000009
    row("about-L-t0.1-float-noise-high", about(1.0, L, tol=0.1), 1.1, A),
    row("about-H-t0.1-float-noise-low", about(65, tol=0.1), 64.9, A),
    # change targets (more in section 5)
    row("change-rel-H-short", change(10, 200, REL), 219.98, NA),  # +9.99%
    row("change-rel-H-at", change(10, 200, REL), 220, A),
    row("change-rel-H-beyond", change(10, 200, REL), 220.02, E),  # +10.01%
    row("change-rel-L-at", change(-10, 200, REL, L), 180, A),
    row("change-rel-L-beyond", change(-10, 200, REL, L), 179.98, E),
    row("change-rel-L-short", change(-10, 200, REL, L), 180.02, NA),
    row("change-pp-H-at", change(2.5, 40, PP), 42.5, A),
    row("change-pp-H-short", change(2.5, 40, PP), 42.49, NA),
    row("change-pp-H-beyond", change(2.5, 40, PP), 42.51, E),
    row("change-pp-L-at", change(-1.5, 10, PP, L), 8.5, A),
    row("change-pp-L-beyond", change(-1.5, 10, PP, L), 8.49, E),
    row("change-pp-L-short", change(-1.5, 10, PP, L), 8.51, NA),
    row("change-abs-H-at", change(500, 1000, ABS), 1500, A),
    row("change-abs-H-short", change(500, 1000, ABS), 1499, NA),
    row("change-abs-H-beyond", change(500, 1000, ABS), 1501, E),
    row("change-abs-L-at", change(-50, 300, ABS, L), 250, A),
    row("change-abs-L-beyond", change(-50, 300, ABS, L), 249, E),
    row("change-abs-L-short", change(-50, 300, ABS, L), 251, NA),
    # milestones: done or not; never exceeded, direction irrelevant
    row("milestone-H-done", milestone(), True, A),
    row("milestone-H-not-done", milestone(), False, NA),
    row("milestone-L-done", milestone(L), True, A),
    row("milestone-L-not-done", milestone(L), False, NA),
]


@pytest.mark.parametrize("sp, value, expected, margin", JUDGING)
def test_judging_table_final(sp, value, expected, margin):
    assert definition_errors(sp) == {}, "the table itself must only hold valid targets"
    ev = final(sp, [figure(value)], margin)
    assert ev.phase == Phase.FINAL
    assert ev.status == expected
    assert ev.verdict_if_final == expected


def test_judging_table_covers_every_kind_and_direction():
    seen = {(p.values[0].comparison, p.values[0].direction) for p in JUDGING}
    assert seen == {(k, d) for k in Comparison for d in Direction}
    assert len(JUDGING) >= 80


# ---------------------------------------------------------------- 2. in progress

# A level that meets its condition today is on track; one that does not is judged on pace
# (its distance from the goal), so it is at risk or off track, never on track by accident
# unless within the on-track band.
IN_PROGRESS_OF = {E: {ON}, A: {ON}, NA: {ON, RISK, OFF}}
# ... except a milestone reported done, which is done for good.


@pytest.mark.parametrize("sp, value, expected, margin", JUDGING)
def test_judging_table_in_progress(sp, value, expected, margin):
    ev = evaluate(sp, [figure(value, on=MID)], as_of=MID, rules=rules(margin))
    assert ev.phase == Phase.IN_PROGRESS
    done_milestone = sp.comparison == Comparison.MILESTONE and expected == A
    assert ev.status in ({EARLY} if done_milestone else IN_PROGRESS_OF[expected])
    assert ev.verdict_if_final == expected  # what the figures would say if the period ended now
    if expected == NA and ev.pace is not None:
        band = ON if ev.pace >= 0.95 else RISK if ev.pace >= 0.85 else OFF
        assert ev.status == band, (ev.pace, ev.status)


@pytest.mark.parametrize(
    "sp",
    [at_least(1), at_most(1, L), between(1, 2), about(1), change(1, 1, ABS), milestone()],
    ids=lambda s: str(s.comparison),
)
@pytest.mark.parametrize("as_of, phase", [(MID, Phase.IN_PROGRESS), (AFTER_END, Phase.FINAL)])
def test_no_figure_is_no_data_in_both_phases(sp, as_of, phase):
    ev = evaluate(sp, [], as_of=as_of)
    assert (ev.phase, ev.status) == (phase, ND)
    assert ev.measured is None and ev.compared is None
    assert ev.rests_on_estimate is False
    assert ev.observation_ids == ()


@pytest.mark.parametrize(
    "as_of, phase",
    [
        (END - timedelta(days=1), Phase.IN_PROGRESS),
        (END, Phase.FINAL),  # the last day of the period is already final
        (END + timedelta(days=1), Phase.FINAL),
        (START - timedelta(days=1), Phase.IN_PROGRESS),
    ],
)
def test_phase_boundary(as_of, phase):
    assert evaluate(at_least(1), [], as_of=as_of).phase == phase


def test_milestone_in_progress():
    sp = milestone()
    assert evaluate(sp, [obs(done=True, on=MID)], as_of=MID).status == EARLY
    assert evaluate(sp, [obs(done=False, on=MID)], as_of=MID).status == ON  # nothing says it is late yet


def test_milestone_latest_report_wins():
    sp = milestone()
    # done earlier, then reported not done later: the latest report decides
    reports = [obs(done=True, on=date(2024, 6, 30), id=1), obs(done=False, on=date(2025, 6, 30), id=2)]
    ev = final(sp, reports)
    assert (ev.status, ev.done, ev.observation_ids) == (NA, False, (2,))
    # a correction on the same date recorded later wins
    ev = final(sp, [obs(done=False, at=0, id=1), obs(done=True, at=5, id=2)])
    assert (ev.status, ev.done) == (A, True)


def test_milestone_ignores_plain_values():
    assert final(milestone(), [obs(1.0)]).status == ND


def test_numeric_target_ignores_done_reports():
    assert final(at_least(1), [obs(done=True)]).status == ND


# ---------------------------------------------------------------- 3. aggregation


def agg_spec(agg, unit="", value=0):
    return spec("at_least", value, agg=agg, unit=unit)


D1, D2, D3 = date(2023, 12, 31), date(2024, 12, 31), date(2025, 6, 30)
POOLED_1_2_99_100 = 100 / 102 * 100  # 98.039...; the mean of 50% and 99% would be 74.5


def test_latest_plain_takes_the_latest_date_not_the_largest():
    ev = final(agg_spec("latest"), [obs(50, on=D1, id=1), obs(60, on=D2, id=2), obs(55, on=D3, id=3)])
    assert ev.measured == 55
    assert ev.observation_ids == (3,)


def test_own_rule_counts_only_the_plan_organisations_figure_and_shows_units_as_context():
    # Two wards' growth rates for one date: neither is the city's, and neither is picked.
    figures = [obs(10, on=D3, org=1, at=5, id=1), obs(20, on=D3, org=2, at=3, id=2)]
    ev = final(agg_spec("latest"), figures)
    assert ev.measured is None and ev.status == ND
    assert [u["counted"] for u in ev.explanation["units"]] == [False, False]
    assert {n["submission_id"] for n in ev.explanation["not_counted"]} == {1, 2}
    ev = final(agg_spec("latest"), figures + [obs(15, on=D3, org=0, id=3)])
    assert ev.measured == 15 and ev.observation_ids == (3,)


def test_latest_ratios_of_several_organisations_are_pooled():
    figures = [
        obs(num=1, den=2, on=D3, org=1, id=1),
        obs(num=99, den=100, on=D3, org=2, id=2),
        obs(num=0, den=1000, on=D1, org=3, id=3),  # an earlier date, but unit 3's latest
    ]
    ev = final(replace(agg_spec("latest", "%"), across_units=AcrossUnits.POOLED_RATIO), figures)
    # each unit's latest figure is pooled, whatever its date: 100 / 1102
    assert ev.measured == pytest.approx(100 / 1102 * 100)
    assert set(ev.observation_ids) == {1, 2, 3}
    ev = final(replace(agg_spec("latest", "%"), across_units=AcrossUnits.POOLED_RATIO), figures[:2])
    assert ev.measured == pytest.approx(POOLED_1_2_99_100)
    assert ev.measured != pytest.approx(74.5)


@pytest.mark.parametrize("agg", ["sum", "mean"])
def test_sum_and_mean_of_ratios_pool_never_add_or_average_percentages(agg):
    figures = [obs(num=1, den=2, on=D1, id=1), obs(num=99, den=100, on=D2, id=2)]
    ev = final(agg_spec(agg, "%"), figures)
    assert ev.measured == pytest.approx(POOLED_1_2_99_100)
    assert ev.measured != pytest.approx(74.5)  # mean of percentages
    assert ev.measured != pytest.approx(149.0)  # sum of percentages
    assert set(ev.observation_ids) == {1, 2}


def test_pooling_decides_the_verdict():
    # pooled 98.04% >= 95% → exceeded; averaging 50% and 99% (74.5%) would have failed it
    sp = spec("at_least", 95, agg="mean", unit="%")
    figures = [obs(num=1, den=2, on=D1), obs(num=99, den=100, on=D2)]
    assert final(sp, figures).status == E


def test_sum_plain():
    ev = final(agg_spec("sum"), [obs(10, on=D1, id=1), obs(20, on=D2, id=2), obs(30.5, on=D3, id=3)])
    assert ev.measured == 60.5
    assert ev.observation_ids == (1, 2, 3)


def test_sum_plain_counts_every_organisation():
    ev = final(replace(agg_spec("sum"), across_units=AcrossUnits.SUM), [obs(10, org=1), obs(20, org=2), obs(5, org=3)])
    assert ev.measured == 35


def test_sum_float_noise_is_achieved():
    # 0.1 + 0.2 summed against at least 0.3 is at the floor, not above it
    sp = spec("at_least", 0.3, agg="sum")
    assert final(sp, [obs(0.1, on=D1), obs(0.2, on=D2)]).status == A


def test_mean_plain():
    ev = final(agg_spec("mean"), [obs(10, on=D1), obs(20, on=D2), obs(33, on=D3)])
    assert ev.measured == pytest.approx(21)


@pytest.mark.parametrize("agg, expected, used", [("max", 30, (2,)), ("min", 10, (1,))])
def test_max_min_plain(agg, expected, used):
    ev = final(agg_spec(agg), [obs(10, on=D1, id=1), obs(30, on=D2, id=2), obs(20, on=D3, id=3)])
    assert ev.measured == expected
    assert ev.observation_ids == used


@pytest.mark.parametrize("agg, expected", [("max", 99), ("min", 50)])
def test_max_min_ratios_take_the_single_scaled_ratio(agg, expected):
    ev = final(agg_spec(agg, "%"), [obs(num=1, den=2, on=D1), obs(num=99, den=100, on=D2)])
    assert ev.measured == pytest.approx(expected)


@pytest.mark.parametrize(
    "unit, expected",
    [
        ("%", 25.0),
        ("‰", 0.25),  # not a percentage: a plain quotient
        ("", 0.25),
        ("tấn", 0.25),
        ("lần", 0.25),
    ],
)
def test_ratio_scaled_by_unit(unit, expected):
    assert final(agg_spec("latest", unit), [obs(num=1, den=4)]).measured == pytest.approx(expected)


@pytest.mark.parametrize("unit", ["%", "phần trăm", "tỷ lệ", ""])
def test_ratios_are_percentages_when_the_target_says_so_whatever_its_unit(unit):
    # Whether a ratio becomes a percent is a property of the target, not read from its unit text.
    figures = [obs(num=3, den=5)]
    assert final(replace(agg_spec("latest", unit), is_percentage=True), figures).measured == pytest.approx(60)
    assert final(replace(agg_spec("latest", unit), is_percentage=False), figures).measured == pytest.approx(0.6)


def test_plain_values_are_not_scaled_by_unit():
    assert final(agg_spec("latest", "%"), [obs(42.5)]).measured == 42.5


def test_pooling_across_units_of_a_non_percentage():
    sp = replace(agg_spec("latest", "hộ/hộ"), across_units=AcrossUnits.POOLED_RATIO)
    ev = final(sp, [obs(num=3, den=1000, org=1), obs(num=5, den=1000, org=2)])
    assert ev.measured == pytest.approx(0.004)


# ---------------------------------------------------------------- 4. selection


def test_figures_after_as_of_do_not_count():
    sp = agg_spec("latest")
    figures = [obs(40, on=date(2023, 3, 31)), obs(90, on=date(2023, 9, 30))]
    assert evaluate(sp, figures, as_of=MID).measured == 40
    assert evaluate(sp, figures, as_of=date(2023, 9, 30)).measured == 90  # dated on as_of counts


def test_figures_after_as_of_do_not_count_in_sums():
    ev = evaluate(agg_spec("sum"), [obs(1, on=date(2022, 1, 1)), obs(100, on=date(2024, 1, 1))], as_of=MID)
    assert ev.measured == 1


def test_figures_before_period_start_do_not_count():
    figures = [obs(999, on=START - timedelta(days=1)), obs(5, on=START + timedelta(days=180))]
    assert final(agg_spec("sum"), figures).measured == 5
    assert final(agg_spec("max"), figures).measured == 5
    assert final(agg_spec("latest"), [obs(999, on=START - timedelta(days=1))]).status == ND
    assert final(agg_spec("latest"), [obs(7, on=START)]).measured == 7  # on the start date counts


def test_milestone_report_before_period_start_does_not_count():
    assert final(milestone(), [obs(done=True, on=START - timedelta(days=1))]).status == ND


@pytest.mark.parametrize("estimate_recorded_at", [-60, +60], ids=["estimate-first", "estimate-last"])
@pytest.mark.parametrize("reverse", [False, True], ids=["list-order", "reversed-list"])
def test_official_supersedes_estimate_whatever_the_order(estimate_recorded_at, reverse):
    figures = [obs(7.0, est=True, at=estimate_recorded_at, id=1), obs(6.9, est=False, at=0, id=2)]
    if reverse:
        figures.reverse()
    ev = final(agg_spec("latest"), figures)
    assert ev.measured == 6.9
    assert ev.observation_ids == (2,)
    assert ev.rests_on_estimate is False


@pytest.mark.parametrize("est", [False, True], ids=["officials", "estimates"])
@pytest.mark.parametrize("reverse", [False, True], ids=["list-order", "reversed-list"])
def test_among_equals_last_recorded_wins(est, reverse):
    figures = [obs(1.0, est=est, at=10, id=1), obs(2.0, est=est, at=20, id=2), obs(3.0, est=est, at=5, id=3)]
    if reverse:
        figures.reverse()
    ev = final(agg_spec("sum"), figures)  # sum shows that only one of the three counts
    assert ev.measured == 2.0
    assert ev.observation_ids == (2,)
    assert ev.rests_on_estimate is est


def test_official_does_not_supersede_another_organisation_or_date():
    figures = [
        obs(1, org=1, on=D1, est=False),
        obs(2, org=2, on=D1, est=True),  # another organisation: still counts
        obs(4, org=1, on=D2, est=True),  # another date: still counts
    ]
    ev = final(replace(agg_spec("sum"), across_units=AcrossUnits.SUM), figures)
    assert ev.measured == 7
    assert ev.rests_on_estimate is True


def test_rests_on_estimate_when_a_pooled_ratio_includes_an_estimate():
    figures = [obs(num=1, den=2, org=1), obs(num=1, den=2, org=2, est=True)]
    assert final(replace(agg_spec("latest", "%"), across_units=AcrossUnits.POOLED_RATIO), figures).rests_on_estimate is True


def test_rests_on_estimate_only_for_figures_actually_used():
    # the estimate is on an earlier date, so "latest" does not use it
    figures = [obs(5, on=D1, est=True), obs(6, on=D2)]
    assert final(agg_spec("latest"), figures).rests_on_estimate is False
    # max picks the official 6, not the estimate
    assert final(agg_spec("max"), figures).rests_on_estimate is False
    # min picks the estimate
    assert final(agg_spec("min"), figures).rests_on_estimate is True
    # sum uses both
    assert final(agg_spec("sum"), figures).rests_on_estimate is True


def test_newer_estimate_on_a_later_date_is_used_by_latest():
    ev = final(agg_spec("latest"), [obs(5, on=D1), obs(6, on=D2, est=True)])
    assert (ev.measured, ev.rests_on_estimate) == (6, True)


def test_milestone_official_supersedes_estimate():
    reports = [obs(done=False, est=False, at=0), obs(done=True, est=True, at=60)]
    ev = final(milestone(), reports)
    assert (ev.status, ev.rests_on_estimate) == (NA, False)


# ---------------------------------------------------------------- 5. change targets

CHANGES = [
    # relative percent: (v - B) / |B| * 100
    row("rel-H-+10-at", change(10, 80, REL), 88, A),
    row("rel-H-+10-short", change(10, 80, REL), 87.9, NA),
    row("rel-H-+10-beyond", change(10, 80, REL), 88.1, E),
    row("rel-L--10-at-float", change(-10, 3, REL, L), 2.7, A),  # (2.7-3)/3*100 = -10.000000000000009
    row("rel-L--10-beyond", change(-10, 3, REL, L), 2.6, E),
    row("rel-L--10-short", change(-10, 3, REL, L), 2.8, NA),
    row("rel-H-negative-baseline", change(10, -50, REL), -45, A),  # +5 over |−50| = +10%
    row("rel-L-negative-baseline", change(-10, -50, REL, L), -55, A),  # -5 over |−50| = -10%
    row("rel-L-t1-band-low", change(-10, 100, REL, L, tol=1), 89, A),
    row("rel-L-t1-band-high", change(-10, 100, REL, L, tol=1), 91, A),
    row("rel-L-t1-beyond", change(-10, 100, REL, L, tol=1), 88.9, E),
    row("rel-L-t1-short", change(-10, 100, REL, L, tol=1), 91.1, NA),
    # percentage points: v - B, both in %
    row("pp-H-+2.5-float", change(2.5, 40.1, PP), 42.6, A),  # 42.6-40.1 = 2.5000000000000036
    row("pp-H-t0.5-band-low", change(2.5, 40, PP, tol=0.5), 42, A),
    row("pp-H-t0.5-band-high", change(2.5, 40, PP, tol=0.5), 43, A),
    row("pp-H-t0.5-beyond", change(2.5, 40, PP, tol=0.5), 43.01, E),
    row("pp-H-t0.5-short", change(2.5, 40, PP, tol=0.5), 41.99, NA),
    row("pp-L--1-float", change(-1, 1.2, PP, L), 0.2, A),  # 0.2-1.2 = -0.9999999999999999
    row("pp-L-t0.25-beyond", change(-1, 5, PP, L, tol=0.25), 3.7, E),
    row("pp-L-t0.25-short", change(-1, 5, PP, L, tol=0.25), 4.3, NA),
    # absolute: v - B in the target's unit
    row("abs-H-baseline-0", change(100, 0, ABS), 100, A),  # a baseline of 0 is fine for absolute
    row("abs-H-t10-band", change(100, 0, ABS, tol=10), 90, A),
    row("abs-H-t10-beyond", change(100, 0, ABS, tol=10), 111, E),
    row("abs-L-t10-short", change(-100, 500, ABS, L, tol=10), 411, NA),
    row("abs-L-t10-beyond", change(-100, 500, ABS, L, tol=10), 389, E),
    row("abs-L-t10-band", change(-100, 500, ABS, L, tol=10), 410, A),
    # a rise against a target to cut: worse, whatever its size
    row("rel-L-rise-against-cut", change(-10, 100, REL, L), 120, NA),
    # a cut against a target to rise: worse
    row("rel-H-cut-against-rise", change(10, 100, REL), 80, NA),
]


@pytest.mark.parametrize("sp, value, expected, margin", CHANGES)
def test_change_targets(sp, value, expected, margin):
    assert definition_errors(sp) == {}
    assert final(sp, [obs(value)], margin).status == expected


@pytest.mark.parametrize(
    "basis, base, level, expected_change",
    [
        (REL, 200, 180, -10.0),
        (REL, -200, -180, 10.0),
        (PP, 40, 42.5, 2.5),
        (ABS, 1000, 1250, 250.0),
    ],
)
def test_change_is_reported_in_compared_and_explanation(basis, base, level, expected_change):
    ev = final(change(1, base, basis), [obs(level)])
    assert ev.measured == level
    assert ev.compared == pytest.approx(expected_change)
    assert ev.explanation["change"] == pytest.approx(expected_change)
    assert ev.explanation["baseline"] == base
    assert ev.explanation["change_basis"] == str(basis)


def test_change_of_pooled_ratio():
    # coverage 40% → pooled 45% this year (9/20): +5 percentage points, target +5 → achieved
    sp = replace(change(5, 40, PP, unit="%"), across_units=AcrossUnits.POOLED_RATIO)
    ev = final(sp, [obs(num=4, den=10, org=1), obs(num=5, den=10, org=2)])
    assert ev.measured == pytest.approx(45)
    assert ev.status == A


# ---------------------------------------------------------------- 6. published practice

PRACTICE = [
    # GDP growth "6-7%", higher is better: 7.02% is beyond the better end → exceeded
    row("gdp-growth-range-beyond", spec("between", low=6, high=7, unit="%"), 7.02, E),
    row("gdp-growth-range-inside", spec("between", low=6, high=7, unit="%"), 6.5, A),
    # 2.58% growth (a pandemic year) against 6-7% → not achieved
    row("gdp-growth-range-short", spec("between", low=6, high=7, unit="%"), 2.58, NA),
    # "khoảng 65%" with no tolerance: 64.5% is reported as not achieved
    row("about-65-got-64.5", spec("approximately", 65, unit="%"), 64.5, NA),
    # CPI "khoảng 4%", lower is better: 2.79% is reported as exceeded
    row("cpi-about-4-got-2.79", spec("approximately", 4, d=L, unit="%"), 2.79, E),
    # deficit "không quá 3,6% GDP": 3.5% met; without a plan margin only achieved
    row("deficit-ceiling-no-margin", spec("at_most", 3.6, d=L, unit="%"), 3.5, A),
    # ...with a plan margin of 0.5 point, 3.0% beats it by 0.6 → exceeded
    row("deficit-ceiling-margin-beaten", spec("at_most", 3.6, d=L, unit="%"), 3.0, E, 0.5),
    # ...3.2% beats it by only 0.4 → achieved
    row("deficit-ceiling-margin-short", spec("at_most", 3.6, d=L, unit="%"), 3.2, A, 0.5),
    # ...3.7% is over the ceiling → not achieved
    row("deficit-ceiling-over", spec("at_most", 3.6, d=L, unit="%"), 3.7, NA, 0.5),
    # public debt "dưới 60%" at exactly 60%: "dưới" is read loosely → achieved
    row("debt-less-than-60-at-60", spec("less_than", 60, d=L, unit="%"), 60, A),
    # output "trên 9.720 tấn" at exactly 9,720 → achieved (loose "trên")
    row("output-more-than-at", spec("more_than", 9720, unit="tấn"), 9720, A),
    row("output-more-than-beyond", spec("more_than", 9720, unit="tấn"), 9800, E),
    # unemployment "dưới 4%", lower is better, no margin: 2.3% is achieved, not exceeded
    row("unemployment-less-than", spec("less_than", 4, d=L, unit="%"), 2.3, A),
    # poverty rate "giảm 1-1,5 điểm %/năm" modelled as change -1.5pp ± 0.25: cut 1.4pp → achieved
    row("poverty-cut-pp", change(-1.5, 5.2, PP, L, tol=0.25, unit="%"), 3.8, A),
]


@pytest.mark.parametrize("sp, value, expected, margin", PRACTICE)
def test_published_practice(sp, value, expected, margin):
    assert definition_errors(sp) == {}
    assert final(sp, [obs(value)], margin).status == expected


def test_practice_estimate_then_official_figure():
    # "ước thực hiện" 7.0% reported in December, official 6.9% published later; 6-7% target
    sp = spec("between", low=6, high=7, unit="%")
    est = obs(7.0, est=True, at=0, id=1)
    ev = final(sp, [est])
    assert (ev.status, ev.rests_on_estimate) == (A, True)
    ev = final(sp, [est, obs(6.9, at=60 * 24 * 60, id=2)])
    assert (ev.status, ev.measured, ev.rests_on_estimate, ev.observation_ids) == (A, 6.9, False, (2,))


def test_practice_a_late_estimate_does_not_undo_the_official_figure():
    # an estimate re-entered after the official figure does not replace it
    sp = spec("at_least", 7, unit="%")
    ev = final(sp, [obs(7.2, id=1, at=0), obs(6.5, est=True, id=2, at=90)])
    assert (ev.status, ev.measured, ev.rests_on_estimate) == (E, 7.2, False)


# ---------------------------------------------------------------- 7. definition_errors

DEFINITIONS = [
    pytest.param(dict(kind="between", low=None, high=7), {"low"}, id="between-without-low"),
    pytest.param(dict(kind="between", low=6, high=None), {"high"}, id="between-without-high"),
    pytest.param(dict(kind="between", low=8, high=7), {"low"}, id="between-low-above-high"),
    pytest.param(dict(kind="between", low=6, high=7, value=6.5), {"value"}, id="between-with-value"),
    pytest.param(dict(kind="at_least", value=1, low=0), {"low"}, id="at_least-with-low"),
    pytest.param(dict(kind="approximately", value=1, high=2), {"high"}, id="approximately-with-high"),
    pytest.param(dict(kind="at_most", value=1, low=0, high=2), {"low", "high"}, id="at_most-with-both"),
    pytest.param(dict(kind="at_least"), {"value"}, id="at_least-without-value"),
    pytest.param(dict(kind="more_than"), {"value"}, id="more_than-without-value"),
    pytest.param(dict(kind="at_most"), {"value"}, id="at_most-without-value"),
    pytest.param(dict(kind="less_than"), {"value"}, id="less_than-without-value"),
    pytest.param(dict(kind="equal"), {"value"}, id="equal-without-value"),
    pytest.param(dict(kind="approximately"), {"value"}, id="approximately-without-value"),
    pytest.param(dict(kind="change", base=1, basis=ABS), {"value"}, id="change-without-value"),
    pytest.param(dict(kind="milestone", value=1), {"value"}, id="milestone-with-value"),
    pytest.param(dict(kind="milestone", low=1), {"low"}, id="milestone-with-low"),
    pytest.param(dict(kind="milestone", high=1), {"high"}, id="milestone-with-high"),
    pytest.param(dict(kind="milestone", tol=1), {"tolerance"}, id="milestone-with-tolerance"),
    pytest.param(dict(kind="milestone", base=1), {"baseline_value"}, id="milestone-with-baseline"),
    pytest.param(dict(kind="milestone", basis=ABS), {"change_basis"}, id="milestone-with-basis"),
    pytest.param(dict(kind="change", value=1, basis=ABS), {"baseline_value"}, id="change-without-baseline"),
    pytest.param(dict(kind="change", value=1, base=1), {"change_basis"}, id="change-without-basis"),
    pytest.param(dict(kind="change", value=1), {"baseline_value", "change_basis"}, id="change-without-both"),
    pytest.param(dict(kind="change", value=1, base=0, basis=REL), {"baseline_value"}, id="relative-from-zero"),
    pytest.param(dict(kind="at_least", value=1, basis=PP), {"change_basis"}, id="basis-on-at_least"),
    pytest.param(dict(kind="between", low=1, high=2, basis=REL), {"change_basis"}, id="basis-on-between"),
    pytest.param(dict(kind="approximately", value=1, tol=-0.5), {"tolerance"}, id="negative-tolerance"),
    pytest.param(
        dict(kind="change", value=1, base=1, basis=ABS, tol=-1), {"tolerance"}, id="negative-tolerance-change"
    ),
    pytest.param(dict(kind="at_least", value=1, tol=0.5), {"tolerance"}, id="tolerance-on-at_least"),
    pytest.param(dict(kind="equal", value=1, tol=0.5), {"tolerance"}, id="tolerance-on-equal"),
    pytest.param(dict(kind="at_most", value=1, tol=0), {"tolerance"}, id="zero-tolerance-on-at_most"),
    pytest.param(dict(kind="between", low=1, high=2, tol=0.1), {"tolerance"}, id="tolerance-on-between"),
    pytest.param(dict(kind="milestone", agg="sum"), {"aggregation"}, id="milestone-sum"),
    pytest.param(dict(kind="milestone", agg="max"), {"aggregation"}, id="milestone-max"),
    pytest.param(dict(kind="at_least", value=1, end=START - timedelta(days=1)), {"period_end"}, id="period-reversed"),
]


def _spec_from(kwargs):
    kw = dict(kwargs)
    kind = kw.pop("kind")
    return spec(kind, kw.pop("value", None), **kw)


@pytest.mark.parametrize("kwargs, fields", DEFINITIONS)
def test_definition_errors_name_the_field(kwargs, fields):
    errs = definition_errors(_spec_from(kwargs))
    assert fields <= set(errs), errs
    assert all(isinstance(m, str) and m for m in errs.values())


def test_between_without_any_bound_is_an_error():
    errs = definition_errors(spec("between"))
    assert {"low", "high"} & set(errs)


VALID = [
    pytest.param(dict(kind="at_least", value=100), id="at_least"),
    pytest.param(dict(kind="more_than", value=0, d=L), id="more_than-zero"),
    pytest.param(dict(kind="at_most", value=3.6, d=L, unit="%"), id="at_most"),
    pytest.param(dict(kind="less_than", value=-1), id="less_than-negative"),
    pytest.param(dict(kind="between", low=6, high=7), id="between"),
    pytest.param(dict(kind="between", low=5, high=5), id="between-degenerate"),
    pytest.param(dict(kind="equal", value=1), id="equal"),
    pytest.param(dict(kind="approximately", value=65), id="approximately"),
    pytest.param(dict(kind="approximately", value=65, tol=0), id="approximately-tol0"),
    pytest.param(dict(kind="approximately", value=65, tol=0.5), id="approximately-tol"),
    pytest.param(dict(kind="change", value=-10, base=100, basis=REL, d=L), id="change-rel"),
    pytest.param(dict(kind="change", value=2, base=0, basis=PP), id="change-pp-from-0"),
    pytest.param(dict(kind="change", value=2, base=0, basis=ABS, tol=1), id="change-abs-tol"),
    pytest.param(dict(kind="change", value=-10, base=-5, basis=REL), id="change-rel-negative-base"),
    pytest.param(dict(kind="milestone"), id="milestone"),
    pytest.param(dict(kind="at_least", value=1, agg="sum"), id="sum"),
    pytest.param(dict(kind="at_least", value=1, end=START), id="one-day-period"),
]


@pytest.mark.parametrize("kwargs", VALID)
def test_consistent_definitions_have_no_errors(kwargs):
    assert definition_errors(_spec_from(kwargs)) == {}


# ---------------------------------------------------------------- 8. summarize


def _evaluations(statuses, as_of):
    """Evaluations with the given statuses, made through the engine itself."""
    value_for = {E: 150, A: 100, NA: 50, ON: 100, RISK: 90, OFF: 50}
    out = []
    for s in statuses:
        figures = [] if s == ND else [obs(value_for[s], on=min(as_of, END))]
        out.append(evaluate(at_least(100), figures, as_of=as_of))
    assert [ev.status for ev in out] == list(statuses)
    return out


def test_summarize_final_headline():
    evs = _evaluations([E] * 4 + [A] * 7 + [NA], AFTER_END)
    s = summarize(evs, as_of=AFTER_END, phase=Phase.FINAL)
    assert s.total == 12
    assert (s.counts["exceeded"], s.counts["achieved"], s.counts["not_achieved"]) == (4, 7, 1)
    assert set(s.counts) == {status.value for status in Status}
    assert s.headline_vi == "Đạt và vượt 11/12 chỉ tiêu, trong đó 4 chỉ tiêu vượt; 1 chỉ tiêu không đạt"
    assert s.headline_en == "11 of 12 targets achieved or exceeded, 4 exceeded; 1 not achieved"


def test_summarize_final_headline_all_met_has_no_missed_part():
    s = summarize(_evaluations([E, A, A], AFTER_END), as_of=AFTER_END, phase=Phase.FINAL)
    assert s.headline_vi == "Đạt và vượt 3/3 chỉ tiêu, trong đó 1 chỉ tiêu vượt"
    assert s.headline_en == "3 of 3 targets achieved or exceeded, 1 exceeded"


def test_summarize_final_headline_with_no_data():
    s = summarize(_evaluations([A, NA, ND, ND], AFTER_END), as_of=AFTER_END, phase=Phase.FINAL)
    assert s.counts["no_data"] == 2
    assert s.headline_vi.endswith("; 1 chỉ tiêu không đạt; 2 chỉ tiêu chưa có số liệu")
    assert s.headline_en.endswith("; 1 not achieved; 2 without data")
    assert s.headline_en.startswith("1 of 4 targets")


def test_summarize_in_progress_headline():
    s = summarize(_evaluations([ON, ON, RISK, OFF, ND], MID), as_of=MID, phase=Phase.IN_PROGRESS)
    assert (s.counts["on_track"], s.counts["at_risk"], s.counts["off_track"], s.counts["no_data"]) == (2, 1, 1, 1)
    assert s.headline_vi == (
        "Đến ngày 30/06/2023: 2/5 chỉ tiêu đúng tiến độ, 1 chỉ tiêu có nguy cơ không đạt, "
        "1 chỉ tiêu chậm tiến độ; 1 chỉ tiêu chưa có số liệu"
    )
    assert s.headline_en == "As of 2023-06-30: 2 of 5 targets on track, 1 at risk, 1 off track; 1 without data"


def test_summarize_empty_plan():
    s = summarize([], as_of=AFTER_END, phase=Phase.FINAL)
    assert s.total == 0
    assert s.headline_en == "0 of 0 targets achieved or exceeded, 0 exceeded"


# ---------------------------------------------------------------- 9. properties

RANK = {NA: 0, A: 1, E: 2}
NUMBERS = st.one_of(
    st.integers(-100, 100).map(float),  # hits boundaries often
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
SMALL_NONNEG = st.one_of(st.none(), st.integers(0, 10).map(float), st.floats(0, 1e3))
NON_MILESTONE = [k for k in Comparison if k != Comparison.MILESTONE]


@st.composite
def judged_targets(draw, kinds=tuple(NON_MILESTONE), directions=(H, L)):
    kind = draw(st.sampled_from(kinds))
    d = draw(st.sampled_from(directions))
    margin = draw(SMALL_NONNEG)
    if kind == Comparison.BETWEEN:
        lo, hi = sorted([draw(NUMBERS), draw(NUMBERS)])
        sp = spec(kind, low=lo, high=hi, d=d)
    elif kind == Comparison.APPROXIMATELY:
        sp = spec(kind, draw(NUMBERS), d=d, tol=draw(SMALL_NONNEG))
    elif kind == Comparison.CHANGE:
        basis = draw(st.sampled_from(list(ChangeBasis)))
        base = draw(NUMBERS.filter(lambda b: abs(b) >= 0.01)) if basis == REL else draw(NUMBERS)
        value = draw(NUMBERS)
        if basis == ChangeBasis.FACTOR:  # a factor of a baseline, both above 0
            base, value = abs(base) + 0.01, abs(value) + 0.01
        sp = spec(kind, value, d=d, base=base, basis=basis, tol=draw(SMALL_NONNEG))
    else:
        sp = spec(kind, draw(NUMBERS), d=d)
    assert definition_errors(sp) == {}
    return sp, rules(margin)


def _verdict(sp, r, v):
    return evaluate(sp, [obs(v)], as_of=AFTER_END, rules=r).status


def _assert_monotone(sp, r, a, b, larger_never_worse):
    lo, hi = sorted([a, b])
    v_lo, v_hi = RANK[_verdict(sp, r, lo)], RANK[_verdict(sp, r, hi)]
    if larger_never_worse:
        assert v_hi >= v_lo, (sp, r, lo, hi)
    else:
        assert v_hi <= v_lo, (sp, r, lo, hi)


CEILINGS = {Comparison.AT_MOST, Comparison.LESS_THAN}
FLOORS = {Comparison.AT_LEAST, Comparison.MORE_THAN}


@settings(max_examples=200, deadline=None, database=None)
@given(judged_targets(kinds=tuple(k for k in NON_MILESTONE if k not in CEILINGS), directions=(H,)), NUMBERS, NUMBERS)
def test_property_higher_is_better_larger_never_worse(target, a, b):
    # ceilings are left out: by the spec a met ceiling is only achieved and a larger value
    # breaks it, whatever the direction (see the next-but-one test)
    sp, r = target
    _assert_monotone(sp, r, a, b, larger_never_worse=True)


@settings(max_examples=200, deadline=None, database=None)
@given(judged_targets(kinds=tuple(k for k in NON_MILESTONE if k not in FLOORS), directions=(L,)), NUMBERS, NUMBERS)
def test_property_lower_is_better_smaller_never_worse(target, a, b):
    # floors are left out for the same reason: a floor is a hard lower bound in either direction
    sp, r = target
    _assert_monotone(sp, r, a, b, larger_never_worse=False)


@settings(max_examples=200, deadline=None, database=None)
@given(judged_targets(), NUMBERS, NUMBERS)
def test_property_monotone_in_the_sense_of_the_comparison(target, a, b):
    # floors: larger never worse (either direction); ceilings: smaller never worse
    # (either direction); ranges and points follow the direction
    sp, r = target
    if sp.comparison in FLOORS:
        up = True
    elif sp.comparison in CEILINGS:
        up = False
    else:
        up = sp.direction == H
    _assert_monotone(sp, r, a, b, larger_never_worse=up)


def test_mismatched_bounds_are_not_monotone_in_the_direction_by_design():
    # the spec's ceiling rule makes "larger never worse" false for H ceilings...
    assert _verdict(at_most(100), rules(), 50) == A
    assert _verdict(at_most(100), rules(), 150) == NA
    # ...and its floor rule makes "smaller never worse" false for L floors
    assert _verdict(at_least(100, L), rules(), 150) == A
    assert _verdict(at_least(100, L), rules(), 50) == NA


RATIO_PARTS = st.tuples(
    st.one_of(st.integers(0, 10_000).map(float), st.floats(0, 1e6)),
    st.one_of(st.integers(1, 10_000).map(float), st.floats(1e-3, 1e6)),
)


@settings(max_examples=200, deadline=None, database=None)
@given(
    parts=st.lists(RATIO_PARTS, min_size=1, max_size=8),
    unit=st.sampled_from(["%", "‰", "", "tấn"]),
    agg=st.sampled_from(["latest", "sum", "mean"]),
)
def test_property_pooled_ratio_is_ratio_of_sums(parts, unit, agg):
    if agg == "latest":  # several organisations, each one's latest figure pooled
        figures = [obs(num=n, den=d, org=i + 1, on=END - timedelta(days=i)) for i, (n, d) in enumerate(parts)]
        figures.append(obs(num=1, den=1e9, org=1, on=D1))  # the unit's earlier level: must not be pooled in
        sp = replace(agg_spec(agg, unit), across_units=AcrossUnits.POOLED_RATIO)
    else:  # one organisation over several dates
        figures = [obs(num=n, den=d, on=START + timedelta(days=i)) for i, (n, d) in enumerate(parts)]
        sp = agg_spec(agg, unit)
    ev = final(sp, figures)
    nums, dens = [n for n, _ in parts], [d for _, d in parts]
    expected = math.fsum(nums) / math.fsum(dens) * sp.ratio_scale
    assert ev.measured == pytest.approx(expected, rel=1e-12, abs=1e-12)


DAYS = (END - START).days


def _figure(minute, day, org, est, reading, id_):
    value, num, den = reading
    return obs(value, num=num, den=den, on=START + timedelta(days=day), org=org, est=est, at=minute, id=id_)


def figure_lists(max_day):
    """Up to 6 figures (plain or ratio, official or estimate) with distinct recording times."""
    reading = st.one_of(NUMBERS.map(lambda v: (v, None, None)), RATIO_PARTS.map(lambda p: (None, *p)))
    one = st.tuples(st.integers(0, 10_000), st.integers(-30, max_day), st.integers(0, 2), st.booleans(), reading)
    return st.lists(one, max_size=6, unique_by=lambda t: t[0]).map(
        lambda rows: [_figure(*r, i + 1) for i, r in enumerate(rows)]
    )


@settings(max_examples=100, deadline=None, database=None)  # list-valued draws cost ~6 ms each
@given(data=st.data())
def test_property_figure_after_as_of_changes_nothing(data):
    sp, r = data.draw(judged_targets())
    sp = TargetSpec(**{**sp.__dict__, "aggregation": data.draw(st.sampled_from(list(Aggregation)))})
    as_of = START + timedelta(days=data.draw(st.integers(0, DAYS + 60)))
    figures = data.draw(figure_lists(max_day=(as_of - START).days))
    late = obs(
        data.draw(NUMBERS),
        on=as_of + timedelta(days=data.draw(st.integers(1, 400))),
        org=data.draw(st.integers(0, 2)),
        est=data.draw(st.booleans()),
        at=data.draw(st.integers(-10_000, 20_000)),  # may be recorded before or after the others
        id=999,
    )
    where = data.draw(st.integers(0, len(figures)))
    with_late = figures[:where] + [late] + figures[where:]
    assert evaluate(sp, with_late, as_of=as_of, rules=r) == evaluate(sp, figures, as_of=as_of, rules=r)


@settings(max_examples=100, deadline=None, database=None)  # list-valued draws cost ~6 ms each
@given(data=st.data())
def test_property_order_of_figures_does_not_matter(data):
    # official-over-estimate and last-recorded-wins depend on the figures, not the list order
    sp, r = data.draw(judged_targets())
    sp = TargetSpec(**{**sp.__dict__, "aggregation": data.draw(st.sampled_from(list(Aggregation)))})
    figures = data.draw(figure_lists(max_day=DAYS))
    shuffled = data.draw(st.permutations(figures))
    assert evaluate(sp, shuffled, as_of=AFTER_END, rules=r) == evaluate(sp, figures, as_of=AFTER_END, rules=r)



def test_english_message_uses_the_english_title():
    s = TargetSpec(
        comparison=Comparison.AT_LEAST, value=1, period_start=START, period_end=END, title="Sản lượng", title_en="Output"
    )
    e = evaluate(s, [], as_of=AFTER_END)
    assert e.message_vi.startswith("Sản lượng:") and e.message_en.startswith("Output:")


def test_ratio_over_zero_is_ignored_not_a_crash():
    """The API refuses denominator 0; the engine must not crash if one gets through."""
    assert evaluate(spec("at_least", 50, unit="%"), [obs(num=0, den=0)], as_of=AFTER_END).status == ND
