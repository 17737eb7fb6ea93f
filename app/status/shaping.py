"""Shaping the engine's answers into the API's: TargetStatus, its judged part as stored, groups, the plan's JSON.

No judging and no database here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pydantic_core import to_json

from app.assessments.models import AssessmentPublic
from app.engine import Evaluation
from app.engine.rollup import Summary
from app.status import cache
from app.status.models import (
    CoverageCount,
    GroupStatus,
    Lang,
    OrganizationTarget,
    PlanStatus,
    TargetHead,
    TargetJudged,
    TargetStatus,
)

# The plan views list at most this many figure ids per target (the latest-dated ones), with
# `submission_count`: a sum or mean target over a year of daily figures would otherwise list
# thousands. A target's own status lists them all.
PLAN_VIEW_IDS = 20

# `_head` writes TargetHead as a dict, in this order: a field added to the model must be added there.
_HEAD_FIELDS = ("target_id", "code", "title", "unit", "category", "as_of", "known_at", "lang", "message", "assessment")
if tuple(TargetHead.model_fields) != _HEAD_FIELDS:
    raise RuntimeError("TargetHead's fields changed: app/status/shaping.py _head writes them by hand")
_JUDGED_JSON = TargetJudged.__pydantic_serializer__.to_json
_PLAN_JSON = PlanStatus.__pydantic_serializer__.to_json
_ORG_TARGET_JSON = OrganizationTarget.__pydantic_serializer__.to_json


def judged(ev: Evaluation, max_ids: int | None = None) -> dict:
    """TargetJudged's fields for one evaluation: everything of TargetStatus but its head."""
    ids = list(ev.observation_ids)
    forecast = None
    if ev.forecast is not None and ev.forecast_verdict is not None:
        forecast = {"method": ev.forecast.method, "value": ev.forecast.value, "verdict": ev.forecast_verdict.value}
    required = None
    if ev.required_total is not None and ev.months_remaining is not None:
        required = {
            "total": ev.required_total,
            "per_month": ev.required_per_month,
            "months_remaining": round(ev.months_remaining, 2),
        }
    return {
        "phase": ev.phase.value,
        "status": ev.status.value,
        "verdict_if_final": ev.verdict_if_final.value,
        "measured": ev.measured,
        "compared": ev.compared,
        "done": ev.done,
        "rests_on_estimate": ev.rests_on_estimate,
        "submission_ids": ids if max_ids is None else ids[-max_ids:],
        "submission_count": len(ids),
        "goal": ev.goal,
        "expected": ev.expected,
        "expected_share": ev.expected_share,
        "pace": ev.pace,
        "forecast": forecast,
        "required": required,
        "overdue": {"due_date": ev.overdue_since.isoformat(), "days": ev.overdue_days} if ev.overdue_since else None,
        "explanation": ev.explanation if max_ids is None else trimmed(ev.explanation),
        "provisional": ev.provisional,
        "coverage": coverage(ev),
        "message_vi": ev.message_vi,
        "message_en": ev.message_en,
    }


def trimmed(explanation: dict) -> dict:
    """The plan views' explanation: the figures that do not count are counted by kind of reason
    (`not_counted_by_reason`, e.g. {"an earlier level": 980}) and the units by whether they count
    (`units_counted`, `units_not_counted`); the target's own status lists each figure and unit.
    A plan of 1,000 targets over a million figures from 20 units would otherwise answer 9 MB."""
    not_counted = explanation.get("not_counted") or []
    by_reason: dict[str, int] = {}
    for item in not_counted:
        kind = item["reason"].split(":", 1)[0]
        by_reason[kind] = by_reason.get(kind, 0) + 1
    units = explanation.get("units") or []
    out = {k: v for k, v in explanation.items() if k not in ("not_counted", "units")}
    out["not_counted_by_reason"] = by_reason
    out["units_counted"] = sum(1 for u in units if u["counted"])
    out["units_not_counted"] = len(units) - out["units_counted"]
    return out


def organization_target(target: Any, ev: Evaluation) -> bytes:
    """One target judged from one organisation down, as the by-organisation view writes it (JSON):
    counts instead of lists (`trimmed`'s, and the coverage without its missing units), no sentence.
    Written as soon as the evaluation is made, so the view never holds
    evaluations (with their lists) of more than one target at once (issue 17: 930 MB at 1M figures)."""
    kept = trimmed(ev.explanation)
    c = ev.coverage
    row = OrganizationTarget.model_construct(  # values from the engine and the database: nothing to validate
        target_id=target.id,
        code=target.code,
        status=ev.status,
        verdict_if_final=ev.verdict_if_final,
        provisional=ev.provisional,
        measured=ev.measured,
        compared=ev.compared,
        goal=ev.goal,
        expected=ev.expected,
        pace=ev.pace,
        done=ev.done,
        rests_on_estimate=ev.rests_on_estimate,
        submission_count=len(ev.observation_ids),
        not_counted_by_reason=kept["not_counted_by_reason"],
        units_counted=kept["units_counted"],
        units_not_counted=kept["units_not_counted"],
        coverage=None if c is None else CoverageCount.model_construct(expected=c.expected, reported=c.reported),
    )
    return _ORG_TARGET_JSON(row)


