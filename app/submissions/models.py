"""Submissions (báo cáo số liệu): one figure for one target, as of a date, from one organisation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, ValidationInfo, field_validator, model_validator
from sqlalchemy import CheckConstraint, DateTime, Index
from sqlmodel import Field, SQLModel

from app.common.models import utcnow
from app.common.types import Code, Figure, Id, InputModel, LongText, NonNegativeFigure, SaneDate, Url, UtcDateTime, text_checks
from app.submissions.versions import Kind, Review

# Exactly one of: a value; a numerator with a positive denominator; done/not done.
FIGURE_SHAPE = (
    "(value IS NOT NULL AND numerator IS NULL AND denominator IS NULL AND done IS NULL)"
    " OR (value IS NULL AND numerator IS NOT NULL AND denominator > 0 AND done IS NULL)"
    " OR (value IS NULL AND numerator IS NULL AND denominator IS NULL AND done IS NOT NULL)"
)


class Submission(SQLModel, table=True):
    """A stored figure. Rows are only ever inserted."""

    __table_args__ = (
        CheckConstraint(FIGURE_SHAPE, name="one_figure"),
        Index("ix_submission_target_id_period_date", "target_id", "period_date"),
        # A target's largest id in one index probe: the plan status's stored evaluations are
        # fingerprinted by it (app/status/cache.py). The index above cannot answer max(id).
        Index("ix_submission_target_id_id", "target_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    target_id: int = Field(foreign_key="target.id")
    organization_id: int = Field(foreign_key="organization.id", index=True)
    period_date: date
    # Increments: the first day the figure covers (its period ends on period_date). Null: not given.
    period_start: date | None = None
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    done: bool | None = None
    is_estimate: bool = False
    note: str = Field(default="", max_length=20_000)
    evidence_url: str = Field(default="", max_length=2000)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)
    # Versions. An original has kind "original" and no root. A correction or a retraction is a new
    # row that supersedes exactly one earlier version (at most once: the chain never forks) and
    # names the original as its root, with a reason. A retraction repeats the figure it withdraws.
    kind: str = Field(default="original", max_length=16, sa_column_kwargs={"server_default": "original"})
    supersedes_id: int | None = Field(default=None, foreign_key="submission.id", unique=True)
    root_id: int | None = Field(default=None, foreign_key="submission.id", index=True)
    reason: str = Field(default="", max_length=20_000, sa_column_kwargs={"server_default": ""})
    # Approval (issue 14). The version's review state when it was recorded: "approved" (it counts;
    # every figure of a plan without `approval_required`) or "submitted" (awaiting an editor above
    # the reporting unit). A later approval or return is a `submission_review` row, never an UPDATE.
    review: str = Field(default=Review.APPROVED.value, max_length=16, sa_column_kwargs={"server_default": "approved"})
    # The key that sent this version (null: the command line, the seed, or rows older than 0007):
    # a key never approves its own figure. No foreign key, as audit_event.actor_key_id.
    sent_by_key_id: int | None = None


class SubmissionReview(SQLModel, table=True):
    """A review of one submitted version: approved or returned. Rows are only ever inserted.

    A version is reviewed at most once (`submission_id` UNIQUE: of two concurrent reviews one wins,
    the other is a 409); a returned figure comes back as a correction, a new version "submitted".
    `target_id` and `organization_id` repeat the figure's: the plan status fingerprints a target's
    stored evaluations by its largest review id (app/status/cache.py), and the audit event names
    the figure's organisation.
    """

    __tablename__ = "submission_review"
    __table_args__ = (
        CheckConstraint("action IN ('approved', 'returned')", name="review_action"),
        Index("ix_submission_review_target_id_id", "target_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", unique=True)
    target_id: int = Field(foreign_key="target.id")
    organization_id: int = Field(foreign_key="organization.id")
    action: str = Field(max_length=16)
    reason: str = Field(default="", max_length=20_000)
    reviewed_by_key_id: int | None = None
    reviewed_by: str = Field(default="", max_length=500)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class FigureInput(InputModel):
    """A figure's fields, without the reporting organisation: give value, or numerator and denominator, or done."""

    period_date: SaneDate = Field(description="The date the figure refers to (within the plan's period).")
    period_start: SaneDate | None = Field(
        default=None,
        description="Increments (`aggregation: sum`): the first day the figure covers; it ends on `period_date`. "
        "Two increments of one unit may not overlap.",
    )
    value: Figure | None = None
    numerator: NonNegativeFigure | None = Field(default=None, description="Ratio figures: how many meet the condition.")
    denominator: NonNegativeFigure | None = Field(default=None, gt=0, description="Ratio figures: out of how many.")
    done: bool | None = Field(default=None, description="Milestones: done or not done.")
    is_estimate: bool = Field(default=False, description="An estimate (ước) rather than an official figure.")
    note: LongText = ""
    evidence_url: Url = ""

    @model_validator(mode="after")
    def _one_figure(self):
        given = [
            self.value is not None,
            self.numerator is not None or self.denominator is not None,
            self.done is not None,
        ]
        if sum(given) != 1:
            raise ValueError("give exactly one of: value; numerator and denominator; done")
        if (self.numerator is None) != (self.denominator is None):
            raise ValueError("a ratio needs both numerator and denominator")
        if self.period_start is not None and self.period_start > self.period_date:
            raise ValueError("period_start must not come after period_date")
        return self


