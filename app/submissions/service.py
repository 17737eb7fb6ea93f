"""Submission use cases. Figures are only inserted, never changed in place.

A correction or a retraction is a new row superseding the chain's current version
(see `app.submissions.versions`); the UNIQUE constraint on `supersedes_id` makes
two concurrent corrections of one version end in one success and one 409.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal, NamedTuple

from sqlalchemy import and_, exists, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.audit.bulk import CopyBatch, insert_audited
from app.audit.recorder import EventContext
from app.auth import policy
from app.auth.service import Principal
from app.common.crud import check_not_archived, get_or_404, on_conflict
from app.common.listing import Listing, Sorts, ordered, page_of
from app.common.models import stored_id, utcnow
from app.engine import Comparison
from app.errors import Conflict, InvalidInput
from app.events import outbox
from app.events.models import EventType
from app.idempotency import events as idempotency
from app.organizations.models import Organization
from app.organizations.service import ancestors
from app.plans.models import Plan, PlanState
from app.submissions import rules, versions
from app.submissions.models import (
    PendingCount,
    PendingFigure,
    PendingPage,
    ReviewPublic,
    Submission,
    SubmissionApproval,
    SubmissionCreate,
    SubmissionDetail,
    SubmissionIn,
    SubmissionPublic,
    SubmissionRetraction,
    SubmissionReturn,
    SubmissionReview,
)
from app.submissions.versions import Kind, Review
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


_MILESTONE = Comparison.MILESTONE.value  # a plain string: check_figure runs per row of an import


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
    listing: Listing = Listing(),
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
    page = page_of(session, stmt, listing, sorts=SUBMISSION_SORTS)
    # Each row's review state now: only versions recorded "submitted" may have been reviewed since.
    reviews = reviews_of(session, [row.id for row in page["items"] if row.review != Review.APPROVED.value])
    page["items"] = [public(row, reviews) for row in page["items"]]
    return page


# What `sort` may name (app.common.listing); the default is `period_date`.
SUBMISSION_SORTS: Sorts = {
    "period_date": (col(Submission.period_date), col(Submission.id)),
    "recorded_at": (col(Submission.recorded_at), col(Submission.id)),
    "id": (col(Submission.id),),
}


def check_figure(
    session: Session,
    target: Target,
    plan: Plan,
    body: SubmissionCreate,
    *,
    plan_tree: set[int] | None = None,
    above: set[int] | None = None,
) -> None:
    """The domain rules for one figure (422 naming the fields): date inside the plan's period, organisation
    inside the plan's tree, the shape the target takes (`rules.shape_problems`). `plan_tree` (the plan's organisation and those under it)
    may be given by callers checking many figures, so the tree is read once, not per figure; `above` (the
    figure's organisation and those above it) by a caller that read them for the scope check already."""
    problems: dict[str, str] = {}
    if not plan.start_date <= body.period_date <= plan.end_date:
        problems["period_date"] = (
            f"must lie within the plan's period, {plan.start_date.isoformat()} to {plan.end_date.isoformat()}"
        )
    within: bool | None
    if plan_tree is not None:
        within = body.organization_id in plan_tree
    else:  # one query: the organisation and those above it (none: it does not exist)
        above = above if above is not None else ancestors(session, body.organization_id)
        within = (plan.organization_id in above) if above else None
    if within is None:
        problems["organization_id"] = f"organisation {body.organization_id} does not exist"
    elif not within:
        problems["organization_id"] = "the reporting organisation must be the plan's organisation or one under it"
    is_milestone = target.comparison == _MILESTONE
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


class Entry(NamedTuple):
    """A new version's review columns: its state on entry and the key that sent it."""

    review: str
    sent_by_key_id: int | None


def entry_of(session: Session, plan: Plan) -> Entry:
    """How a new version enters the plan's approval workflow (issue 14), for the caller on the session.

    Without `approval_required` every figure is approved as it arrives (no query: the write path
    stays as it was). With it, a figure is approved on entry when sent by an editor or admin of
    the plan's organisation (or the command line and the seed, which act with full rights);
    otherwise it is `submitted`, awaiting an editor above the reporting unit.
    """
    principal: Principal | None = session.info.get("principal")
    key_id = principal.key_id if principal is not None else None
    if not plan.approval_required or policy.approves_on_entry(session, principal, plan):
        return Entry(Review.APPROVED.value, key_id)
    return Entry(Review.SUBMITTED.value, key_id)


def new_figure(body: SubmissionCreate, target_id: int, entry: Entry) -> dict:
    """The columns of a new original figure, as inserted (`submit` adds the id); `entry`: `entry_of` the plan."""
    return {
        **body.model_dump(),
        "target_id": target_id,
        "recorded_at": utcnow(),
        "kind": Kind.ORIGINAL.value,
        "supersedes_id": None,
        "root_id": None,
        "reason": "",
        "review": entry.review,
        "sent_by_key_id": entry.sent_by_key_id,
    }


def as_correction(fields: dict, reason: str) -> dict:
    """A new figure's columns (`new_figure`) made a correction; `supersede` links it to what it corrects."""
    fields.update(kind=Kind.CORRECTION.value, reason=reason)
    return fields


def supersede(fields: dict, current_id: int, current_root_id: int | None) -> None:
    """Links a new version's columns to the version it supersedes and to its chain's original."""
    fields["supersedes_id"], fields["root_id"] = current_id, current_root_id or current_id


def submit(
    session: Session,
    rows: list[dict],
    context: EventContext | None = None,
    along: tuple[Any, dict[str, Any]] | None = None,
    reading: tuple[Any, dict[str, Any]] | None = None,
    judge: Callable[[list[Any]], None] | None = None,
    batch: CopyBatch | None = None,
) -> list[Any]:
    """The one write path of new figure versions: originals (API, import, seed), corrections and retractions.

    Inserts them as plain rows with their audit events (`app.audit.bulk`), in the edge's transaction;
    each row gets its id. `context`: one actor and time for many calls (an import's chunks).
    Each row carries its review state on entry (`entry_of`): the rows with `review == "submitted"`
    are the figures that enter the approval workflow here (the `submitted` transition; a returned
    figure's correction comes back through here too). `along` (another INSERT) and `reading` (a read) for
    the rows' own statement: its rows are returned (`insert_audited`), after `judge` has seen them (it raises
    to refuse the write, before the figures are announced; the edge's transaction then rolls it back).
    `batch`: the rows with their ids and audit events made ahead (PostgreSQL, an import: `app.audit.bulk.batch_of`).
    """
    found = insert_audited(session, Submission, rows, context=context, along=along, reading=reading, batch=batch)
    if judge is not None:
        judge(found)
    announce(session, rows)
    return found


def announce(session: Session, rows: list[dict]) -> None:
    """The events of new figures, in the same transaction (app/events/outbox.py): figure.submitted for an
    original, figure.corrected for a correction or a retraction; and the targets to compare before and
    after at commit (target.status_changed). Costs one small read per transaction when nobody subscribes."""
    wanted = {t for t in (EventType.FIGURE_SUBMITTED, EventType.FIGURE_CORRECTED) if outbox.wants(session, t)}
    if wanted:
        events = []
        for row in rows:
            kind = EventType.FIGURE_SUBMITTED if row["kind"] == Kind.ORIGINAL.value else EventType.FIGURE_CORRECTED
            if kind in wanted:
                events.append((kind.value, SubmissionPublic.model_validate(row).model_dump(mode="json"), row["organization_id"]))
        outbox.emit_many(session, events)
    outbox.watch_targets(session, rows)


def create_submission(
    *,
    session: Session,
    target: Target,
    submission_in: SubmissionCreate,
    plan: Plan | None = None,
    above: set[int] | None = None,
    locked: bool = False,
    figure_id: int | None = None,
    answer: Callable[[SubmissionPublic], None] | None = None,
) -> SubmissionPublic:
    """Records a figure for a target; the server sets the recorded time. Closed plans refuse (409).

    New figures, the busiest write, go in as plain rows with their audit event
    (`app.audit.bulk.insert_audited`, as the import does), not through the ORM's unit of work.
    `plan`: the target's plan, and `above`: the figure's organisation and those above it
    (`ancestors`), when the caller read them already (else they are read); `locked`: the caller holds
    the target's row lock in this transaction (`rules.check_against_stored`); `figure_id`: the new figure's
    id, taken from the table's sequence by the caller (PostgreSQL: `reportable`), else the INSERT gives it.
    `answer`: called with the figure as stored; before its INSERT when its id is known, so that the answer
    it gives the Idempotency-Key's record (`answer_with_write`) goes in with the figure, in its statement.
    """
    plan = plan if plan is not None else get_or_404(session, Plan, target.plan_id, "Plan")
    check_open(plan)
    check_figure(session, target, plan, submission_in, above=above)
    row = new_figure(submission_in, stored_id(target), entry_of(session, plan))
    if figure_id is None:  # the rules' read first, then the INSERT gives the id
        rules.check_against_stored(session, target, submission_in, locked=locked)
        on_conflict(session, "The figure could not be stored.")
        submit(session, [row])
        created = SubmissionPublic.model_validate(row)
        if answer is not None:
            answer(created)
        return created
    # The id known ahead (PostgreSQL, the target locked by the caller): the row, its audit event, the rules'
    # read (after the lock: it sees what an earlier holder committed, not this row) and the key's record go
    # in with one statement; the rules then judge what it read, and a refusal rolls the whole write back.
    if not locked:
        raise ValueError("create_submission: a figure whose id is known ahead needs the target locked")
    row["id"] = figure_id
    created = SubmissionPublic.model_validate(row)  # as it will be stored
    along = None
    if answer is not None:
        answer(created)  # ... and the key's record with them, with this answer
        along = idempotency.along_with_write(session)
    on_conflict(session, "The figure could not be stored.")
    found = submit(
        session,
        [row],
        along=along,
        reading=rules.against_stored(target, submission_in),
        judge=lambda read: rules.check_rows(target, submission_in, read),
    )
    if along is not None:
        idempotency.inserted_along(session, found[0].along_id)
    return created


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
    reviews = reviews_of(session, [stored_id(row) for row in history if row.review != Review.APPROVED.value])
    return SubmissionDetail(
        **public(submission, reviews).model_dump(),
        current_id=stored_id(current),
        retracted=current.kind == Kind.RETRACTION.value,
        history=[public(row, reviews) for row in history],
        reviews=[ReviewPublic.model_validate(r, from_attributes=True) for r in sorted(reviews.values(), key=lambda r: r.id or 0)],
    )


def public(row: Submission, reviews: dict[int, SubmissionReview]) -> SubmissionPublic:
    """A stored version as the API shows it, with its review state now (`reviews`: `reviews_of` its id)."""
    out = SubmissionPublic.model_validate(row, from_attributes=True)
    out.review = review_state(row, reviews.get(stored_id(row)))
    return out


def first_detail_json(figure: SubmissionPublic) -> dict:
    """`detail` of a figure just stored as an original, as JSON-safe data: its chain is itself, unreviewed
    (no read needed). What POST a figure hashes for its ETag, built from the figure's own dump (building a
    SubmissionDetail and dumping it again was a twentieth of the write's CPU); tests/api/test_etag.py checks
    it against SubmissionDetail's dump."""
    public = figure.model_dump(mode="json")
    return {**public, "current_id": figure.id, "retracted": False, "history": [public], "reviews": []}


def detail_of(session: Session, submission_id: int) -> SubmissionDetail:
    """`detail` of a stored version by id (a version just written: its ETag is the one a read gives)."""
    return detail(session=session, submission=session.get_one(Submission, submission_id))


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
            f"a retracted figure cannot be {action}; submit a new figure instead.",
            extra={"retraction_submission_id": current.id},
        )
    if current.id != submission.id:
        raise Conflict(
            f"Submission {submission.id} has been superseded: the current version is submission {current.id}. "
            f"Read it and send the request for submission {current.id}.",
            extra={"current_submission_id": current.id},
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
            f"Read it and send the request for submission {latest.id}.",
            extra={"current_submission_id": latest.id},
        )

    return meaning


