"""Issue 11 regression set (tests/exchange/issue11_clauses.py): units, magnitudes, changes by
a factor, levels reached vs cuts, and sentences that state no target.

Scoring is the first held-out test's `judge` (comparison, figures, unit, direction, change
basis and baseline; flags for unsure clauses; no draft for no-target clauses), plus
`alternatives` where a case names it (a level reached offers no `change` readings).

FIRST RUN, 2026-11-28, before any change to the parser for issue 11: 23/58 = 0.397.
Misses by family: unit 8/16, magnitude 8/12, factor 7/7, level 2/8, no_target 9/10,
cut 1/2, control 0/3.
DURING the fix the set was run after each step (units, factor and levels: 40/58; magnitudes:
48/58; sentences without a target: 57/58), so it guided the work. FINAL: 57/58 = 0.983. The miss left:
"Giảm 15% số vụ tai nạn giao thông" was labelled unsure (a flag expected); the parser reads it
as the size of the cut, relative, without a warning. The label is kept as written.
These clauses are NOT held out: the parser was changed in their light.
"""

from __future__ import annotations

from collections import Counter

from app.exchange.parser import parse_resolution
from tests.exchange.issue11_clauses import CASES
from tests.exchange.test_parser_heldout import CORE, judge

NAMES = CORE + ("alternatives",)


def measure():
    return [(case, *judge(case, NAMES)) for case in CASES]


def report(rows) -> tuple[int, int]:
    n, right = len(rows), sum(r[1] for r in rows)
    families = Counter(r[0].family.split(":")[0] for r in rows)
    missed = Counter(r[0].family.split(":")[0] for r in rows if not r[1])
    print(f"\nissue 11 clauses: {right}/{n} = {right / n:.3f}")
    print("misses by family: " + ", ".join(f"{f} {missed[f]}/{families[f]}" for f in sorted(families)))
    for case, ok, why in rows:
        if not ok:
            print(f"{case.family:<34} {case.text}\n{'':<36}-> {why}")
            for line in parse_resolution(case.text).lines():
                print(f"{'':<39}{line}")
    return n, right


def test_issue11_set_scores_at_least_95_percent():
    n, right = report(measure())
    assert n >= 50
    assert right / n >= 0.95, f"issue 11 clauses {right}/{n} = {right / n:.3f} is below 0.95"


def test_a_paragraph_that_reports_results_gives_no_drafts_until_a_new_line_or_a_target_word():
    text = ("Năm qua, kinh tế huyện tiếp tục phát triển, tốc độ tăng trưởng ước đạt 8,1%; thu ngân sách tăng 15% so "
            "với cùng kỳ; tổng vốn đầu tư toàn xã hội đạt trên 2.000 tỷ đồng. Năm 2024 phấn đấu thu ngân sách tăng 10%.\n"
            "Tỷ lệ hộ nghèo giảm còn dưới 2%.")
    result = parse_resolution(text)
    assert [(d.comparison.value, d.value, d.unit) for d in result.drafts] == [
        ("at_least", 10.0, "%"), ("less_than", 2.0, "%")]
    assert sum("passage reporting results" in s.reason for s in result.skipped) == 2


def test_a_results_label_covers_its_line_and_a_results_heading_its_section():
    text = ("Kết quả năm 2023: thu ngân sách đạt 1.150 tỷ đồng.\n"
            "Thu ngân sách năm 2024 đạt 1.250 tỷ đồng.\n"
            "Kết quả thực hiện năm 2023:\n"
            "- Tỷ lệ hộ nghèo 2,1%.\n"
            "- Kết nạp 215 đảng viên.\n"
            "Các chỉ tiêu năm 2024:\n"
            "- Kết nạp 220 đảng viên trở lên.")
    drafts = parse_resolution(text).drafts
    assert [(d.value, d.unit) for d in drafts] == [(1250.0, "tỷ đồng"), (220.0, "đảng viên")]
