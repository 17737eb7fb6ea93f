"""read_cells with a file's memo (each distinct text cell read once per column) reads what it reads without one."""

from __future__ import annotations

from datetime import date

from app.exchange.importer.cells import SUBMISSION_KINDS, TARGET_KINDS, NumberStyle, read_cells

ROWS = [
    {"target_code": "01", "organization_code": "HN", "period_date": "2019-06-30", "value": "9.720", "is_estimate": "có"},
    {"target_code": "01", "organization_code": "HN", "period_date": "30/06/2019", "value": "3,098", "done": "không"},
    {"target_code": "02", "period_date": "31/02/2019", "value": "12.5", "numerator": "1,5", "denominator": "abc"},
    {"target_code": "02", "period_date": date(2019, 6, 30), "value": 5.0, "done": True, "note": "9.720"},
    {"target_id": "7", "organization_id": "1.5", "period_date": "2019-06-30T00:00:00", "is_estimate": "maybe"},
]


def test_read_cells_with_a_memo_reads_as_without():
    for style in (NumberStyle(), NumberStyle((2, "value", "12.5"))):
        memo: dict = {}
        for cells in ROWS * 3:
            assert read_cells(cells, SUBMISSION_KINDS, style, memo) == read_cells(cells, SUBMISSION_KINDS, style)
        assert ("value", "9.720") in memo and ("note", "9.720") in memo  # one entry per column and text
        assert memo["value", "3,098"][0] is None and "ambiguous" in memo["value", "3,098"][1]


def test_checkpoints_are_not_shared_between_rows():
    memo: dict = {}
    cells = {"checkpoints": "2019-06-30:50; 2019-09-30:75"}
    first, _ = read_cells(cells, TARGET_KINDS, NumberStyle(), memo)
    second, _ = read_cells(cells, TARGET_KINDS, NumberStyle(), memo)
    assert first == second and first["checkpoints"] is not second["checkpoints"] and not memo