def _supersede(session: Session, current: Submission, row: dict) -> SubmissionPublic:
    """Stores `row` (a new version's columns) as the next version after `current` (`submit`: the UNIQUE
    `supersedes_id` is checked now); a lost race is, at the edge's rollback, a 409 naming the winner."""
    current_id = stored_id(current)
    supersede(row, current_id, current.root_id)
    on_conflict(session, _superseded_meanwhile(current_id))
    submit(session, [row])
    return SubmissionPublic.model_validate(row)


def with_organization(session: Session, body: SubmissionIn) -> SubmissionCreate:
    """The figure with its reporting organisation's id: `organization_id` as given, or the organisation whose
    code is `organization_code` (422 naming the field when none has it). The API's edge calls this before
    the key's scope is checked; the import reads codes the same way (app/exchange/importer/figures.py)."""
    if body.organization_id is not None:
        return body.with_organization(body.organization_id)
    organization_id = session.exec(select(Organization.id).where(Organization.code == body.organization_code)).first()
    if organization_id is None:
        raise InvalidInput.from_fields(
            "No organisation has that code.", {"organization_code": f"no organisation has the code '{body.organization_code}'"}
        )
    return body.with_organization(organization_id)


def correct_submission(
    *, session: Session, submission: Submission, correction_in: SubmissionCreate, reason: str
) -> SubmissionPublic:
    """Records a corrected figure superseding the submission, which must be its chain's current version.

    409 when the plan or target is archived, the chain was retracted, or the submission has been
    superseded (the detail names the current version). The new figure passes the same checks as
    a new one (422), except that a closed plan still takes corrections (the caller's role is the
    router's concern). On a plan with `approval_required` the new version enters the workflow as a
    new figure does (`entry_of`): a returned figure comes back `submitted` this way.
    """
    target, plan = context(session, submission)
    check_not_archived(plan, target)
    current = current_of(session, submission, "corrected")
    body = correction_in
    check_figure(session, target, plan, body)
    rules.check_against_stored(session, target, body, chain=current.root_id or current.id)
    row = as_correction(new_figure(body, stored_id(target), entry_of(session, plan)), reason)
    return _supersede(session, current, row)


