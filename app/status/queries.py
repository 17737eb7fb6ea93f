"""The status reads: Core statements built once at import, and stored rows → the engine's values.

Bind parameters and no ORM objects per figure: building a select() per call and an ORM entity
per row cost more than the database did (docs/PERFORMANCE.md sections 2 and 3). Figures stream
ordered by target (`stream`), so memory holds one target's figures, not the plan's.
Rows are read by column name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from itertools import chain, groupby
from operator import attrgetter
from types import SimpleNamespace
from typing import Any, NamedTuple, cast

from sqlalchemy import Integer, Row, Text, and_, bindparam, func, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from app.assessments.models import Assessment, AssessmentPublic
from app.common.models import as_utc, table_of
from app.common.prepared import Prepared
from app.engine import Observation
from app.engine.combine import AWAITING_APPROVAL, RETURNED
from app.organizations.service import TREE_VERSION
from app.plans.models import Plan
from app.status import cache
from app.submissions import versions
from app.submissions.models import Submission, SubmissionReview
from app.submissions.versions import Review
from app.targets.models import Target

_S = table_of(Submission)
_T = table_of(Target)
_A = table_of(Assessment)
_R = table_of(SubmissionReview)

FIGURE_COLUMNS = (
    _S.c.id,
    _S.c.target_id,
    _S.c.organization_id,
    _S.c.period_date,
    _S.c.value,
    _S.c.numerator,
    _S.c.denominator,
    _S.c.done,
    _S.c.is_estimate,
    _S.c.recorded_at,
    _S.c.kind,
    _S.c.supersedes_id,
    _S.c.root_id,
    _S.c.period_start,
    _S.c.review,
)


def _figures_statement(of_targets):
    """The figures that may count by :as_of, ordered by target.

    Whole chains of versions are loaded: originals dated up to as_of, and every row of a chain
    that has versions (a correction may move a figure's date across as_of).
    """
    corrected = select(_S.c.root_id).where(of_targets, _S.c.root_id.is_not(None))
    return (
        select(*FIGURE_COLUMNS)
        .where(of_targets, or_(_S.c.period_date <= bindparam("as_of"), _S.c.root_id.is_not(None), _S.c.id.in_(corrected)))
        .order_by(_S.c.target_id, _S.c.id)
    )


FIGURES_OF_TARGET = _figures_statement(_S.c.target_id == bindparam("target_id"))
FIGURES_OF_TARGETS = _figures_statement(_S.c.target_id.in_(bindparam("target_ids", expanding=True)))

# The target columns the engine and the answer read (spec_of takes these rows as it takes a Target),
# and the largest submission id and review id (an index probe each per target) and, on PostgreSQL,
# the figures' version (inserted figures and reviews): the cache's fingerprint (app/status/cache.py).
SPEC_COLUMNS = (
    _T.c.id,
    _T.c.code,
    _T.c.title,
    _T.c.title_en,
    _T.c.category,
    _T.c.unit,
    _T.c.comparison,
    _T.c.value,
    _T.c.low,
    _T.c.high,
    _T.c.tolerance,
    _T.c.direction,
    _T.c.baseline_value,
    _T.c.change_basis,
    _T.c.aggregation,
    sql_cast(_T.c.checkpoints, Text).label("checkpoints"),  # as stored: parsed only to judge (targets.spec.json_value)
    _T.c.frequency,
    _T.c.across_units,
    _T.c.is_percentage,
    _T.c.may_exceed_whole,
    sql_cast(_T.c.reporting_unit_ids, Text).label("reporting_unit_ids"),
)


class _WithoutVersion(FunctionElement[int]):
    """Its argument on SQLite; NULL on PostgreSQL, where the target's `target_figures.version` (next) already
    moves with every figure and review inserted for it, in the inserting transaction (migrations 0004 and 0007),
    so the fingerprint needs no largest ids there (issue 17: the two probes per target were two thirds of the
    plan status's statement time at a million figures). SQLite keeps that table empty: its ids commit in order."""

    type = Integer()
    name = "without_version"
    inherit_cache = True


@compiles(_WithoutVersion, "postgresql")
def _without_version_postgresql(element, compiler, **kw):
    return "NULL"


@compiles(_WithoutVersion)
def _without_version(element, compiler, **kw):  # SQLite
    return compiler.process(element.clauses, **kw)


_MAX_SUBMISSION_ID = _WithoutVersion(select(func.max(_S.c.id)).where(_S.c.target_id == _T.c.id).correlate(_T).scalar_subquery())
# The target's largest review id: an approval or a return changes what counts without a new figure.
_MAX_REVIEW_ID = _WithoutVersion(select(func.max(_R.c.id)).where(_R.c.target_id == _T.c.id).correlate(_T).scalar_subquery())
_FIGURES_VERSION = (
    select(table_of(cache.TargetFigures).c.version)
    .where(table_of(cache.TargetFigures).c.target_id == _T.c.id)
    .correlate(_T)
    .scalar_subquery()
)
PLAN_TARGETS = (
    select(
        *SPEC_COLUMNS,
        _MAX_SUBMISSION_ID.label("max_submission_id"),
        _MAX_REVIEW_ID.label("max_review_id"),
        _FIGURES_VERSION.label("figures_version"),
    )
    .where(_T.c.plan_id == bindparam("plan_id"), _T.c.archived_at.is_(None))  # archived targets leave the status
    .order_by(_T.c.position, _T.c.id)
)

# A target's own status (service.target_status_json), in one query: its plan's columns (labelled
# `plan_<name>`: read into `plan_of_row`), PLAN_TARGETS's columns for the target (archived or not:
# its own status answers either way), its stored evaluation on :as_of, if any, and the organisation tree's
# version (the fingerprint's part for the tree: no tree is read when the stored row holds). Core rows, not ORM
# entities: the access check, spec_of and rules_of read them by the same attribute names (issue 17).
_P = table_of(Plan)
# The plan's columns a target's status reads (the access check, spec_of, rules_of, the fingerprint and
# the units it expects), not all of them: each column of a row costs the driver work per request (psycopg
# builds a description entry per column: a third of the route's CPU with the plan's 23), and the plan's
# source text may be long. A status test reads nothing else of it (issue 17).
PLAN_NAMES = (
    "id",
    "code",
    "organization_id",
    "state",
    "start_date",
    "end_date",
    "approval_required",
    "reporting_unit_ids",
    "reporting_grace_days",
    "ceiling_exceed_margin",
    "near_miss_band",
    "on_track_from",
    "at_risk_from",
)


def _target_and_stored(*stored: Any):
    """A target with its plan, what its fingerprint hashes, and its stored row of :as_of (`stored`: which
    of the row's columns): TARGET_STATUS and TARGET_HISTORY. TARGET_SPEC slices the fingerprint's part."""
    return (
        select(
            *(_P.c[name].label(f"plan_{name}") for name in PLAN_NAMES),
            *SPEC_COLUMNS,
            _MAX_SUBMISSION_ID.label("max_submission_id"),
            _MAX_REVIEW_ID.label("max_review_id"),
            _FIGURES_VERSION.label("figures_version"),
            cache.TABLE.c.fingerprint,
            TREE_VERSION.label("tree_version"),  # the organisation tree's version, for the fingerprint (no tree read)
            *stored,
        )
        .select_from(_T)
        .join(_P, _P.c.id == _T.c.plan_id)
        .outerjoin(cache.TABLE, and_(cache.TABLE.c.target_id == _T.c.id, cache.TABLE.c.as_of == bindparam("as_of")))
    )


TARGET_STATUS = Prepared(
    _target_and_stored(
        cache.TABLE.c.target_payload,
        cache.TABLE.c.message_vi.label("stored_message_vi"),
        cache.TABLE.c.message_en.label("stored_message_en"),
        *(column.label(f"assessment_{column.key}") for column in _A.c),
    )
    # its latest assessment (as latest_assessments orders them), if any: the head shows it
    .outerjoin(
        _A,
        _A.c.id
        == select(_A.c.id)
        .where(_A.c.target_id == _T.c.id)
        .order_by(_A.c.recorded_at.desc(), _A.c.id.desc())
        .limit(1)
        .correlate(_T)
        .scalar_subquery(),
    )
    .where(_T.c.id == bindparam("target_id"))
)
# A target's history (issue 17): the same head, and the stored history of :as_of.
TARGET_HISTORY = _target_and_stored(cache.TABLE.c.history_payload).where(_T.c.id == bindparam("target_id"))
_ASSESSMENT_NAMES = tuple(_A.c.keys())
# The columns of a TARGET_STATUS row that are a PLAN_TARGETS row (what cache.fingerprint hashes).
TARGET_SPEC = slice(len(PLAN_NAMES), len(PLAN_NAMES) + len(SPEC_COLUMNS) + 3)


def plan_of_row(row: Row) -> Plan:
    """The plan's part of a TARGET_STATUS row, with Plan's attribute names (a namespace, not an entity:
    what the access check, spec_of, rules_of and the fingerprint read; nothing writes it)."""
    return cast(Plan, SimpleNamespace(**dict(zip(PLAN_NAMES, row[: len(PLAN_NAMES)], strict=True))))


def assessment_of_row(row: Row) -> AssessmentPublic | None:
    """The latest assessment of a TARGET_STATUS row's target (all recorded so far: not for `known_at` reads)."""
    if row.assessment_id is None:
        return None
    return AssessmentPublic.model_validate({name: getattr(row, f"assessment_{name}") for name in _ASSESSMENT_NAMES})


ASSESSMENTS_OF_TARGET = select(_A).where(_A.c.target_id == bindparam("target_id")).order_by(_A.c.recorded_at, _A.c.id)
ASSESSMENTS_OF_PLAN = (
    select(_A).join(_T, _T.c.id == _A.c.target_id).where(_T.c.plan_id == bindparam("plan_id")).order_by(_A.c.recorded_at, _A.c.id)
)

_ID = attrgetter("id")


def observation(row: Row) -> Observation:
    """The engine's view of a stored figure (a row of FIGURE_COLUMNS)."""
    # Unpacked, not read by name: this runs once per figure of a plan (up to a million).
    (
        id_,
        _target_id,
        organization_id,
        period_date,
        value,
        numerator,
        denominator,
        done,
        is_estimate,
        recorded_at,
        _kind,
        _supersedes_id,
        _root_id,
        period_start,
        _review,
    ) = row
    # SQLite hands back naive datetimes, all UTC; PostgreSQL aware ones (compared as instants).
    recorded = recorded_at if recorded_at.tzinfo else recorded_at.replace(tzinfo=UTC)
    return Observation(
        period_date, recorded, organization_id, value, numerator, denominator, done, is_estimate, id_, period_start
    )


def has_versions(rows: Sequence[Row]) -> bool:
    """Whether any row is a correction or a retraction."""
    return any(row.supersedes_id is not None for row in rows)


def in_force(rows: Sequence[Row], as_of: date, known_at: datetime | None) -> list[Observation]:
    """One target's figures in force as known at `known_at`, dated up to as_of.

    Each chain of versions counts once, through its last version recorded by `known_at`
    (`versions.in_force`); retracted chains not at all. Without versions and known_at every
    row is an original in force, so the walk is skipped. The engine applies known_at again (a no-op).
    """
    if known_at is not None or has_versions(rows):
        rows = versions.in_force(rows, known_at)
    return [observation(row) for row in rows if row.period_date <= as_of]


def replaced(
    rows: Sequence[Row], kept: list[Observation], as_of: date, known_at: datetime | None
) -> list[tuple[Observation, str]]:
    """The versions that do not count because a later version replaced them, with why (a target's own status lists them)."""
    if not has_versions(rows):
        return []  # no corrections or retractions: every row is an original in force
    kept_ids = {o.id for o in kept}
    by_root: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_root[row.root_id or row.id].append(row)
    out = []
    for versions_of_one in by_root.values():
        known = [r for r in versions_of_one if known_at is None or observation(r).recorded_at <= known_at]
        if not known:
            continue
        last = max(known, key=_ID)
        for r in known:
            if r.id in kept_ids or r.id == last.id or r.period_date > as_of:
                continue  # counts; or is the chain's last version (a retraction row withdraws, it is not a figure)
            why = (
                f"retracted: by submission {last.id}"
                if last.kind == versions.Kind.RETRACTION.value
                else f"superseded: corrected by submission {last.id}"
            )
            out.append((observation(r), why))
    return out


# ------------------------------------------------------------------ approval (issue 14)

REVIEWS_OF_TARGETS = select(_R.c.submission_id, _R.c.action, _R.c.recorded_at).where(
    _R.c.target_id.in_(bindparam("target_ids", expanding=True))
)


class Approval(NamedTuple):
    """What counts on a plan with `approval_required`: approved figures, and with `include_submitted`
    (`?include=submitted`, a provisional picture) the submitted ones too. Returned figures never count.

    `reviews`: submission id -> (action, recorded_at) of the targets read; a review recorded after
    `known_at` is not known then (the figure was still submitted).
    """

    include_submitted: bool
    reviews: dict[int, tuple[str, datetime]]


def approval_of(session: Session, approval_required: bool, target_ids: list[int], include_submitted: bool) -> Approval | None:
    """The plan's approval reading (None when the plan does not require approval: every figure counts, no query)."""
    if not approval_required:
        return None
    reviews: dict[int, tuple[str, datetime]] = {}
    if target_ids:
        for submission_id, action, recorded_at in session.execute(REVIEWS_OF_TARGETS, {"target_ids": target_ids}):
            reviews[submission_id] = (action, as_utc(recorded_at))
    return Approval(include_submitted, reviews)


def reviewed(
    rows: Sequence[Row], figures: list[Observation], approval: Approval | None, known_at: datetime | None
) -> tuple[list[Observation], list[tuple[Observation, str]], frozenset[int]]:
    """(the figures that count, those set aside as awaiting approval or returned with why, the ids of
    submitted figures counted provisionally). `figures`: the figures in force among `rows`."""
    if approval is None:
        return figures, [], frozenset()
    recorded = {row.id: row.review for row in rows if row.review != Review.APPROVED.value}
    if not recorded:
        return figures, [], frozenset()
    kept: list[Observation] = []
    aside: list[tuple[Observation, str]] = []
    awaiting: set[int] = set()
    for o in figures:
        if o.id not in recorded:
            kept.append(o)
            continue
        review = approval.reviews.get(o.id) if o.id is not None else None
        state = review[0] if review is not None and (known_at is None or review[1] <= known_at) else recorded[o.id]
        if state == Review.APPROVED.value:
            kept.append(o)
        elif state == Review.RETURNED.value:
            aside.append((o, RETURNED))
        elif approval.include_submitted:
            kept.append(o)
            awaiting.add(o.id)  # type: ignore[arg-type]  # stored figures have ids
        else:
            aside.append((o, AWAITING_APPROVAL))
    return kept, aside, frozenset(awaiting)


def stream(
    session: Session, target_ids: list[int], as_of: date, known_at: datetime | None, approval: Approval | None = None
) -> Iterator[tuple[int, list[Observation], list[tuple[Observation, str]], frozenset[int]]]:
    """(target_id, its figures that count, the figures set aside with why (versions replaced, figures
    not approved), the ids of figures counted while awaiting approval) for each of the targets that
    has figures, one target at a time. `approval`: `approval_of` the plan (None: every figure counts)."""
    if not target_ids:
        return
    result = session.execute(
        FIGURES_OF_TARGETS, {"target_ids": target_ids, "as_of": as_of}, execution_options={"yield_per": 5000}
    )
    # Rows arrive in batches (a server-side cursor on PostgreSQL): memory holds a batch and one target.
    for target_id, grouped in groupby(chain.from_iterable(result.partitions()), key=attrgetter("target_id")):
        rows = list(grouped)
        figures = in_force(rows, as_of, known_at)
        set_aside = replaced(rows, figures, as_of, known_at)
        counted, not_approved, awaiting = reviewed(rows, figures, approval, known_at)
        yield target_id, counted, set_aside + not_approved, awaiting


def figures_of_target(session: Session, target_id: int, as_of: date) -> Sequence[Row]:
    """One target's figures (whole chains of versions) that may count by as_of."""
    return session.execute(FIGURES_OF_TARGET, {"target_id": target_id, "as_of": as_of}).all()


def latest_assessments(session: Session, statement: Any, params: dict, known_at: datetime | None) -> dict[int, AssessmentPublic]:
    """The latest assessment per target, among those recorded by `known_at`.

    The time filter runs here, on timezone-aware values, not in SQL: SQLite keeps datetimes
    as text without an offset, so comparing there would mix clocks.
    """
    latest = {}
    for row in session.execute(statement, params):
        if known_at is None or as_utc(row.recorded_at) <= known_at:
            latest[row.target_id] = row
    return {tid: AssessmentPublic.model_validate(row, from_attributes=True) for tid, row in latest.items()}
