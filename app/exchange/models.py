"""The exchange routes' documented shapes: export rows and bundle (JSON), the parse request and answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, RootModel

from app.common.types import InputModel, text_checks
from app.exchange.parser import MAX_CHARS
from app.submissions.models import FigureFields
from app.targets.models import TargetPublic

# ------------------------------------------------------------------ documented shapes (JSON)


class StatusRow(BaseModel):
    """One target's status (content=status)."""

    code: str
    title: str
    unit: str
    category: str
    comparison: str
    goal: float | None
    measured: float | None
    expected: float | None
    status: str
    verdict_if_final: str
    rests_on_estimate: bool
    message: str


class TargetRow(BaseModel):
    """One target in the import/export column contract (content=targets)."""

    code: str
    title: str
    title_en: str
    category: str
    unit: str
    comparison: str
    value: float | None
    low: float | None
    high: float | None
    tolerance: float | None
    direction: str
    baseline_value: float | None
    baseline_date: date | None
    change_basis: str | None
    aggregation: str
    frequency: str | None
    checkpoints: str = Field(description='Dated milestones as "2019-06-30:50; 2019-09-30:75" (date:share %).')
    clause: str
    notes: str
    position: int


class SubmissionRow(FigureFields):
    """One figure in the column contract (the figure's fields as `SubmissionPublic` has them, its target and
    organisation by code), with its id and when it was recorded (content=submissions)."""

    target_code: str
    organization_code: str
    id: int
    recorded_at: datetime


class BundlePlanFile(BaseModel):
    """A plan file as in seed_data/ (for app.seed.load_plans): organisations with parent_code, the plan with its targets."""

    about: str
    organizations: list[dict[str, Any]]
    plans: list[dict[str, Any]]


class BundleFiguresFile(BaseModel):
    """A figures file as in seed_data/ (for app.seed.load_samples); `note` is the default note of every figure."""

    about: str
    plan_code: str
    note: str
    submissions: list[dict[str, Any]]


class ExportBundle(BaseModel):
    """The whole plan, loadable into another database (content=bundle)."""

    plan: BundlePlanFile
    figures: BundleFiguresFile


class ExportJson(RootModel[list[StatusRow] | list[TargetRow] | list[SubmissionRow] | ExportBundle]):
    """format=json: the rows as a list of objects, or for content=bundle the bundle document."""


# ------------------------------------------------------------------ parsing text

SEED_EXCERPT = (
    "Các chỉ tiêu về kinh tế: Tốc độ tăng giá trị sản xuất một số ngành kinh tế chủ yếu từ 11 đến 13%. "
    "Thu ngân sách tăng khoảng 5%. Giảm 10% hộ nghèo. Trong công tác xây dựng Đảng: phấn đấu trên 65% "
    "tổ chức cơ sở Đảng hoàn thành tốt nhiệm vụ trở lên."
)


class ParseRequest(InputModel):
    """The text of a resolution or report, and which drafts to store when applying."""

    model_config = {"json_schema_extra": {"examples": [{"text": SEED_EXCERPT}, {"text": SEED_EXCERPT, "accept": [0, 1]}]}}

    # as long text: no control or bidi characters but newline, tab
    text: Annotated[str, *text_checks(MAX_CHARS, min_length=1, controls="lines")]
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