def retract_submission(*, session: Session, submission: Submission, retraction_in: SubmissionRetraction) -> SubmissionPublic:
    """Withdraws the figure: a retraction row repeating the current version, superseding it.

    The submission must be its chain's current version (409 otherwise, naming it); archived plans
    and targets refuse (409). A withdrawal takes effect at once: it needs no approval (its row is
    recorded `approved`), on any plan.
    """
    target, plan = context(session, submission)
    check_not_archived(plan, target)
    current = current_of(session, submission, "retracted again")
    principal: Principal | None = session.info.get("principal")
    row = {
        **{name: getattr(current, name) for name in FIGURE_FIELDS},
        "period_start": None,  # as before 0007: the retraction repeats the figure's value, not its span
        "recorded_at": utcnow(),
        "kind": Kind.RETRACTION.value,
        "reason": retraction_in.reason,
        "review": Review.APPROVED.value,
        "sent_by_key_id": principal.key_id if principal is not None else None,
    }
    return _supersede(session, current, row)


# ------------------------------------------------------------------ approval (issue 14)
#
# A version is recorded `approved` or `submitted` (`entry_of`, in `submit`); a submitted version is
# then approved or returned exactly once, by a new `submission_review` row (never an UPDATE). The
# transitions each have one function: `submit` (a new version), `approve`, `return_figure`.


