"""Scoring parser output against labelled clauses (shared by the tests)."""

from __future__ import annotations

from app.exchange.parser import parse_resolution

FIELDS_FLOAT = ("value", "low", "high", "baseline_value")


def _actual(draft, name):
    if name == "ambiguous":
        return None
    value = getattr(draft, name)
    return value.value if hasattr(value, "value") else value


def mismatches(expected: list[dict], text: str) -> list[str]:
    """What differs between the parser's drafts for `text` and the expected drafts ([] when right)."""
    result = parse_resolution(text)
    drafts = result.drafts
    problems = []
    if len(drafts) != len(expected):
        problems.append(f"{len(drafts)} drafts, expected {len(expected)}")
    for i, (want, got) in enumerate(zip(expected, drafts)):
        for name, value in want.items():
            if name == "warned":
                if value and not got.warnings:
                    problems.append(f"#{i}: expected a warning")
                continue
            if name == "ambiguous":
                text_w = " ".join(got.warnings)
                if not all(f"{r:g}" in text_w for r in value) or got.confidence >= 0.6:
                    problems.append(f"#{i}: ambiguity not flagged ({got.warnings}, {got.confidence})")
                continue
            actual = _actual(got, name)
            if name in FIELDS_FLOAT and actual is not None and value is not None:
                ok = abs(actual - value) < 1e-9
            else:
                ok = actual == value
            if not ok:
                problems.append(f"#{i}: {name}={actual!r}, expected {value!r}")
    return problems


def unsure(text: str) -> bool:
    """True when every draft for the text says it may be wrong (a warning or confidence < 0.6)."""
    drafts = parse_resolution(text).drafts
    return bool(drafts) and all(d.warnings or d.confidence < 0.6 for d in drafts)
