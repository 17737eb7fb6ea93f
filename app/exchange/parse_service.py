"""Resolution text → draft targets, and (on request) the accepted drafts stored as targets."""

from __future__ import annotations

from sqlmodel import Session, select

from app.errors import InvalidInput
from app.exchange.draft import ParseResult
from app.exchange.parser import parse_resolution
from app.plans.models import Plan
from app.targets import service as targets
from app.targets.models import Target, TargetCreate


def next_codes(session: Session, plan: Plan, count: int) -> list[str]:
    """Free two-digit codes after the plan's existing targets ("13", "14", ...)."""
    taken = set(session.exec(select(Target.code).where(Target.plan_id == plan.id)).all())
    codes, n = [], len(taken)
    while len(codes) < count:
        n += 1
        code = f"{n:02d}"
        if code not in taken:
            codes.append(code)
    return codes


def parse_text(text: str) -> ParseResult:
    """Reads a resolution's text; stores nothing."""
    return parse_resolution(text)


def apply_drafts(*, session: Session, plan: Plan, result: ParseResult, accept: list[int] | None) -> list[Target]:
    """Stores the accepted drafts (all when `accept` is None) as targets, in one commit."""
    indices = list(range(len(result.drafts))) if accept is None else accept
    wrong = [i for i in indices if not 0 <= i < len(result.drafts)]
    if wrong:
        raise InvalidInput.from_fields("Some accepted drafts do not exist.", {"accept": f"no draft numbered {wrong}"})
    existing = len(session.exec(select(Target.id).where(Target.plan_id == plan.id)).all())
    codes = next_codes(session, plan, len(indices))
    bodies = [
        TargetCreate(**result.drafts[i].to_target_fields(code, position=existing + k + 1))
        for k, (i, code) in enumerate(zip(indices, codes))
    ]
    return targets.create_targets(session=session, plan=plan, targets_in=bodies)