def reviews_of(session: Session, submission_ids: list[int]) -> dict[int, SubmissionReview]:
    """submission id -> its review (approval or return), for those reviewed."""
    if not submission_ids:
        return {}
    rows = session.exec(select(SubmissionReview).where(col(SubmissionReview.submission_id).in_(submission_ids))).all()
    return {row.submission_id: row for row in rows}


def review_state(submission: Submission, review: SubmissionReview | None) -> Review:
    """A version's state now: its review's action if reviewed, else its state on entry."""
    return Review(review.action) if review is not None else Review(submission.review)


def _check_reviewable(session: Session, submission: Submission, action: str) -> tuple[Target, Plan, Submission]:
    """The figure may be reviewed: plan and target not archived, the version current, submitted and not yet reviewed (409)."""
    target, plan = context(session, submission)
    check_not_archived(plan, target)
    current = current_of(session, submission, action)
    review = reviews_of(session, [stored_id(current)]).get(stored_id(current))
    state = review_state(current, review)
    if state != Review.SUBMITTED:
        already = "was approved" if state == Review.APPROVED else "was returned"
        hint = (
            " Correct it to send it again (the correction comes back as submitted)."
            if state == Review.RETURNED
            else " An approved figure is changed by a correction."
        )
        raise Conflict(f"Submission {current.id} is not awaiting approval: it {already}.{hint}")
    return target, plan, current


