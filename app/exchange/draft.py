"""What the clause parser hands back: drafts of targets, and the text it did not turn into one.

Pure: standard library only (the enums come from the pure status engine).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from app.engine import Aggregation, ChangeBasis, Comparison, Direction, default_direction  # noqa: F401


@dataclass
class Draft:
    """A target read from one clause, for a person to check before it is stored."""

    clause: str
    title: str
    comparison: Comparison
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str = ""
    direction: Direction = Direction.HIGHER_IS_BETTER
    change_basis: ChangeBasis | None = None
    baseline_value: float | None = None
    aggregation: Aggregation = Aggregation.LATEST
    category: str = ""
    category_confidence: float = 0.0
    confidence: float = 0.95
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parent_index: int | None = None
    alternatives: list[dict] = field(default_factory=list)
    span: tuple[int, int] = (0, 0)

    def cap(self, confidence: float) -> None:
        """Lowers the confidence to at most the given figure."""
        self.confidence = min(self.confidence, confidence)

    def warn(self, message: str, confidence: float) -> None:
        """Adds a warning and lowers the confidence to at most the given figure."""
        if message not in self.warnings:
            self.warnings.append(message)
        self.cap(confidence)

    def to_target_fields(self, code: str, position: int = 0) -> dict:
        """The fields of a TargetCreate body for this draft (warnings go into notes)."""
        notes = list(self.notes) + [f"Check: {w}" for w in self.warnings]
        fields = {
            "code": code,
            "title": (self.title or self.clause or "?")[:500],
            "category": self.category[:120],
            "unit": self.unit[:120],
            "comparison": self.comparison.value,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "direction": self.direction.value,
            "aggregation": self.aggregation.value,
            "clause": self.clause[:20_000],
            "notes": "\n".join(notes)[:20_000],
            "position": position,
        }
        if self.comparison == Comparison.CHANGE:
            fields["change_basis"] = self.change_basis.value if self.change_basis else None
            fields["baseline_value"] = self.baseline_value
        return fields


@dataclass(frozen=True)
class Unrecognised:
    """A clause that may hold a target but could not be read as one."""

    text: str
    reason: str
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Skipped:
    """Text that is not a target: a heading, an introduction, punctuation."""

    text: str
    reason: str
    span: tuple[int, int] = (0, 0)


@dataclass
class ParseResult:
    """Everything read from a text: drafts, unrecognised clauses and skipped text, in order."""

    text: str
    drafts: list[Draft] = field(default_factory=list)
    unrecognised: list[Unrecognised] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def json_parts(self) -> str:
        """'"drafts": [...], "unrecognised": [...], "skipped": [...]' as the parse route answers them
        (DraftOut / TextPiece fields), made where the text was parsed: the server only adds the rest."""
        drafts = []
        for i, d in enumerate(self.drafts):
            fields = asdict(d)
            fields.pop("span")
            drafts.append({"index": i, **fields})
        pieces = {
            name: [{"text": p.text, "reason": p.reason} for p in getattr(self, name)] for name in ("unrecognised", "skipped")
        }
        return json.dumps({"drafts": drafts, **pieces}, ensure_ascii=False, allow_nan=False)[1:-1]

    def lines(self) -> list[str]:
        """One line per draft, for a quick look (comparison, figures, unit, category, confidence, warnings)."""
        out = []
        for i, d in enumerate(self.drafts):
            figure = (
                f"{d.low:g}–{d.high:g}" if d.comparison == Comparison.BETWEEN else ("" if d.value is None else f"{d.value:g}")
            )
            parent = f" (sub-target of {d.parent_index})" if d.parent_index is not None else ""
            out.append(
                f"{i}: {d.comparison.value} {figure} {d.unit!r} {d.direction.value} {d.aggregation.value} "
                f"[{d.category or '-'} {d.category_confidence:.2f}] conf={d.confidence:.2f}{parent} "
                f"{d.title!r} warnings={d.warnings}"
            )
        return out
