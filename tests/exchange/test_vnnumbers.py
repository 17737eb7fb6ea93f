"""Vietnamese numbers (app/exchange/vnnumbers.py): every trap as a table row, and round trips."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.exchange.vnnumbers import find_numbers, fold, format_en, format_vi, normalize, parse_number
from app.engine.wording import format_number

# (text, value, unit, magnitude); value None means "not read" (ambiguous or malformed)
READINGS = [
    # the Vietnamese convention
    ("9.720 tấn", 9720, "tấn", 0),
    ("17,4%", 17.4, "%", 0),
    ("1.536,246 tỷ đồng", 1536.246, "tỷ đồng", 9),
    ("1.234.567", 1234567, "", 0),
    ("3.098 tấn", 3098, "tấn", 0),  # '.' + three digits: thousands, by convention; not ambiguous
    ("0,5%", 0.5, "%", 0),
    ("0,125", 0.125, "", 0),  # a group cannot start with 0: decimal
    ("1234,567 ha", 1234.567, "ha", 0),  # four digits before ',': cannot be grouping
    # English-style text in Vietnamese documents
    ("654.1 tỷ", 654.1, "tỷ", 9),  # '.' + one digit cannot group thousands: a decimal point
    ("1,234,567 người", 1234567, "người", 0),
    ("1,536.25 tỷ đồng", 1536.25, "tỷ đồng", 9),
    # units glued, spaced, with suffixes
    ("140tạ/ha", 140, "tạ/ha", 0),
    ("80 %", 80, "%", 0),
    ("5000tấn", 5000, "tấn", 0),
    ("60 triệu đồng/người/năm", 60, "triệu đồng/người/năm", 6),
    ("10 bác sĩ/vạn dân", 10, "bác sĩ/vạn dân", 0),
    ("10%/năm", 10, "%/năm", 0),
    ("95 phần trăm", 95, "%", 0),
    ("2 điểm phần trăm", 2, "điểm phần trăm", 0),
    ("1,5 điểm %", 1.5, "điểm phần trăm", 0),
    # leading zeros
    ("04 mô hình", 4, "mô hình", 0),
    ("05 hợp tác xã", 5, "hợp tác xã", 0),
    # magnitude words stay in the unit
    ("1.536 tỷ đồng", 1536, "tỷ đồng", 9),
    ("1,2 triệu lượt khách", 1.2, "triệu lượt khách", 6),
    ("2 nghìn tỷ đồng", 2, "nghìn tỷ đồng", 12),
    ("3 ngàn tấn", 3, "nghìn tấn", 3),
    ("2 vạn cây", 2, "vạn cây", 4),
    ("5 tỉ đồng", 5, "tỷ đồng", 9),
    ("7 triệu", 7, "triệu", 6),
    # per mille, every spelling
    ("5‰", 5, "‰", 0),
    ("11%o", 11, "‰", 0),
    ("1,2 0/00", 1.2, "‰", 0),
    ("1,20/00", 1.2, "‰", 0),
    ("3 phần nghìn", 3, "‰", 0),
    # text from PDFs and word processors
    ("nƣớc sạch 98 %", 98, "%", 0),
    ("9.720\u00a0tấn", 9720, "tấn", 0),
    ("9\u202f720 tấn", 9720, "tấn", 0),
    ("9\u00a0720 tấn", 9720, "tấn", 0),
    (unicodedata.normalize("NFD", "đạt 96,5% trở lên"), 96.5, "%", 0),
    ("\ufeff12,5\u200b%", 12.5, "%", 0),
    # signs
    ("-1.234,5", -1234.5, "", 0),
    ("−7,25", -7.25, "", 0),
    # nothing to read
    ("không có số", None, "", 0),
    ("1.23.4", None, "", 0),
]


@pytest.mark.parametrize(("text", "value", "unit", "magnitude"), READINGS)
def test_reading(text, value, unit, magnitude):
    parsed = parse_number(text)
    assert parsed.value == (None if value is None else pytest.approx(value))
    assert parsed.unit == unit
    assert parsed.magnitude == magnitude
    assert parsed.reason


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("3,098 tấn", (3.098, 3098.0)),
        ("1,536 tỷ đồng", (1.536, 1536.0)),
        ("12,500 lao động", (12.5, 12500.0)),
        ("96,500%", (96.5, 96500.0)),
    ],
)
def test_comma_before_three_digits_is_flagged_not_guessed(text, readings):
    parsed = parse_number(text)
    assert parsed.ambiguous is True
    assert parsed.value is None
    assert parsed.readings == readings
    assert "or" in parsed.reason


@pytest.mark.parametrize("text", ["3.098", "17,4", "654.1", "0,125", "1.234.567", "1,234,567", "1.536,246", "04"])
def test_unambiguous_forms_are_not_flagged(text):
    parsed = parse_number(text)
    assert not parsed.ambiguous and parsed.value is not None and parsed.readings == (parsed.value,)


def test_scaled_reading_is_offered():
    parsed = parse_number("1.536 tỷ đồng")
    assert parsed.scaled == pytest.approx(1.536e12)
    assert parsed.base_unit == "đồng"
    assert parse_number("60 triệu đồng/người/năm").base_unit == "đồng/người/năm"
    assert parse_number("9.720 tấn").scaled == 9720


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("từ 11 đến 13%", ["number", "number"]),
        ("giai đoạn 2021–2025 đạt 7,5 – 8%", ["year", "year", "number", "number"]),
        ("Chỉ thị số 05-CT/TU năm 2019", ["reference", "year"]),
        ("Nghị quyết 12-NQ/TW", ["reference"]),
        ("Hội nghị lần thứ 15, ngày 11/12/2018", ["reference", "date"]),
        ("8/8 xã", ["fraction"]),
        ("tháng 6/2019", ["date"]),
        ("trẻ em dưới 5 tuổi", ["number"]),
    ],
)
def test_kinds_of_figures(text, kinds):
    assert [n.kind for n in find_numbers(text)] == kinds


def test_ranges_keep_each_end_and_the_dash_is_not_a_sign():
    for text in ("8-9%", "8 - 9%", "8–9%", "8—9%", "8 – 9 %"):
        found = find_numbers(text)
        assert [n.value for n in found] == [8, 9], text
        assert found[1].unit == "%"


def test_spans_point_into_the_normalised_text():
    text = "Sản lượng rau đạt trên 9.720 tấn; thu ngân sách tăng 5%"
    found = find_numbers(text)
    assert [text[n.start:n.end] for n in found] == ["9.720", "5"]
    assert [text[n.start:n.unit_end] for n in found] == ["9.720 tấn", "5%"]
    nfd = unicodedata.normalize("NFD", text)
    assert [(n.start, n.end) for n in find_numbers(nfd)] == [(n.start, n.end) for n in found]


def test_normalize_and_fold():
    assert normalize("nƣớc\u00a0sạch") == "nước sạch"
    assert normalize(unicodedata.normalize("NFD", "Đảng")) == "Đảng"
    assert normalize("ÐẢNG") == "ĐẢNG"
    assert fold("Văn hoá") == fold("văn hóa")
    assert fold("Thuỷ sản") == fold("thủy sản")
    assert fold("Tỉ lệ") == "tỷ lệ"
    assert fold("giai đoạn") == "giai đoạn"  # a closed syllable keeps its tone
    assert len(fold("Hoá Thuỷ ĐOÀN")) == len("Hoá Thuỷ ĐOÀN")


FORMATS = [
    (9720, "9.720", "9,720"),
    (17.4, "17,4", "17.4"),
    (1536.246, "1.536,25", "1,536.25"),
    (0, "0", "0"),
    (-0.001, "0", "0"),
    (-1234.5, "-1.234,5", "-1,234.5"),
    (100.0, "100", "100"),
    (1_000_000, "1.000.000", "1,000,000"),
    (0.05, "0,05", "0.05"),
]


@pytest.mark.parametrize(("x", "vi", "en"), FORMATS)
def test_formatting(x, vi, en):
    assert format_vi(x) == vi
    assert format_en(x) == en


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-10**13, max_value=10**13).map(lambda n: n / 100))
def test_format_vi_round_trips(x):
    assert parse_number(format_vi(x)).value == x


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.integers(min_value=0, max_value=4))
def test_same_output_as_the_wording_formatter(x, decimals):
    assert format_vi(x, decimals) == format_number(x, "vi", decimals)
    assert format_en(x, decimals) == format_number(x, "en", decimals)
