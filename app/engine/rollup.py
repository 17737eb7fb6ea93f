"""Roll-ups: counts per status and the headline a committee would write. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from app.engine.vocabulary import Phase, Status
from app.engine.wording import headline


class Judged(Protocol):
    """What a roll-up counts: an Evaluation, or a plan status's stored row (app/status/cache.py Stored)."""

    @property
    def status(self) -> Status: ...

    @property
    def provisional(self) -> bool: ...


@dataclass(frozen=True)
class Summary:
    """Counts per status and the headline in both languages."""

    phase: Phase
    total: int
    counts: dict[str, int]
    headline_vi: str
    headline_en: str
    provisional: int = 0  # verdicts on incomplete reporting


def summarize(evaluations: Iterable[Judged], *, as_of: date, phase: Phase) -> Summary:
    """Counts statuses and writes the headline for one group of targets.

    Anything with a `status` and `provisional` counts: evaluations, or a plan status's stored rows (cache.Stored).
    """
    counts = {s.value: 0 for s in Status}
    total = provisional = 0
    for ev in evaluations:
        counts[ev.status.value] += 1
        total += 1
        provisional += ev.provisional
    vi, en = headline(counts, total, as_of=as_of, phase=phase, provisional=provisional)
    return Summary(phase=phase, total=total, counts=counts, headline_vi=vi, headline_en=en, provisional=provisional)


def summarize_by(keyed: Iterable[tuple[str, Judged]], *, as_of: date, phase: Phase) -> dict[str, Summary]:
    """One summary per key (a category, an organisation), keys in first-seen order."""
    groups: dict[str, list[Judged]] = {}
    for key, ev in keyed:
        groups.setdefault(key, []).append(ev)
    return {key: summarize(evs, as_of=as_of, phase=phase) for key, evs in groups.items()}
