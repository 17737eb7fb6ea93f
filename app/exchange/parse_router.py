"""HTTP route: read a resolution's text into draft targets, and optionally store them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.common.types import InputModel, Text
from app.auth import policy
from app.auth.models import Role
from app.deps import PlanDep, PrincipalDep, SessionDep
from app.errors import Conflict
from app.exchange import parse_service
from app.openapi import errors
from app.targets.models import TargetPublic

router = APIRouter(tags=["exchange"])

SEED_EXCERPT = (
    "Các chỉ tiêu về kinh tế: Tốc độ tăng giá trị sản xuất một số ngành kinh tế chủ yếu từ 11 đến 13%. "
    "Thu ngân sách tăng khoảng 5%. Giảm 10% hộ nghèo. Trong công tác xây dựng Đảng: phấn đấu trên 65% "
    "tổ chức cơ sở Đảng hoàn thành tốt nhiệm vụ trở lên."
)


class ParseRequest(InputModel):
    """The text of a resolution or report, and which drafts to store when applying."""

    model_config = {"json_schema_extra": {"examples": [{"text": SEED_EXCERPT}, {"text": SEED_EXCERPT, "accept": [0, 1]}]}}

    text: Text(200_000, min_length=1, controls="lines")  # as long text: no control or bidi characters but newline, tab
    accept: list[Annotated[int, Field(strict=True, ge=0, le=10_000)]] | None = Field(
        default=None, max_length=10_000, description="With apply: the draft numbers to store (default: all)."
    )


class DraftOut(BaseModel):
    """One target read from one clause, to be checked by a person."""

    index: int
    clause: str
    title: str
    comparison: str
    value: float | None
    low: float | None
    high: float | None
    unit: str
    direction: str
    change_basis: str | None
    baseline_value: float | None
    aggregation: str
    category: str
    category_confidence: float
    confidence: float = Field(description="0–1; below 0.6 means the reader is unsure and says why in `warnings`.")
    warnings: list[str]
    notes: list[str]
    parent_index: int | None = Field(description="For a sub-target ('trong đó ...'): the draft it belongs to.")
    alternatives: list[dict[str, Any]] = Field(description="Other encodings of the same clause, e.g. as a `change`.")


class TextPiece(BaseModel):
    """Text that did not become a draft, and why."""

    text: str
    reason: str


class ParseResponse(BaseModel):
    """Drafts, the clauses that could not be read, the text that is not a target, and what was stored."""

    drafts: list[DraftOut]
    unrecognised: list[TextPiece]
    skipped: list[TextPiece]
    applied: bool
    created: list[TargetPublic]


@router.post(
    "/plans/{plan_id}/parse",
    summary="Read a resolution's text into draft targets",
    description="Rule-based and deterministic. Nothing is stored unless `apply=true`; then the accepted drafts "
    "(all, or those listed in `accept`) become targets of the plan in one commit, with the next free codes. "
    "Every clause comes back as a draft, as unrecognised (with the reason) or as skipped text.",
    response_model=ParseResponse,
    responses=errors(404, 409, 422),
)
def parse_plan_text(
    session: SessionDep,
    principal: PrincipalDep,
    plan: PlanDep,
    body: ParseRequest,
    apply: Annotated[bool, Query(description="Store the accepted drafts as targets.")] = False,
):
    if apply:  # reading text stores nothing; creating targets is an editor's write
        policy.require(session, principal, Role.EDITOR, plan.organization_id)
        if plan.archived_at is not None:
            raise Conflict(f"Plan {plan.id} is archived: it can be read but no longer changed.")
    result = parse_service.parse_text(body.text)
    created = parse_service.apply_drafts(session=session, plan=plan, result=result, accept=body.accept) if apply else []
    return ParseResponse(
        drafts=[DraftOut.model_validate({**asdict(d), "index": i}) for i, d in enumerate(result.drafts)],
        unrecognised=[TextPiece(text=u.text, reason=u.reason) for u in result.unrecognised],
        skipped=[TextPiece(text=s.text, reason=s.reason) for s in result.skipped],
        applied=apply,
        created=created,
    )
