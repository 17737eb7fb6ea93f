"""Submission use cases. Figures are only inserted, never changed in place.

A correction or a retraction is a new row superseding the chain's current version
(see `app.submissions.versions`); the UNIQUE constraint on `supersedes_id` makes
two concurrent corrections of one version end in one success and one 409.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from sqlalchemy import and_, exists
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.audit.bulk import insert_audited
from app.audit.recorder import EventContext
from app.common.crud import check_not_archived, flush, get_or_404, on_conflict, paginate
from app.common.models import stored_id, utcnow
from app.engine import Comparison
from app.errors import Conflict, InvalidInput
from app.organizations.service import ancestors
from app.plans.models import Plan, PlanState
from app.submissions import rules, versions
from app.submissions.models import (
    Submission,
    SubmissionCorrection,
    SubmissionCreate,
    SubmissionDetail,
    SubmissionPublic,
    SubmissionRetraction,
)
from app.submissions.versions import Kind
from app.targets.models import Target

Versions = Literal["current", "all"]
# The figure fields a retraction repeats from the version it withdraws.
FIGURE_FIELDS = (
    "target_id",
    "organization_id",
    "period_date",
    "value",
    "numerator",
    "denominator",
    "done",
    "is_estimate",
    "note",
    "evidence_url",
)


def in_force():
    """SQL condition: the row is its chain's current version and the chain is not retracted."""
    later = aliased(Submission)
    return and_(~exists().where(later.supersedes_id == Submission.id), Submission.kind != Kind.RETRACTION.value)


def list_submissions(
    *,
    session: Session,
    target: Target,
    from_date: date | None,
    to_date: date | None,
    organization_id: int | None,
    versions: Versions = "current",
    limit: int,
    offset: int,
):
    """Lists a target's figures by date, optionally within dates or from one organisation.

    `versions="current"`: the figures in force (each chain's current version; retracted
    chains left out). `"all"`: every stored row, originals, corrections and retractions.
    """
    stmt = select(Submission).where(Submission.target_id == target.id).order_by(col(Submission.period_date), col(Submission.id))
    if versions == "current":
        stmt = stmt.where(in_force())
    if from_date is not None:
        stmt = stmt.where(Submission.period_date >= from_date)
    if to_date is not None:
        stmt = stmt.where(Submission.period_date <= to_date)
    if organization_id is not None:
        stmt = stmt.where(Submission.organization_id == organization_id)
    return paginate(session, stmt, limit=limit, offset=offset)


def check_figure(
    session: Session, target: Target, plan: Plan, body: SubmissionCreate, *, plan_tree: set[int] | None = None
) -> None:
    """The domain rules for one figure (422 naming the fields): date inside the plan's period, organisation
    inside the plan's tree, the shape the target takes (`rules.shape_problems`). `plan_tree` (the plan's organisation and those under it)
    may be given by callers checking many figures, so the tree is read once, not per figure."""
    problems: dict[str, str] = {}
    if not plan.start_date <= body.period_date <= plan.end_date:
        problems["period_date"] = (
            f"must lie within the plan's period, {plan.start_date.isoformat()} to {plan.end_date.isoformat()}"
        )
    within: bool | None
    if plan_tree is not None:
        within = body.organization_id in plan_tree
    else:  # one query: the organisation and those above it (none: it does not exist)
        above = ancestors(session, body.organization_id)
        within = (plan.organization_id in above) if above else None
    if within is None:
        problems["organization_id"] = f"organisation {body.organization_id} does not exist"
    elif not within:
        problems["organization_id"] = "the reporting organisation must be the plan's organisation or one under it"
    is_milestone = target.comparison == Comparison.MILESTONE
    if is_milestone and body.done is None:
        problems["done"] = "this target is a milestone: report done (true or false)"
    if not is_milestone and body.done is not None:
        problems["done"] = "this target is numeric: report a value, or a numerator and denominator"
    problems = {**rules.shape_problems(target, plan, body), **problems}
    if problems:
        raise InvalidInput.from_fields("The figure cannot be accepted for this target.", problems)


def check_open(plan: Plan) -> None:
    """A closed plan takes no new figures (409); its figures may still be corrected by an editor."""
    if plan.state == PlanState.CLOSED.value:
        raise Conflict(
            f"Plan {plan.id} ({plan.code}) is closed: it takes no new figures. An editor may still correct or "
            "retract its figures, or reopen the plan (state 'active')."
        )


def new_figure(body: SubmissionCreate, target_id: int) -> dict:
    """The columns of a new original figure, as inserted (`insert_figures` adds the id)."""
    return {
        **body.model_dump(),
        "target_id": target_id,
        "recorded_at": utcnow(),
        "kind": Kind.ORIGINAL.value,
        "supersedes_id": None,
        "root_id": None,
        "reason": "",
    }


def as_correction(fields: dict, reason: str) -> dict:
    """A new figure's columns (`new_figure`) made a correction; `supersede` links it to what it corrects."""
    fields.update(kind=Kind.CORRECTION.value, reason=reason)
    return fields


def supersede(fields: dict, current_id: int, current_root_id: int | None) -> None:
    """Links a new version's columns to the version it supersedes and to its chain's original."""
    fields["supersedes_id"], fields["root_id"] = current_id, current_root_id or current_id


