"""The importer's fast path for number cells gives exactly what the general parser gives.

`importer.read_number` reads cells that cannot be ambiguous (whole numbers, a decimal comma,
dots grouping thousands when the file does not write decimal points) without the general parser
(`vnnumbers.parse_number`), and `number_style` skips such cells when it looks for a decimal point.
Here both paths read many generated cells, in a Vietnamese file and in a file that writes '.' as a
decimal point: same value (sign of zero included) or the same error, word for word.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.exchange.importer import cells as importer
from app.exchange.importer.cells import CellError, NumberStyle, _english_style, _never_english, _number_token, _read_number

VIETNAMESE = NumberStyle()
ENGLISH = NumberStyle(english_at=(2, "giá trị", "12.1"))  # a file that wrote "12.1" in row 2

digits = st.text(alphabet="0123456789", min_size=1, max_size=8)
sign = st.sampled_from(["", "-", "+", "−"])


@st.composite
def number_cells(draw) -> str:
    """Cells near the fast path's edges: digit groups joined by ',' or '.', signs, leading zeros, stray characters."""
    groups = draw(st.lists(digits, min_size=1, max_size=4))
    separators = draw(st.lists(st.sampled_from([",", "."]), min_size=len(groups) - 1, max_size=len(groups) - 1))
    body = groups[0] + "".join(s + g for s, g in zip(separators, groups[1:]))
    cell = draw(sign) + body
    if draw(st.integers(0, 9)) == 0:  # now and then something the fast path must leave alone
        cell = draw(st.sampled_from([" ", "\u00a0", "%", "a", "٣", ",", "."])).join(
            [cell[: len(cell) // 2], cell[len(cell) // 2:]])
    return cell


def reading(read, cell: str, style: NumberStyle):
    """('value', repr) or ('error', reason): what a reader makes of the cell."""
    try:
        value = read(cell, style)
    except CellError as exc:
        return ("error", exc.reason)
    return ("value", repr(value), math.copysign(1.0, value))


@settings(max_examples=3000, deadline=None)
@given(cell=number_cells(), style=st.sampled_from([VIETNAMESE, ENGLISH]))
@example(cell="3,098", style=VIETNAMESE)  # ambiguous: the general path reports both readings
@example(cell="9.720", style=ENGLISH)  # ambiguous in a file that writes decimal points
@example(cell="1.234.567", style=ENGLISH)
@example(cell="0,125", style=VIETNAMESE)
@example(cell="-0", style=VIETNAMESE)
@example(cell="-0,0", style=VIETNAMESE)
@example(cell="007", style=VIETNAMESE)
@example(cell="0.123", style=VIETNAMESE)
@example(cell="1234,567", style=VIETNAMESE)
@example(cell="-1.234", style=VIETNAMESE)
@example(cell="12345678901234567890123", style=VIETNAMESE)
def test_the_fast_path_reads_like_the_general_parser(cell, style):
    assert reading(importer.read_number, cell, style) == reading(_read_number, cell, style)


@settings(max_examples=2000, deadline=None)
@given(cell=st.text(alphabet="0123456789,.-−+ %", min_size=1, max_size=14), style=st.sampled_from([VIETNAMESE, ENGLISH]))
def test_any_short_cell_reads_like_the_general_parser(cell, style):
    assert reading(importer.read_number, cell, style) == reading(_read_number, cell, style)


@settings(max_examples=2000, deadline=None)
@given(cell=number_cells())
def test_cells_skipped_by_the_style_scan_are_never_evidence_of_a_decimal_point(cell):
    if _never_english(cell):
        token = _number_token(cell)
        assert token is None or not _english_style(token)


@pytest.mark.parametrize(("cell", "value"), [("17,4", 17.4), ("9.720", 9720.0), ("-5", -5.0), ("0,25", 0.25),
                                             ("1.234.567", 1234567.0)])
def test_the_fast_path_is_taken_for_plain_cells(cell, value):
    assert importer._plain_number(cell, VIETNAMESE) == value


@pytest.mark.parametrize("cell", ["3,098", "+5", "−5", "1.536,246", "9 720", "12.1", "٣"])
def test_anything_else_goes_to_the_general_parser(cell):
    assert importer._plain_number(cell, VIETNAMESE) is None
