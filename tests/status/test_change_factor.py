"""Change by a factor (issue 11): "tăng 1,6 lần so với năm 2020" is 1.6 times the baseline.

The judged figure is level / baseline; the goal is baseline × factor; the baseline must be
above 0. Kept apart from test_engine.py so that the engine's own tables stay as they are.
"""

from __future__ import annotations

from datetime import date

import pytest

from app.engine import ChangeBasis, Direction, Status, definition_errors, evaluate, goal_of, wording
from tests.status.test_engine import AFTER_END, END, MID, H, L, obs, spec

F = ChangeBasis.FACTOR


@pytest.mark.parametrize(
    "value, base, d, level, verdict",
    [
        (1.6, 2000, H, 3200, Status.ACHIEVED),
        (1.6, 2000, H, 3199, Status.NOT_ACHIEVED),
        (1.6, 2000, H, 3300, Status.EXCEEDED),
        (0.5, 400, L, 200, Status.ACHIEVED),  # "giảm 2 lần": half the baseline
        (0.5, 400, L, 150, Status.EXCEEDED),
        (0.5, 400, L, 250, Status.NOT_ACHIEVED),
    ],
)
def test_a_factor_is_judged_on_level_over_baseline(value, base, d, level, verdict):
    s = spec("change", value, d=d, base=base, basis=F, unit="tỷ đồng")
    assert not definition_errors(s)
    ev = evaluate(s, [obs(level)], as_of=AFTER_END)
    assert ev.status == verdict
    assert ev.explanation["change_basis"] == "factor"
    assert ev.explanation["change"] == pytest.approx(level / base)
    assert goal_of(s) == pytest.approx(base * value)


def test_a_factor_needs_a_baseline_above_zero_and_a_positive_factor():
    assert "baseline_value" in definition_errors(spec("change", 1.6, base=0, basis=F))
    assert "baseline_value" in definition_errors(spec("change", 1.6, base=-5, basis=F))
    assert "baseline_value" in definition_errors(spec("change", 1.6, base=None, basis=F))
    assert "value" in definition_errors(spec("change", 0, base=100, basis=F))


def test_a_factor_in_progress_heads_for_baseline_times_factor():
    s = spec("change", 2, base=100, basis=F)
    ev = evaluate(s, [obs(150, on=date(2023, 1, 1))], as_of=MID)
    assert ev.explanation["goal"] == pytest.approx(200)
    assert ev.explanation["baseline"] == 100


def test_a_factor_in_words():
    s = spec("change", 1.6, base=2000, basis=F, unit="tỷ đồng")
    assert wording.criterion(s, "vi") == "gấp 1,6 lần mức cơ sở 2.000 tỷ đồng"
    assert wording.criterion(s, "en") == "1.6 times the baseline 2,000 tỷ đồng"
    ev = evaluate(s, [obs(3300, on=END)], as_of=AFTER_END)
    assert "gấp 1,6 lần" in ev.message_vi and "1.6 times" in ev.message_en
    assert ev.status == Status.EXCEEDED and s.direction == Direction.HIGHER_IS_BETTER