def insert_figures(session: Session, rows: list[dict], context: EventContext | None = None) -> None:
    """Inserts new figures as plain rows with their audit events (`app.audit.bulk`), in the edge's transaction;
    each row gets its id. `context`: one actor and time for many calls (an import's chunks)."""
    insert_audited(session, Submission, rows, context=context)


def create_submission(*, session: Session, target: Target, submission_in: SubmissionCreate) -> SubmissionPublic:
    """Records a figure for a target; the server sets the recorded time. Closed plans refuse (409).

    New figures, the busiest write, go in as plain rows with their audit event
    (`app.audit.bulk.insert_audited`, as the import does), not through the ORM's unit of work.
    """
    plan = get_or_404(session, Plan, target.plan_id, "Plan")
    check_open(plan)
    check_figure(session, target, plan, submission_in)
    rules.check_against_stored(session, target, submission_in)
    row = new_figure(submission_in, stored_id(target))
    on_conflict(session, "The figure could not be stored.")
    insert_figures(session, [row])
    return SubmissionPublic.model_validate(row)


# ------------------------------------------------------------------ versions


def chain_of(session: Session, submission: Submission) -> list[Submission]:
    """Every version of the submission's chain in order, original first (one query)."""
    root_id = submission.root_id or submission.id
    rows = session.exec(select(Submission).where((Submission.id == root_id) | (Submission.root_id == root_id))).all()
    return versions.chain(rows)


def detail(*, session: Session, submission: Submission) -> SubmissionDetail:
    """The row, its chain's versions in order, and which one is current."""
    history = chain_of(session, submission)
    current = history[-1]
    return SubmissionDetail(
        **SubmissionPublic.model_validate(submission, from_attributes=True).model_dump(),
        current_id=stored_id(current),
        retracted=current.kind == Kind.RETRACTION.value,
        history=[SubmissionPublic.model_validate(row, from_attributes=True) for row in history],
    )


def context(session: Session, submission: Submission) -> tuple[Target, Plan]:
    """The target and plan a figure belongs to."""
    target = get_or_404(session, Target, submission.target_id, "Target")
    return target, get_or_404(session, Plan, target.plan_id, "Plan")


def current_of(session: Session, submission: Submission, action: str) -> Submission:
    """The submission itself, if it is its chain's current, unretracted version; else 409 naming the current one."""
    current = chain_of(session, submission)[-1]
    if current.kind == Kind.RETRACTION.value:
        raise Conflict(
            f"The figure of submission {submission.id} was retracted (submission {current.id}): "
            f"a retracted figure cannot be {action}; submit a new figure instead."
        )
    if current.id != submission.id:
        raise Conflict(
            f"Submission {submission.id} has been superseded: the current version is submission {current.id}. "
            f"Read it and send the request for submission {current.id}."
        )
    return current


def _superseded_meanwhile(current_id: int):
    """What a lost race on `current_id` means: 409 naming the winner's current version (read after the rollback)."""

    def meaning(session: Session) -> Conflict:
        winner = session.exec(select(Submission.id).where(Submission.supersedes_id == current_id)).first()
        if winner is None:
            return Conflict("The new version could not be stored.")
        latest = chain_of(session, get_or_404(session, Submission, winner, "Submission"))[-1]
        return Conflict(
            f"Submission {current_id} was superseded meanwhile: the current version is submission {latest.id}. "
            f"Read it and send the request for submission {latest.id}."
        )

    return meaning


def _supersede(session: Session, current: Submission, row: Submission) -> Submission:
    """Stores `row` as the next version after `current` (flushed: the UNIQUE `supersedes_id` is checked
    now); a lost race is, at the edge's rollback, a 409 naming the winner."""
    current_id = stored_id(current)
    root_id = current.root_id or current_id
    row.supersedes_id, row.root_id = current_id, root_id
    session.add(row)
    flush(session, _superseded_meanwhile(current_id))
    session.refresh(row)
    return row


def correct_submission(*, session: Session, submission: Submission, correction_in: SubmissionCorrection) -> Submission:
    """Records a corrected figure superseding the submission, which must be its chain's current version.

    409 when the plan or target is archived, the chain was retracted, or the submission has been
    superseded (the detail names the current version). The new figure passes the same checks as
    a new one (422), except that a closed plan still takes corrections (the caller's role is the
    router's concern).
    """
    target, plan = context(session, submission)
    check_not_archived(plan, target)
    current = current_of(session, submission, "corrected")
    body = SubmissionCreate.model_validate(correction_in.model_dump(exclude={"reason"}))
    check_figure(session, target, plan, body)
    rules.check_against_stored(session, target, body, chain=current.root_id or current.id)
    row = Submission.model_validate(
        {**body.model_dump(), "target_id": target.id, "kind": Kind.CORRECTION.value, "reason": correction_in.reason}
    )
    return _supersede(session, current, row)


def retract_submission(*, session: Session, submission: Submission, retraction_in: SubmissionRetraction) -> Submission:
    """Withdraws the figure: a retraction row repeating the current version, superseding it.

    The submission must be its chain's current version (409 otherwise, naming it); archived plans
    and targets refuse (409).
    """
    target, plan = context(session, submission)
    check_not_archived(plan, target)
    current = current_of(session, submission, "retracted again")
    row = Submission.model_validate(
        {
            **{name: getattr(current, name) for name in FIGURE_FIELDS},
            "kind": Kind.RETRACTION.value,
            "reason": retraction_in.reason,
        }
    )
    return _supersede(session, current, row)
