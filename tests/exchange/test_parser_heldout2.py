"""Second held-out measurement of the rule-based clause parser (target: right on >= 95 % of clauses).

The clauses (tests/exchange/heldout2_clauses.py) were written blind: from the domain page,
the parser's API and the scorer only, without reading the first held-out set, the other
parser test sentences, or the parser's rules and lexicon. Scoring is the first held-out
test's `judge` (imported, not copied): a clause is right when the parser gives as many
drafts as the clause states targets, each matching an accepted reading on comparison,
figures, unit, direction (and, for a change, basis and baseline); a clause marked unsure
is right only if every draft is flagged; a clause with no target is right with no draft.
`strict` also checks aggregation and the sub-target's parent where the case names them.

FIRST RUN, 2026-11-27, before any change made in the light of these clauses: 108/115 =
0.939 (strict 108/115). Misses: a unit with a figure inside it ("110 bé trai/100 bé gái"
read without a unit); "tăng 1,5% lên 47%" (a rise to a level) read as at_least 47, not a
change of +1.5 points from 45.5; two milestones without a figure gave no draft ("được
công nhận là đô thị loại I", a rating "hoàn thành tốt nhiệm vụ trở lên" for the committee
itself); three clauses with no target gave a draft (a vote "100% đại biểu tán thành", a
last-year result "Kết quả năm 2023: ... đạt 8,2%", and an entry-into-force date, the
last one flagged but still a draft). When the parser is
improved so that the figure reaches 0.95, the strict xfail turns into a failure: remove
the marker then, and note that these clauses are no longer held-out.

ISSUE 11 (2026-11-28): NO LONGER HELD OUT. The issue 11 work knew the three no-target misses
above (they are named here) when it wrote its own regression set, and the "tăng X lần" case's
first reading was changed to the issue's new convention (a change by a factor). With the
issue 11 parser: 110/115 = 0.957 (strict 110/115) under the old label, 111/115 = 0.965 with
the factor label. Left: the unit "bé trai/100 bé gái", "tăng 1,5% lên 47%" as a change, and
two milestones without a figure. A new blind set is needed for an honest figure.
"""

from __future__ import annotations

from collections import Counter

import pytest

from app.exchange.parser import parse_resolution
from tests.exchange.heldout2_clauses import CASES
from tests.exchange.test_parser_heldout import CORE, EXTRA, judge


def _measure():
    rows = []
    for case in CASES:
        core_ok, core_why = judge(case, CORE)
        strict_ok, strict_why = judge(case, CORE + EXTRA)
        rows.append((case, core_ok, core_why, strict_ok, strict_why))
    return rows


def _report(rows) -> tuple[int, int, int]:
    n = len(rows)
    core = sum(r[1] for r in rows)
    strict = sum(r[3] for r in rows)
    families = Counter(r[0].family.split(":")[0] for r in rows)
    missed = Counter(r[0].family.split(":")[0] for r in rows if not r[1])
    print(f"\nheld-out (second set) clauses: {n} in {len(families)} families")
    print(f"accuracy (comparison, figures, unit, direction, flags): {core}/{n} = {core / n:.3f}")
    print(f"strict (also aggregation and sub-target parent):       {strict}/{n} = {strict / n:.3f}")
    print("\nmisses by family (core misses / clauses; strict-only misses in brackets):")
    strict_only = Counter(r[0].family.split(":")[0] for r in rows if r[1] and not r[3])
    for fam in sorted(families):
        extra = f"  [+{strict_only[fam]} strict]" if strict_only[fam] else ""
        print(f"  {fam:<16} {missed[fam]:>2}/{families[fam]:<3}{extra}")
    misses = [r for r in rows if not r[1] or not r[3]]
    if misses:
        print(f"\n{'family':<40} {'kind':<7} clause  ->  why / drafts")
        for case, core_ok, core_why, strict_ok, strict_why in sorted(misses, key=lambda r: r[0].family):
            kind = "miss" if not core_ok else "strict"
            print(f"{case.family:<40} {kind:<7} {case.text}")
            print(f"{'':<48}-> {core_why or strict_why}")
            print(f"{'':<48}   expected: {case.drafts if not case.no_target else 'no target'}")
            for line in parse_resolution(case.text).lines():
                print(f"{'':<51}{line}")
    return n, core, strict


ROWS = None


def _rows():
    global ROWS
    if ROWS is None:
        ROWS = _measure()
    return ROWS


def test_heldout2_set_is_large_and_varied():
    rows = _rows()
    families = {r[0].family.split(":")[0] for r in rows}
    assert len(rows) >= 80
    assert len(families) >= 15


def test_heldout2_accuracy_is_at_least_95_percent():
    n, core, _ = _report(_rows())
    assert core / n >= 0.95, f"held-out accuracy {core}/{n} = {core / n:.3f} is below 0.95"