def _review(session: Session, current: Submission, action: Review, reason: str) -> ReviewPublic:
    """Inserts the review row of `current` with its audit event; a concurrent review of the same version is a 409."""
    principal: Principal | None = session.info.get("principal")
    row = {
        "submission_id": stored_id(current),
        "target_id": current.target_id,
        "organization_id": current.organization_id,
        "action": action.value,
        "reason": reason,
        "reviewed_by_key_id": principal.key_id if principal is not None else None,
        "reviewed_by": principal.name if principal is not None else "cli",
        "recorded_at": utcnow(),
    }
    on_conflict(session, f"Submission {current.id} was reviewed meanwhile: read it (GET /submissions/{current.id}).")
    insert_audited(session, SubmissionReview, [row])
    review = ReviewPublic.model_validate(row)
    _announce_review(session, current, review)
    return review


def _announce_review(session: Session, current: Submission, review: ReviewPublic) -> None:
    """figure.approved / figure.returned in the review's transaction (the review as the API answers it, with
    the figure in its new state), and the target watched for target.status_changed: an approval changes
    what counts without a new figure."""
    event = EventType.FIGURE_APPROVED if review.action == Review.APPROVED.value else EventType.FIGURE_RETURNED
    if outbox.wants(session, event):
        figure = SubmissionPublic.model_validate(current, from_attributes=True).model_dump(mode="json")
        figure["review"] = review.action
        outbox.emit(session, event.value, {**review.model_dump(mode="json"), "submission": figure}, current.organization_id)
    outbox.watch_targets(session, [{"id": stored_id(current), "target_id": current.target_id}], reviewed=True)


def approve(*, session: Session, submission: Submission, approval_in: SubmissionApproval) -> ReviewPublic:
    """Approves a submitted figure: from now on it counts in the plan's status (the `approved` transition).

    The submission must be its chain's current version and awaiting approval (409 otherwise);
    who may approve is the router's concern (`policy.require_to_review`). Closed plans take
    approvals, as they take an editor's corrections; archived ones refuse (409).
    """
    _, _, current = _check_reviewable(session, submission, "approved")
    return _review(session, current, Review.APPROVED, approval_in.note)


def return_figure(*, session: Session, submission: Submission, return_in: SubmissionReturn) -> ReviewPublic:
    """Returns a submitted figure to its reporting unit with a reason (the `returned` transition): it does
    not count; a correction of it comes back as submitted. The same checks as `approve`."""
    _, _, current = _check_reviewable(session, submission, "returned")
    return _review(session, current, Review.RETURNED, return_in.reason)