class SubmissionCreate(FigureInput):
    """A new figure as the write rules take it (the organisation by id): the API's body once its
    organisation is known (`SubmissionIn`), an imported row, a seed figure."""

    organization_id: Id = Field(description="The reporting organisation: the plan's own or one of its descendants.")


class SubmissionIn(FigureInput):
    """Body of POST /targets/{target_id}/submissions: give value, or numerator and denominator, or done, and
    the reporting organisation by `organization_id` or by `organization_code` (exactly one)."""

    model_config = {
        "validate_default": True,  # organization_id's check runs when it is absent
        "json_schema_extra": {
            "examples": [
                {"value": 4100, "period_date": "2019-06-30", "organization_id": 1, "is_estimate": True, "note": "Ước 6 tháng"},
                {"numerator": 46, "denominator": 70, "period_date": "2019-12-31", "organization_code": "TPLS"},
                {
                    "value": 950,
                    "period_start": "2019-07-01",
                    "period_date": "2019-12-31",
                    "organization_id": 8,
                    "note": "Sản lượng vụ mùa (6 tháng cuối năm)",
                },
                {"done": True, "period_date": "2019-12-31", "organization_id": 1},
            ]
        },
    }

    # organization_code first: the check of organization_id (run even when it is absent: validate_default) sees it, so the
    # problem names organization_id, the field a client most likely forgot.
    organization_code: Code | None = Field(default=None, description="The reporting organisation by its code instead.")
    organization_id: Id | None = Field(
        default=None,
        description="The reporting organisation: the plan's own or one of its descendants (or `organization_code`).",
    )

    @field_validator("organization_id")
    @classmethod
    def _one_organization(cls, value: int | None, info: ValidationInfo) -> int | None:
        code = info.data.get("organization_code")
        if value is None and code is None:
            raise ValueError("required: the reporting organisation, as organization_id or organization_code")
        if value is not None and code is not None:
            raise ValueError("give organization_id or organization_code, not both")
        return value

    def with_organization(self, organization_id: int) -> SubmissionCreate:
        """The figure for the write rules, once the organisation is known (already validated: not re-checked)."""
        fields = self.model_dump(exclude={"organization_id", "organization_code"})
        return SubmissionCreate.model_construct(**fields, organization_id=organization_id)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("give a reason: it cannot be blank")
    return value


Reason = Annotated[
    str,
    *text_checks(20_000, min_length=1, controls="lines"),
    AfterValidator(_not_blank),
    Field(description="Why the figure changes (kept with the new version, never blank)."),
]