def coverage(ev: Evaluation) -> dict | None:
    c = ev.coverage
    if c is None:
        return None
    missing = ev.explanation.get("coverage", {}).get("missing", [])
    return {"expected": c.expected, "reported": c.reported, "missing": missing}


def target_status(
    target: Any, fields: dict, *, as_of: date, lang: str, known_at: datetime | None, assessment: AssessmentPublic | None
) -> TargetStatus:
    """The answer for one target: its own fields (a Target or a queries.PLAN_TARGETS row) and what the engine decided."""
    message = fields["message_vi"] if lang == "vi" else fields["message_en"]
    return TargetStatus.model_validate(
        {**_head(target, message, as_of=as_of, known_at=known_at, lang=lang, assessment=assessment), **fields}
    )


def _head(
    target: Any, message: str, *, as_of: date, known_at: datetime | None, lang: str, assessment: AssessmentPublic | None
) -> dict[str, Any]:
    """A target's TargetHead as a dict, in the model's field order (`_HEAD_FIELDS`)."""
    return {
        "target_id": target.id,
        "code": target.code,
        "title": target.title,
        "unit": target.unit,
        "category": target.category,
        "as_of": as_of,
        "known_at": known_at,
        "lang": lang,
        "message": message,
        "assessment": assessment,
    }


def _target_pieces(
    target: Any,
    payload: bytes,
    message: str,
    *,
    as_of: date,
    known_at: datetime | None,
    lang: Lang,
    assessment: AssessmentPublic | None,
) -> tuple[bytes, bytes, memoryview]:
    """One TargetStatus as JSON, in three pieces to be joined: its head (TargetHead, written now) without
    its closing brace, a comma, and its judged part as stored without its opening brace (a view: a plan
    of 1,000 targets joins 3 MB once instead of copying each part on its way). The plan view and a
    target's own status both write targets this way.

    The head is written from a dict in TargetHead's field order by pydantic's own encoder: the same bytes
    as TargetHead's serializer (the values come straight from the database and the request: nothing to
    validate), without building a model per target (issue 17: model_construct was a tenth of a warm plan
    status of 1,000 targets). tests/status/test_cache.py checks the answers against PlanStatus's JSON."""
    head = _head(target, message, as_of=as_of, known_at=known_at, lang=lang, assessment=assessment)
    return to_json(head)[:-1], b",", memoryview(payload)[1:]


def target_json(
    target: Any, payload: bytes, message: str, *, as_of: date, lang: str, assessment: AssessmentPublic | None
) -> bytes:
    """A target's own status (TargetStatus, no known_at) as JSON from its stored judged part (untrimmed):
    the head written now, then the part as stored, as `plan_json` writes each target. Byte for byte
    what TargetStatus serialises to (TargetStatus's field order: head, then judged part)."""
    return b"".join(
        _target_pieces(target, payload, message, as_of=as_of, known_at=None, lang=as_lang(lang), assessment=assessment)
    )


def group(key: str, summary: Summary, lang: str) -> GroupStatus:
    return GroupStatus(
        key=key,
        total=summary.total,
        counts=summary.counts,
        headline=summary.headline_vi if lang == "vi" else summary.headline_en,
        headline_vi=summary.headline_vi,
        headline_en=summary.headline_en,
    )


def stored(ev: Evaluation) -> cache.Stored:
    """A target's judged part for the plan views, as stored and as written out."""
    part = TargetJudged.model_validate(judged(ev, PLAN_VIEW_IDS))
    return cache.Stored(ev.status, ev.message_vi, ev.message_en, _JUDGED_JSON(part), ev.provisional)


def as_lang(lang: str) -> Lang:
    """The request's language as the models type it (app/deps.py language() resolves it to one of the two)."""
    if lang == "vi":
        return "vi"
    if lang == "en":
        return "en"
    raise ValueError(f"no such language: {lang!r}")


def plan_json(
    envelope: PlanStatus,
    targets: Iterable[Any],
    parts: dict[int, cache.Stored],
    assessments: dict[int, AssessmentPublic],
    *,
    as_of: date,
    known_at: datetime | None,
    lang: str,
) -> bytes:
    """PlanStatus as JSON, written out piece by piece: the envelope (with no targets), then each
    target's head (TargetHead, read now) followed by its judged part as stored, so a warm read
    parses and validates nothing per target. The result is byte for byte what PlanStatus would
    serialise to (TargetStatus's field order allows it; tests/status/test_cache.py checks it)."""
    out = _PLAN_JSON(envelope)
    assert out.endswith(b"[]}"), "targets must stay PlanStatus's last field"
    pieces: list[bytes | memoryview] = [memoryview(out)[:-2]]
    head_lang = as_lang(lang)
    for t in targets:
        st = parts[t.id]
        message = st.message_vi if lang == "vi" else st.message_en
        if len(pieces) > 1:
            pieces.append(b",")  # between targets
        pieces += _target_pieces(
            t, st.payload, message, as_of=as_of, known_at=known_at, lang=head_lang, assessment=assessments.get(t.id)
        )
    pieces.append(b"]}")
    return b"".join(pieces)