# ------------------------------------------------------------------ the approval inbox

Pending = Literal["submitted", "returned"]


# What `sort` may name on an approval inbox (default `id`: oldest first).
PENDING_SORTS: Sorts = {
    "id": (col(Submission.id),),
    "period_date": (col(Submission.period_date), col(Submission.id)),
}


def pending(
    *,
    session: Session,
    state: Pending,
    plan_id: int | None = None,
    organizations: set[int] | None = None,
    draft_plans_of: set[int] | None = None,
    readable_only_of: set[int] | None = None,
    listing: Listing = Listing(),
) -> PendingPage:
    """The figures awaiting approval (`state="submitted"`), or returned to their units (`"returned"`),
    oldest first, with the counts of the whole list per plan and per reporting organisation.

    Only each chain's current version counts, on live plans that require approval (with the setting
    off every figure counts already). `plan_id`: of one plan; `organizations`: reported by one of
    these; `draft_plans_of`: drafts only of plans of these organisations (None: every draft).
    """
    org = aliased(Organization)
    review = aliased(SubmissionReview)
    where = [
        col(Plan.approval_required).is_(True),
        col(Plan.archived_at).is_(None),
        col(Target.archived_at).is_(None),
        in_force(),
    ]
    if state == "submitted":
        where += [Submission.review == Review.SUBMITTED.value, ~exists().where(col(review.submission_id) == Submission.id)]
    else:
        where += [review.action == Review.RETURNED.value]
    if plan_id is not None:
        where.append(Target.plan_id == plan_id)
    if organizations is not None:
        where.append(col(Submission.organization_id).in_(organizations))
    if draft_plans_of is not None:
        where.append((col(Plan.state) != PlanState.DRAFT.value) | col(Plan.organization_id).in_(draft_plans_of))
    if readable_only_of is not None:
        where.append(col(Plan.organization_id).in_(readable_only_of))

    def joined(stmt):
        stmt = (
            stmt.join(Target, col(Target.id) == Submission.target_id)
            .join(Plan, col(Plan.id) == Target.plan_id)
            .join(org, org.id == Submission.organization_id)
        )
        if state == "returned":
            stmt = stmt.join(review, review.submission_id == Submission.id)
        return stmt.where(*where)

    count = func.count(col(Submission.id))
    by_plan = session.exec(
        joined(select(Plan.id, Plan.code, count).select_from(Submission))
        .group_by(col(Plan.id), col(Plan.code))
        .order_by(col(Plan.code))
    ).all()
    by_org = session.exec(
        joined(select(org.id, org.code, count).select_from(Submission)).group_by(org.id, org.code).order_by(org.code)
    ).all()
    stmt = joined(select(Submission, Target.plan_id, Target.code, org.code).select_from(Submission)).order_by(col(Submission.id))
    rows = session.exec(ordered(stmt, listing, PENDING_SORTS).limit(listing.limit).offset(listing.offset)).all()
    returns = reviews_of(session, [stored_id(row[0]) for row in rows]) if state == "returned" else {}
    items = []
    for figure, plan_id_, target_code, organization_code in rows:
        fields = SubmissionPublic.model_validate(figure, from_attributes=True).model_dump()
        fields["review"] = Review(state)
        returned = returns.get(stored_id(figure))
        items.append(
            PendingFigure(
                **fields,
                plan_id=plan_id_,
                target_code=target_code,
                organization_code=organization_code,
                returned_reason=returned.reason if returned is not None else None,
            )
        )
    return PendingPage(
        state=state,
        total=sum(n for _, _, n in by_plan),
        by_plan=[PendingCount(id=i, code=c, count=n) for i, c, n in by_plan],
        by_organization=[PendingCount(id=i, code=c, count=n) for i, c, n in by_org],
        items=items,
        limit=listing.limit,
        offset=listing.offset,
    )