class SubmissionCorrection(SubmissionIn):
    """Body of POST /submissions/{submission_id}/corrections: the whole corrected figure (its organisation by
    id or code, as a new figure's), and why."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "value": 4250,
                    "period_date": "2019-06-30",
                    "organization_id": 1,
                    "is_estimate": False,
                    "note": "Số chính thức 6 tháng",
                    "reason": "Cục Thống kê công bố số chính thức",
                },
            ]
        }
    }

    reason: Reason


class SubmissionRetraction(InputModel):
    """Body of POST /submissions/{submission_id}/retraction."""

    model_config = {"json_schema_extra": {"examples": [{"reason": "Báo cáo gửi nhầm chỉ tiêu"}]}}

    reason: Reason


class FigureFields(SQLModel):
    """A figure's own fields as stored and shown: shared by `SubmissionPublic` and the export's row."""

    period_date: date
    value: float | None
    numerator: float | None
    denominator: float | None
    done: bool | None
    is_estimate: bool
    note: str
    evidence_url: str


class SubmissionPublic(FigureFields):
    """A figure as the API returns it; `recorded_at` is set by the server.

    `kind` says which version it is: `original`, `correction` (supersedes `supersedes_id`) or
    `retraction` (withdraws the figure it repeats); `root_id` is the chain's original (null on
    the original itself), `reason` why a correction or retraction was made.
    """

    id: int
    target_id: int
    organization_id: int
    period_start: date | None = None
    recorded_at: UtcDateTime
    kind: Kind
    supersedes_id: int | None
    root_id: int | None
    reason: str
    review: Review = Field(
        default=Review.APPROVED,
        description="Where the figure stands in the plan's approval workflow: `approved` (it counts), `submitted` "
        "(awaiting approval by an editor above the reporting unit) or `returned` (sent back with a reason: correct it "
        "and it comes back as `submitted`). Always `approved` on plans without `approval_required`, except figures "
        "sent while the setting was on.",
    )


class ReviewPublic(SQLModel):
    """An approval or a return of one version of a figure."""

    id: int
    submission_id: int
    action: Literal["approved", "returned"]
    reason: str
    reviewed_by: str = Field(description="The name of the key that reviewed.")
    recorded_at: UtcDateTime


class SubmissionDetail(SubmissionPublic):
    """One stored version, with every version of its chain."""

    current_id: int = Field(description="The chain's current (latest) version: the only one that may be corrected.")
    retracted: bool = Field(description="Whether the chain ends in a retraction (then no version of it counts).")
    history: list[SubmissionPublic] = Field(
        description="Every version of the chain in order: the original, its corrections, and a retraction if any."
    )
    reviews: list[ReviewPublic] = Field(
        default_factory=list, description="The chain's approvals and returns, in order (each names its version)."
    )


class SubmissionReturn(InputModel):
    """Body of POST /submissions/{submission_id}/return."""

    model_config = {"json_schema_extra": {"examples": [{"reason": "Số liệu quý II chưa khớp với báo cáo của Cục Thống kê"}]}}

    reason: Annotated[
        str,
        *text_checks(20_000, min_length=1, controls="lines"),
        AfterValidator(_not_blank),
        Field(description="Why the figure goes back to the reporting unit (kept with the return, never blank)."),
    ]


class SubmissionApproval(InputModel):
    """Body of POST /submissions/{submission_id}/approve (optional)."""

    note: LongText = Field(default="", description="A remark kept with the approval.")


class PendingFigure(SubmissionPublic):
    """A figure in an approval inbox: the version, where it belongs, and its return if it was returned."""

    plan_id: int
    target_code: str
    organization_code: str
    returned_reason: str | None = Field(default=None, description="Why it was returned (state `returned` only).")


class PendingCount(SQLModel):
    id: int
    code: str
    count: int


class PendingPage(SQLModel):
    """One page of an approval inbox, with the counts of the whole list."""

    state: Literal["submitted", "returned"]
    total: int
    by_plan: list[PendingCount] = Field(description="How many figures per plan (the whole list, not the page).")
    by_organization: list[PendingCount] = Field(description="How many figures per reporting organisation.")
    items: list[PendingFigure]
    limit: int
    offset: int
