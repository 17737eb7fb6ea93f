"""Held-out accuracy of the rule-based clause parser (issue 5: right on >= 95 % of target clauses).

The clauses (tests/exchange/heldout_clauses.py) were written from the domain page and
the parser's API only, before its rules and lexicon were read. Each clause is parsed on
its own with `parse_resolution`.

A clause is right when the parser gives as many drafts as the clause states targets and
each draft matches one accepted reading: comparison, figures (value, or low/high; for a
change also its basis and baseline), unit and direction. A clause a careful human would
be unsure of is right only if every draft is flagged (a warning, or confidence < 0.6).
A clause with no target is right when no draft comes out of it.

`strict` also checks the aggregation (annual averages, term totals) and the parent of a
sub-target where the case names them; the issue's figure is the first one (`accuracy`).

FIRST RUN, before any change to the parser (the honest held-out figure): 83/92 = 0.902
(strict 82/92). Misses: "CPI tăng khoảng 3,5%" read higher-is-better; "giảm 85 hộ (còn lại
415 hộ)" and "giảm 5 vụ so với năm trước, còn 27 vụ" lost the level reached (the regex took
"còn" before "còn lại"; "so với ..." blocked it); units "nhà" for "nhà văn hóa", none for
"cầu", "tuyến phố"; "mức độ 3" (a level's name) taken as the target; the bare figure of
"lao động không có việc làm" not read as a ceiling; "km đường" where the label says "km"
(strict only: "Mỗi năm bình quân ..." not read as an annual average). After general fixes
to clause.py, lexicon.py and vnnumbers.py: 91/92; the "km đường" miss is left (the unit is
a deliberate lexicon entry; the label is arguably too strict, but it is not loosened).
These figures are no longer held-out: new clauses are needed for the next measurement.
Issue 11 (2026-11-28): "km đường" is now read as "km" (the miss above is gone), and the
convention for "tăng 1,3 lần" changed to a change by a factor (its label with it): 92/92.
"""

from __future__ import annotations

from collections import Counter

from app.exchange.parser import parse_resolution
from tests.exchange.heldout_clauses import CASES, Case

CORE = ("comparison", "value", "low", "high", "unit", "direction", "change_basis", "baseline_value")
EXTRA = ("aggregation", "parent_index")
FLOATS = ("value", "low", "high", "baseline_value")


def _get(draft, name):
    value = getattr(draft, name)
    return value.value if hasattr(value, "value") else value


def _field_ok(draft, name, want) -> bool:
    got = _get(draft, name)
    if name in FLOATS and got is not None and want is not None:
        return abs(got - want) < 1e-9
    return got == want


def _reading_ok(draft, reading: dict, names) -> bool:
    return all(_field_ok(draft, n, v) for n, v in reading.items() if n in names)


def _flagged(draft) -> bool:
    return bool(draft.warnings) or draft.confidence < 0.6


def judge(case: Case, names) -> tuple[bool, str]:
    """(right, why not) for one clause, checking the given field names."""
    drafts = parse_resolution(case.text).drafts
    if case.no_target:
        if not drafts or (case.unsure and all(_flagged(d) for d in drafts)):
            return True, ""
        return False, f"no target expected, got {len(drafts)} unflagged draft(s)"
    if len(drafts) != len(case.drafts):
        return False, f"{len(drafts)} drafts, expected {len(case.drafts)}"
    for i, (slot, draft) in enumerate(zip(case.drafts, drafts)):
        if not any(_reading_ok(draft, r, names) for r in slot):
            diffs = [f"{n}={_get(draft, n)!r} (want {v!r})" for n, v in slot[0].items()
                     if n in names and not _field_ok(draft, n, v)]
            return False, f"#{i}: " + ", ".join(diffs)
        if case.unsure and not _flagged(draft):
            return False, f"#{i}: unsure clause not flagged (no warning, confidence {draft.confidence:.2f})"
    return True, ""


def measure():
    rows = []
    for case in CASES:
        core_ok, core_why = judge(case, CORE)
        strict_ok, strict_why = judge(case, CORE + EXTRA)
        rows.append((case, core_ok, core_why, strict_ok, strict_why))
    return rows


def test_heldout_accuracy_is_at_least_95_percent():
    rows = measure()
    n = len(rows)
    core = sum(r[1] for r in rows)
    strict = sum(r[3] for r in rows)
    families = Counter(r[0].family.split(":")[0] for r in rows)
    missed = Counter(r[0].family.split(":")[0] for r in rows if not r[1])
    print(f"\nheld-out clauses: {n} in {len(families)} families")
    print(f"accuracy (comparison, figures, unit, direction, flags): {core}/{n} = {core / n:.3f}")
    print(f"strict (also aggregation and sub-target parent):       {strict}/{n} = {strict / n:.3f}")
    if missed:
        print("misses by family: " + ", ".join(f"{f} {missed[f]}/{families[f]}" for f in sorted(missed)))
    misses = [r for r in rows if not r[1] or not r[3]]
    if misses:
        print(f"\n{'family':<26} {'kind':<7} clause  ->  why / drafts")
        for case, core_ok, core_why, strict_ok, strict_why in misses:
            kind = "miss" if not core_ok else "strict"
            print(f"{case.family:<26} {kind:<7} {case.text}")
            print(f"{'':<35}-> {core_why or strict_why}")
            for line in parse_resolution(case.text).lines():
                print(f"{'':<38}{line}")
    assert n >= 60
    assert core / n >= 0.95, f"held-out accuracy {core}/{n} = {core / n:.3f} is below 0.95"
