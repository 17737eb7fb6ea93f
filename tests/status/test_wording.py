"""Tests for the sentences the status engine writes (app/engine/wording.py).

Vietnamese text writes numbers as "9.720" / "17,4" and dates as dd/mm/yyyy;
English text writes "9,720" / "17.4" and ISO dates.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import (
    ChangeBasis,
    Direction,
    Phase,
    evaluate,
)
from app.engine.wording import criterion, format_date, format_number, headline
from tests.status import builders

START, END = date(2021, 1, 1), date(2025, 12, 31)
MID = date(2023, 6, 30)
H, L = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER


spec = partial(builders.spec, start=START, end=END)
obs = partial(builders.obs, on=MID, at=datetime(2023, 7, 1))




def messages(sp, figures, as_of=MID):
    ev = evaluate(sp, figures, as_of=as_of)
    return ev.message_vi, ev.message_en


# ---------------------------------------------------------------- format_number


@pytest.mark.parametrize(
    "x, lang, kwargs, expected",
    [
        pytest.param(9720, "vi", {}, "9.720", id="vi-thousands"),
        pytest.param(9720, "en", {}, "9,720", id="en-thousands"),
        pytest.param(17.4, "vi", {}, "17,4", id="vi-decimal"),
        pytest.param(17.4, "en", {}, "17.4", id="en-decimal"),
        pytest.param(1536.246, "vi", {"max_decimals": 3}, "1.536,246", id="vi-3-decimals"),
        pytest.param(1536.246, "en", {"max_decimals": 3}, "1,536.246", id="en-3-decimals"),
        pytest.param(1536.246, "vi", {}, "1.536,25", id="vi-rounded-to-2"),
        pytest.param(1234567.891, "vi", {}, "1.234.567,89", id="vi-millions"),
        pytest.param(1234567.891, "en", {}, "1,234,567.89", id="en-millions"),
        pytest.param(100, "vi", {}, "100", id="vi-integer-keeps-zeros"),  # trailing-zero strip must not eat "100"
        pytest.param(100.0, "en", {}, "100", id="en-float-integer"),
        pytest.param(7.50, "vi", {}, "7,5", id="vi-trailing-zero-dropped"),
        pytest.param(0, "vi", {}, "0", id="zero"),
        pytest.param(-0.001, "vi", {}, "0", id="tiny-negative-is-0-not--0"),
        pytest.param(-0.0, "en", {}, "0", id="negative-zero"),
        pytest.param(-9720.5, "vi", {}, "-9.720,5", id="vi-negative"),
        pytest.param(-9720.5, "en", {}, "-9,720.5", id="en-negative"),
        pytest.param(0.1 + 0.2, "vi", {}, "0,3", id="vi-float-noise"),
        pytest.param(9720.4, "vi", {"max_decimals": 0}, "9.720", id="vi-no-decimals"),
        pytest.param(1000, "vi", {"max_decimals": 0}, "1.000", id="vi-no-decimals-round-thousand"),
        pytest.param(2.79, "vi", {}, "2,79", id="vi-cpi"),
    ],
)
def test_format_number(x, lang, kwargs, expected):
    assert format_number(x, lang, **kwargs) == expected


def test_format_number_defaults_to_vietnamese():
    assert format_number(9720.5) == "9.720,5"


@settings(max_examples=200, deadline=None, database=None)
@given(st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False))
def test_property_vi_and_en_differ_only_by_swapped_separators(x):
    vi, en = format_number(x, "vi"), format_number(x, "en")
    assert vi == en.translate(str.maketrans({",": ".", ".": ","}))
    assert en.count(".") <= 1 and vi.count(",") <= 1
    assert float(en.replace(",", "")) == pytest.approx(x, abs=0.005 + 1e-12 * abs(x))


# ---------------------------------------------------------------- format_date


@pytest.mark.parametrize(
    "d, lang, expected",
    [
        (date(2019, 6, 30), "vi", "30/06/2019"),
        (date(2019, 6, 30), "en", "2019-06-30"),
        (date(2025, 1, 5), "vi", "05/01/2025"),
        (date(2025, 1, 5), "en", "2025-01-05"),
    ],
)
def test_format_date(d, lang, expected):
    assert format_date(d, lang) == expected


def test_format_date_defaults_to_vietnamese():
    assert format_date(date(2019, 6, 30)) == "30/06/2019"


# ---------------------------------------------------------------- headline


def counts(**kw):
    base = dict.fromkeys(["exceeded", "achieved", "not_achieved", "met_so_far", "not_yet_met", "no_data"], 0)
    return {**base, **kw}


def test_headline_final_as_committees_write_it():
    vi, en = headline(counts(exceeded=4, achieved=7, not_achieved=1), 12, as_of=END, phase=Phase.FINAL)
    assert vi == "Đạt và vượt 11/12 chỉ tiêu, trong đó 4 chỉ tiêu vượt; 1 chỉ tiêu không đạt"
    assert en == "11 of 12 targets achieved or exceeded, 4 exceeded; 1 not achieved"


def test_headline_final_leaves_out_zero_parts():
    vi, en = headline(counts(exceeded=4, achieved=8), 12, as_of=END, phase=Phase.FINAL)
    assert vi == "Đạt và vượt 12/12 chỉ tiêu, trong đó 4 chỉ tiêu vượt"
    assert en == "12 of 12 targets achieved or exceeded, 4 exceeded"


def test_headline_final_with_no_data():
    vi, en = headline(counts(achieved=9, not_achieved=1, no_data=2), 12, as_of=END, phase=Phase.FINAL)
    assert vi == "Đạt và vượt 9/12 chỉ tiêu, trong đó 0 chỉ tiêu vượt; 1 chỉ tiêu không đạt; 2 chỉ tiêu chưa có số liệu"
    assert en == "9 of 12 targets achieved or exceeded, 0 exceeded; 1 not achieved; 2 without data"


def test_headline_in_progress():
    vi, en = headline(
        counts(achieved_early=1, on_track=4, at_risk=4, off_track=2, no_data=1), 12, as_of=MID, phase=Phase.IN_PROGRESS
    )
    assert vi == (
        "Đến ngày 30/06/2023: 5/12 chỉ tiêu đúng tiến độ (trong đó 1 chỉ tiêu đã đạt sớm), "
        "4 chỉ tiêu có nguy cơ không đạt, 2 chỉ tiêu chậm tiến độ; 1 chỉ tiêu chưa có số liệu"
    )
    assert en == "As of 2023-06-30: 5 of 12 targets on track (1 achieved early), 4 at risk, 2 off track; 1 without data"


def test_headline_final_with_basically_achieved():
    vi, en = headline(counts(exceeded=4, achieved=6, basically_achieved=1, not_achieved=1), 12, as_of=END, phase=Phase.FINAL)
    assert vi == "Đạt và vượt 10/12 chỉ tiêu, trong đó 4 chỉ tiêu vượt; 1 chỉ tiêu cơ bản đạt; 1 chỉ tiêu không đạt"
    assert en == "10 of 12 targets achieved or exceeded, 4 exceeded; 1 basically achieved; 1 not achieved"


def test_english_counts_are_singular_for_one_and_plural_otherwise():
    """Issue 16: "0 of 1 target", never "0 of 1 targets"; the Vietnamese has no plural."""
    during = headline(counts(no_data=1), 1, as_of=date(2019, 6, 30), phase=Phase.IN_PROGRESS)
    assert during[1] == "As of 2019-06-30: 0 of 1 target on track, 0 at risk, 0 off track; 1 without data"
    assert during[0].startswith("Đến ngày 30/06/2019: 0/1 chỉ tiêu đúng tiến độ")
    assert headline(counts(achieved=2), 2, as_of=END, phase=Phase.FINAL)[1].startswith("2 of 2 targets achieved")
    assert headline(counts(), 0, as_of=END, phase=Phase.FINAL)[1].startswith("0 of 0 targets achieved")


def test_headline_accepts_phase_as_plain_string():
    assert headline(counts(achieved=1), 1, as_of=END, phase="final")[1].startswith("1 of 1 target achieved")


# ---------------------------------------------------------------- criterion


@pytest.mark.parametrize(
    "sp, vi, en",
    [
        pytest.param(spec("more_than", 9720, unit="tấn"), "trên 9.720 tấn", "more than 9,720 tấn", id="more_than"),
        pytest.param(spec("at_least", 1500.5, unit="ha"), "từ 1.500,5 ha trở lên", "at least 1,500.5 ha", id="at_least"),
        pytest.param(spec("at_most", 3.6, d=L, unit="%"), "không quá 3,6%", "at most 3.6%", id="at_most-percent"),
        pytest.param(spec("less_than", 4, d=L, unit="%"), "dưới 4%", "less than 4%", id="less_than"),
        pytest.param(spec("between", low=6, high=7, unit="%"), "từ 6 đến 7%", "between 6 and 7%", id="between"),
        pytest.param(spec("approximately", 65, unit="%"), "khoảng 65%", "about 65%", id="approximately"),
        pytest.param(
            spec("approximately", 65, tol=0.5, unit="%"), "khoảng 65% ± 0,5", "about 65% ± 0.5", id="approximately-tol"
        ),
        pytest.param(spec("equal", 1200), "1.200", "exactly 1,200", id="equal"),
        pytest.param(spec("at_most", 12, unit="‰"), "không quá 12‰", "at most 12‰", id="per-mille"),
        pytest.param(spec("milestone"), "hoàn thành", "done", id="milestone"),
        pytest.param(
            spec("change", -10, d=L, base=2500, basis=ChangeBasis.RELATIVE_PERCENT, unit="vụ"),
            "giảm 10% so với mức cơ sở 2.500 vụ",
            "a decrease of 10% from the baseline 2,500 vụ",
            id="change-relative-cut",
        ),
        pytest.param(
            spec("change", 1500, base=12000, basis=ChangeBasis.ABSOLUTE, unit="tỷ đồng"),
            "tăng 1.500 tỷ đồng so với mức cơ sở 12.000 tỷ đồng",
            "an increase of 1,500 tỷ đồng from the baseline 12,000 tỷ đồng",
            id="change-absolute-rise",
        ),
    ],
)
def test_criterion(sp, vi, en):
    assert criterion(sp, "vi") == vi
    assert criterion(sp, "en") == en


# ---------------------------------------------------------------- describe (through evaluate)


def test_message_uses_each_languages_number_format():
    vi, en = messages(spec("more_than", 9720, unit="tấn", title="Sản lượng"), [obs(9720.5)])
    assert "9.720,5 tấn" in vi and "trên 9.720 tấn" in vi
    assert "9,720.5 tấn" in en and "more than 9,720 tấn" in en
    assert "9,720" not in vi
    assert "9.720" not in en


def test_message_date_formats():
    vi, en = messages(spec("at_least", 1), [obs(2)], as_of=MID)
    assert "30/06/2023" in vi and "2023-06-30" not in vi
    assert "2023-06-30" in en and "30/06/2023" not in en


def test_message_starts_with_title():
    vi, en = messages(spec("at_least", 1, title="Tỷ lệ che phủ rừng"), [obs(2)])
    assert vi.startswith("Tỷ lệ che phủ rừng: ")
    assert en.startswith("Tỷ lệ che phủ rừng: ")


@pytest.mark.parametrize(
    "value, as_of, vi_words, en_words",
    [
        pytest.param(150, END, "vượt chỉ tiêu", "exceeded", id="exceeded"),
        pytest.param(100, END, "đạt chỉ tiêu", "achieved", id="achieved"),
        pytest.param(50, END, "không đạt chỉ tiêu", "not achieved", id="not-achieved"),
        pytest.param(150, MID, "đúng tiến độ", "on track", id="on-track"),
        pytest.param(50, MID, "chậm tiến độ", "off track", id="off-track"),
    ],
)
def test_message_states_the_verdict(value, as_of, vi_words, en_words):
    vi, en = messages(spec("at_least", 100), [obs(value, on=min(as_of, END))], as_of=as_of)
    assert vi.endswith(f": {vi_words}.")
    assert en.endswith(f": {en_words}.")


def test_no_data_message():
    vi, en = messages(spec("more_than", 9720, unit="tấn", title="Sản lượng"), [], as_of=MID)
    assert vi == "Sản lượng: chưa có số liệu đến ngày 30/06/2023 (chỉ tiêu trên 9.720 tấn)."
    assert en == "Sản lượng: no figure reported as of 2023-06-30 (target: more than 9,720 tấn)."


def test_estimate_is_flagged_in_both_languages():
    vi, en = messages(spec("at_least", 1), [obs(2, est=True)])
    assert ", số liệu ước" in vi
    assert ", on estimates" in en
    vi, en = messages(spec("at_least", 1), [obs(2)])
    assert "ước" not in vi and "estimate" not in en


@pytest.mark.parametrize(
    "done, vi_part, en_part", [(True, "đã hoàn thành", "done"), (False, "chưa hoàn thành", "not done")]
)
def test_milestone_message(done, vi_part, en_part):
    vi, en = messages(spec("milestone", title="Quy hoạch tỉnh"), [obs(done=done)])
    assert vi.startswith(f"Quy hoạch tỉnh: {vi_part} đến ngày 30/06/2023")
    assert en.startswith(f"Quy hoạch tỉnh: {en_part} as of 2023-06-30")


def test_change_message_shows_level_and_change():
    sp = spec("change", -10, d=L, base=2500, basis=ChangeBasis.RELATIVE_PERCENT, unit="vụ")
    vi, en = messages(sp, [obs(2200)])
    assert "2.200 vụ (thay đổi -12%)" in vi
    assert "2,200 vụ (a change of -12%)" in en


def test_tolerance_uses_vietnamese_decimal_comma():
    vi, en = messages(spec("approximately", 1536.5, tol=0.25, unit="tấn"), [obs(1536.4)])
    assert "khoảng 1.536,5 tấn ± 0,25" in vi
    assert "about 1,536.5 tấn ± 0.25" in en


@settings(max_examples=200, deadline=None, database=None)
@given(st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False))
def test_property_messages_carry_the_measured_figure_in_each_format(x):
    vi, en = messages(spec("at_least", 0, unit="tấn"), [obs(x)])
    assert f"{format_number(x, 'vi')} tấn" in vi
    assert f"{format_number(x, 'en')} tấn" in en


def test_percentage_point_messages_have_single_spaces():
    """Once read '3,1  điểm phần trăm': the unit carried its own leading space."""
    sp = spec("change", 2.5, base=40, basis=ChangeBasis.PERCENTAGE_POINTS, unit="%", tol=0.5)
    vi, en = messages(sp, [obs(43.1)])
    assert "  " not in vi, vi
    assert "  " not in en, en
