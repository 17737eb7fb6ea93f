"""The status use cases: load (app/status/queries.py), call the pure engine, shape (app/status/shaping.py).

No judging happens here. The plan's status keeps each target's evaluation in `target_evaluation`
(app/status/cache.py): a read recomputes only the targets whose fingerprint changed. `known_at`
reads are not cached.
"""

from __future__ import annotations

import logging
import tempfile
import time
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import IO, Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlmodel import Session

from app.common import memory
from app.common.listing import Listing, Sorts
from app.common.models import stored_id, table_of
from app.engine import Evaluation, Observation, Status, Units, evaluate, goal_of, history, pace, phase_on
from app.engine.rollup import summarize, summarize_by
from app.organizations.models import Organization
from app.organizations.service import tree_version
from app.plans.models import Plan
from app.plans.rules import rules_of
from app.status import cache, queries, shaping
from app.status.models import (
    GroupStatus,
    HistoryPoint,
    OrganizationStatus,
    PathPoint,
    PlanStatus,
    PlanStatusByOrganization,
    TargetHistory,
    TargetJudged,
    TargetStatus,
)
from app.status.units import Tree, expected_for, load_tree
from app.targets.models import Target
from app.targets.spec import spec_of

log = logging.getLogger("chitieu.status")


def _plan_of(session: Session, target: Target) -> Plan:
    """The target's plan (a foreign key: it exists)."""
    plan = session.get(Plan, target.plan_id)
    if plan is None:
        raise ValueError(f"target {target.id}: no plan {target.plan_id}")
    return plan


def _id_of(target: Any) -> int:
    """A stored target's id (the status is only asked of targets read from the database)."""
    if target.id is None:
        raise ValueError("a target that is not stored has no status")
    return target.id


def target_status(
    *,
    session: Session,
    target: Any,
    as_of: date,
    known_at: datetime | None,
    lang: str,
    plan: Plan | None = None,
    include_submitted: bool = False,
) -> TargetStatus:
    """Gets one target's status on a date, with what was recorded by known_at, computed (never stored;
    `target_status_json` is the route's stored form).

    `plan`: the target's plan when the caller has it already (else it is read). On a plan with
    `approval_required`, approved figures count; `include_submitted` counts submitted ones too."""
    plan = plan if plan is not None else _plan_of(session, target)
    target_id = _id_of(target)
    ev = _evaluate_target(session, target, plan, load_tree(session, plan.organization_id), as_of, known_at, include_submitted)
    assessment = queries.latest_assessments(session, queries.ASSESSMENTS_OF_TARGET, {"target_id": target_id}, known_at).get(
        target_id
    )
    return shaping.target_status(target, shaping.judged(ev), as_of=as_of, lang=lang, known_at=known_at, assessment=assessment)


class _Figures(NamedTuple):
    """One target's figures as read for a date: the stored rows, those in force, and the approval's reading."""

    rows: Sequence[Any]
    in_force: list[Observation]
    counted: list[Observation]  # the figures that count (approved ones, or submitted ones too when included)
    not_approved: list[tuple[Observation, str]]
    awaiting: frozenset[int]


def _figures_of(
    session: Session, target_id: int, plan: Plan, as_of: date, known_at: datetime | None, include_submitted: bool
) -> _Figures:
    """One target's figures, read now, for its own status or its history (one read serves both)."""
    rows = queries.figures_of_target(session, target_id, as_of)
    in_force = queries.in_force(rows, as_of, known_at)
    approval = queries.approval_of(session, plan.approval_required, [target_id], include_submitted)
    return _Figures(rows, in_force, *queries.reviewed(rows, in_force, approval, known_at))


def _evaluate_target(
    session: Session, target: Any, plan: Plan, tree: Tree, as_of: date, known_at: datetime | None, include_submitted: bool
) -> Evaluation:
    """One target judged from its figures (read now), for its own status (nothing trimmed)."""
    figures = _figures_of(session, _id_of(target), plan, as_of, known_at, include_submitted)
    return _judge_figures(target, plan, tree.units(plan.organization_id, expected_for(plan, target)), as_of, known_at, figures)


def _judge_figures(
    target: Any, plan: Plan, units: Units, as_of: date, known_at: datetime | None, figures: _Figures
) -> Evaluation:
    return evaluate(
        spec_of(target, plan),
        figures.counted,
        as_of=as_of,
        known_at=known_at,
        rules=rules_of(plan),
        units=units,
        excluded=queries.replaced(figures.rows, figures.in_force, as_of, known_at) + figures.not_approved,
        awaiting=figures.awaiting,
    )


def target_status_json(
    *,
    session: Session,
    row: Any,
    plan: Plan,
    as_of: date,
    known_at: datetime | None,
    lang: str,
    include_submitted: bool = False,
) -> bytes:
    """A target's status (TargetStatus) as JSON, from its stored evaluation when the fingerprint holds (issue 17).

    `row`: the target's queries.TARGET_STATUS row (read, with the access check, by the route), and
    `plan` its plan part (queries.plan_of_row). The same stored row and fingerprint as the plan views
    (`target_evaluation`, cache.fingerprint over the target's columns, its largest figure and review
    ids, its figures' version, the plan, the tree): a row whose fingerprint holds and that carries
    the target's own (untrimmed) judged part is sent as is, after a head read now (code, title,
    unit, category, the request's language and the latest assessment): no figures, no `evaluate`.
    Otherwise it is computed as `target_status` does and stored, both forms (the plan views'
    trimmed part and this one), in a short transaction of its own (cache.write: the plan's bound
    on stored dates applies). `known_at` reads and `include=submitted` reads on a plan that requires
    approval (a provisional picture) are computed and not stored, as for the plan views.
    The stored answer is byte for byte the computed one (tests/status/test_target_stored.py)."""
    target_id = _id_of(row)
    if known_at is not None or (include_submitted and plan.approval_required):
        status = target_status(
            session=session, target=row, plan=plan, as_of=as_of, known_at=known_at, lang=lang, include_submitted=include_submitted
        )
        return _STATUS_JSON(status)
    # The row was read before the figures and the tree (as the plan view's): a figure or an organisation
    # committed meanwhile makes the stored row stale, never the reverse. No tree is read unless it computes.
    fingerprint = _fingerprint_of_row(row, plan)
    assessment = queries.assessment_of_row(row)  # read with the row
    if row.fingerprint == fingerprint and row.target_payload is not None:
        message = row.stored_message_vi if lang == "vi" else row.stored_message_en
        return shaping.target_json(row, row.target_payload.encode(), message, as_of=as_of, lang=lang, assessment=assessment)
    ev = _evaluate_target(session, row, plan, load_tree(session, plan.organization_id), as_of, None, include_submitted=False)
    fields = shaping.judged(ev)
    status = shaping.target_status(row, fields, as_of=as_of, lang=lang, known_at=None, assessment=assessment)
    full = _JUDGED_JSON(TargetJudged.model_validate(fields))
    # A stale row of this date was read: the date is stored for the plan, no admission to decide (a look at
    # every stored row of the plan); else the bound decides, as for the plan views.
    admission = cache.Admission(plan.id, new_date=False) if row.fingerprint is not None else None
    cache.write(session.get_bind(), as_of, [(target_id, fingerprint, shaping.stored(ev)._replace(full=full))], admission)
    return _STATUS_JSON(status)


def _fingerprint_of_row(row: Any, plan: Plan) -> str:
    """cache.fingerprint of a target read with its plan and stored row (queries.TARGET_STATUS, TARGET_HISTORY)."""
    return cache.fingerprint(
        row[queries.TARGET_SPEC],
        plan,
        rules_of(plan),
        row.max_submission_id,
        row.figures_version,
        cache.units_key(row.tree_version, plan),
        max_review_id=row.max_review_id,
    )


_STATUS_JSON = TargetStatus.__pydantic_serializer__.to_json
_JUDGED_JSON = TargetJudged.__pydantic_serializer__.to_json


def _plan_judged(
    session: Session, plan: Plan, targets: Sequence[Any], as_of: date, known_at: datetime | None, include_submitted: bool
) -> dict[int, cache.Stored]:
    """target_id -> judged part, for the plan's targets: stored ones whose fingerprint still holds, the rest computed.

    The computed ones are stored (known_at None, and not a provisional reading with submitted
    figures) in their own transaction.
    """
    rules = rules_of(plan)
    units_key = cache.units_key(tree_version(session), plan)  # read before the tree (below, only if a target is stale)
    judged: dict[int, cache.Stored] = {}
    prints: dict[int, str] = {}
    include_submitted = include_submitted and plan.approval_required  # without the setting, nothing is submitted
    cached = known_at is None and not include_submitted
    if cached:
        stored = cache.read(session, plan, as_of)
        for t in targets:
            prints[t.id] = cache.fingerprint(
                t, plan, rules, t.max_submission_id, t.figures_version, units_key, max_review_id=t.max_review_id
            )
            got = stored.get(t.id)
            if got is not None and got[0] == prints[t.id]:
                judged[t.id] = got[1]
    stale = {t.id: t for t in targets if t.id not in judged}
    if not stale:
        return judged
    specs = {tid: spec_of(t, plan) for tid, t in stale.items()}
    tree = load_tree(session, plan.organization_id)
    units = {tid: tree.units(plan.organization_id, expected_for(plan, t)) for tid, t in stale.items()}
    computed: dict[int, cache.Stored] = {}
    approval = queries.approval_of(session, plan.approval_required, list(stale), include_submitted)
    for target_id, figures, set_aside, awaiting in queries.stream(session, list(stale), as_of, known_at, approval):
        computed[target_id] = shaping.stored(
            evaluate(
                specs[target_id],
                figures,
                as_of=as_of,
                known_at=known_at,
                rules=rules,
                units=units[target_id],
                excluded=set_aside,
                awaiting=awaiting,
            )
        )
    for target_id in stale.keys() - computed.keys():  # no figure at all
        computed[target_id] = shaping.stored(
            evaluate(specs[target_id], [], as_of=as_of, known_at=known_at, rules=rules, units=units[target_id])
        )
    if cached:
        cache.write(session.get_bind(), as_of, [(tid, prints[tid], st) for tid, st in computed.items()])
    judged.update(computed)
    return judged


def _plan_targets_judged(
    session: Session, plan: Plan, as_of: date, known_at: datetime | None, include_submitted: bool = False
) -> tuple[list, dict]:
    """The plan's live targets (rows of queries.PLAN_TARGETS) and each one's judged part."""
    targets = list(session.execute(queries.PLAN_TARGETS, {"plan_id": plan.id}).all())
    return targets, _plan_judged(session, plan, targets, as_of, known_at, include_submitted)


def judge_plan(engine, plan_id: int, as_of: date) -> None:
    """Judges and stores every target of a plan whose stored evaluation on `as_of` is stale (issue 17).

    Run in an import's wake (after its commit: app/exchange/import_router.py, the CLI's import), so
    the next plan-status request reads stored evaluations instead of judging every target the import
    touched. Stateless: the results go to the stored evaluations table, which any worker reads, and
    a failure only leaves the next read to judge (logged, never raised)."""
    try:
        with Session(engine) as session:
            plan = session.get(Plan, plan_id)
            if plan is not None:
                started = time.perf_counter()
                _plan_targets_judged(session, plan, as_of, None)
                log.info("plan %s judged on %s after an import in %.2f s", plan_id, as_of, time.perf_counter() - started)
    except Exception:  # the next read judges what is missing
        log.warning("could not judge plan %s after an import", plan_id, exc_info=True)


def plan_status_json(
    *, session: Session, plan: Plan, as_of: date, known_at: datetime | None, lang: str, include_submitted: bool = False
) -> bytes:
    """The plan's status (PlanStatus) as JSON: every target, counts and headline, and the same per category.

    Written out piece by piece (shaping.plan_json): a warm read parses and validates nothing per target.
    On a plan with `approval_required` approved figures count; `include_submitted`: submitted ones too.
    """
    targets, judged = _plan_targets_judged(session, plan, as_of, known_at, include_submitted)
    assessments = queries.latest_assessments(session, queries.ASSESSMENTS_OF_PLAN, {"plan_id": plan.id}, known_at)
    phase = phase_on(plan.end_date, as_of)
    summary = summarize((judged[t.id] for t in targets), as_of=as_of, phase=phase)
    by_category = summarize_by(((t.category, judged[t.id]) for t in targets), as_of=as_of, phase=phase)
    envelope = PlanStatus(
        plan_id=plan.id,
        code=plan.code,
        title=plan.title,
        as_of=as_of,
        known_at=known_at,
        phase=phase,
        total=summary.total,
        counts=summary.counts,
        lang=lang,
        headline=summary.headline_vi if lang == "vi" else summary.headline_en,
        headline_vi=summary.headline_vi,
        headline_en=summary.headline_en,
        by_category=[shaping.group(key, s, lang) for key, s in by_category.items()],
        targets=[],
    )
    return shaping.plan_json(envelope, targets, judged, assessments, as_of=as_of, known_at=known_at, lang=lang)


def plan_groups(*, session: Session, plan: Plan, as_of: date, known_at: datetime | None, lang: str) -> list[GroupStatus]:
    """The plan's counts and headline per category only (what a chart draws): the targets' stored
    judged parts are read as for the plan status, but no target's answer is written out."""
    targets, judged = _plan_targets_judged(session, plan, as_of, known_at)
    by_category = summarize_by(((t.category, judged[t.id]) for t in targets), as_of=as_of, phase=phase_on(plan.end_date, as_of))
    return [shaping.group(key, s, lang) for key, s in by_category.items()]


def plan_status(*, session: Session, plan: Plan, as_of: date, known_at: datetime | None, lang: str) -> PlanStatus:
    """The plan's status as a model (for the export), read from plan_status_json: one way to build it."""
    return PlanStatus.model_validate_json(plan_status_json(session=session, plan=plan, as_of=as_of, known_at=known_at, lang=lang))


# The by-organisation view's one sort key: organisations by code (`-code`: reversed). Read by the route's
# list dependency (app.deps.listing), which documents it; the order itself is made here.
BY_ORG_SORTS: Sorts = {"code": ()}


class _Piece(NamedTuple):
    """One target judged from one organisation down, already written out (shaping.organization_target) to
    the view's spool at `at` (`size` bytes), with what the organisation's summary counts."""

    position: int  # the target's place in the plan
    at: int
    size: int
    status: Status
    provisional: bool


_STATUSES = list(Status)


def _pack(size: int, status: Status, provisional: bool) -> int:
    return size << 8 | _STATUSES.index(status) << 1 | provisional


def _unpack(position: int, at: int, packed: int) -> _Piece:
    return _Piece(position, at, packed >> 8, _STATUSES[(packed >> 1) & 0x7F], bool(packed & 1))


# The written-out pieces of a view being computed stay in memory up to this size, then go to a temporary
# file (issue 17: at national scale they are 50 MB, 10,009 organisations x 16 targets; held, they took the
# worker past its memory bound; in memory, the buffer doubles as it grows, so the bound is kept small).
# A small plan's view (a few organisations) never touches the disk.
SPOOL_IN_MEMORY = 1024 * 1024


def plan_status_by_organization_json(
    *,
    session: Session,
    plan: Plan,
    as_of: date,
    known_at: datetime | None,
    lang: str,
    include_submitted: bool = False,
    listing: Listing | None = None,
) -> tuple[bytes, int]:
    """One page of the plan's status by organisation as JSON, and how many organisations there are.

    The whole view is stored per (plan, as_of, lang) with a fingerprint of all it depends on
    (cache.by_organization_fingerprint), one line per organisation (`_by_organization_lines`): a read
    whose fingerprint holds cuts its page from the stored lines without judging anything (issue 17:
    5 to 7 s at 1M figures otherwise). `known_at` reads and `include_submitted` reads (approval's
    provisional picture) are always computed, never stored, as for the stored target evaluations."""
    page = listing or Listing()
    if known_at is not None or include_submitted:
        return _page(_by_organization_lines(session, plan, as_of, known_at, lang, include_submitted), page)
    plan_id = stored_id(plan)
    # Read before the figures (as the plan view): a figure committed meanwhile makes the stored row stale, never the reverse.
    # The tree's version before the tree (read by `_by_organization_lines`, only when it computes).
    version = tree_version(session)
    targets = list(session.execute(queries.PLAN_TARGETS, {"plan_id": plan.id}).all())
    fingerprint = cache.by_organization_fingerprint(plan, rules_of(plan), targets, version)
    lines = cache.read_by_organization(session, plan_id, as_of, lang, fingerprint)
    if lines is not None:
        return _page(lines, page)
    # Computed line by line into the stored form (compressed: a tenth of the view), then the page is cut
    # from it as from a stored read: the whole view is never held (issue 17, the worker's memory bound).
    stored = cache.compress_lines(_by_organization_lines(session, plan, as_of, None, lang, False))
    memory.give_back()  # what the computation freed goes back to the system, not to this thread's arena
    cache.write_by_organization(session.get_bind(), plan_id, as_of, lang, fingerprint, stored)
    return _page(cache.stored_lines(stored), page)


def plan_status_by_organization(
    *,
    session: Session,
    plan: Plan,
    as_of: date,
    known_at: datetime | None,
    lang: str,
    include_submitted: bool = False,
    listing: Listing | None = None,
) -> PlanStatusByOrganization:
    """The page as a model (tests, and any caller that wants one), computed: never read from or written to the store."""
    lines = _by_organization_lines(session, plan, as_of, known_at, lang, include_submitted)
    return PlanStatusByOrganization.model_validate_json(_page(lines, listing or Listing())[0])


def _page(lines: Iterator[bytes], listing: Listing) -> tuple[bytes, int]:
    """PlanStatusByOrganization's JSON for one page of organisations, and how many there are, from the
    view's lines (`_by_organization_lines`, or the stored form read line by line: cache.read_by_organization).
    The envelope (the first line) is read and written again with the page's limit and offset; it holds
    `total`, so the page's lines are known before they come, are kept as they pass, and the rest is not
    read (issue 17: at national scale the whole view is 50 MB; joined, or decompressed whole, it cost the
    worker its memory bound)."""
    head = PlanStatusByOrganization.model_validate_json(next(lines))
    total = head.total
    envelope = _BY_ORG_JSON(head.model_copy(update={"limit": listing.limit, "offset": listing.offset}))
    assert envelope.endswith(b"[]}"), "organizations must stay PlanStatusByOrganization's last field"
    # the page's lines, counted from 0 in stored order (by code); `-code` reads the same lines from the end
    if listing.sort == "-code":
        first, stop = max(total - listing.offset - listing.limit, 0), max(total - listing.offset, 0)
    else:
        first, stop = min(listing.offset, total), min(listing.offset + listing.limit, total)
    kept = []
    for n, line in enumerate(lines):
        if n >= stop:
            break
        if n >= first:
            kept.append(line)
    if listing.sort == "-code":
        kept.reverse()
    return b"".join([envelope[:-2], b",".join(kept), b"]}"]), total


_BY_ORG_JSON = PlanStatusByOrganization.__pydantic_serializer__.to_json
_O = table_of(Organization)
_NAMES = select(_O.c.id, _O.c.code, _O.c.name).where(_O.c.id.in_(bindparam("ids", expanding=True)))
_ORG_JSON = OrganizationStatus.__pydantic_serializer__.to_json


def _by_organization_lines(
    session: Session, plan: Plan, as_of: date, known_at: datetime | None, lang: str, include_submitted: bool
) -> Iterator[bytes]:
    """The whole view, as stored: the envelope (PlanStatusByOrganization's JSON with `total` and no
    organisations), then one line per organisation that reported (OrganizationStatus's JSON), by code.

    Judges, for each organisation that reported, its part of the plan: target by target (those it or its
    units reported on), with the target's own rules from that organisation down, so a ward's status here and
    its line in the city's breakdown agree. Each evaluation is written out (shaping.organization_target) as
    soon as it is made and dropped: only one target's figures and evaluations are held at a time, not every
    organisation's evaluations with their lists (issue 17: 930 MB at 1M figures). The written-out pieces go
    to a spool (SPOOL_IN_MEMORY, then a temporary file) and the lines are made from it one at a time, as
    they are consumed (a generator: everything is judged before the first line, the envelope, comes)."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        yield from _by_organization_spooled(session, plan, as_of, known_at, lang, include_submitted, spool)


def _by_organization_spooled(
    session: Session, plan: Plan, as_of: date, known_at: datetime | None, lang: str, include_submitted: bool, spool: IO[bytes]
) -> Iterator[bytes]:
    # Rows of PLAN_TARGETS, read by column name; spec_of takes them as it takes a Target (app/targets/spec.py).
    targets: dict[int, Any] = {t.id: t for t in session.execute(queries.PLAN_TARGETS, {"plan_id": plan.id}).all()}
    position = {target_id: i for i, target_id in enumerate(targets)}  # the plan's order
    rules = rules_of(plan)
    phase = phase_on(plan.end_date, as_of)
    tree = load_tree(session, plan.organization_id)
    plan_units = tree.units(plan.organization_id)
    # org -> its pieces, three numbers each (position, at, _pack(size, status, provisional)) in an array: 24 bytes
    # a piece, not a tuple of objects (about 150): 107,000 pieces at national scale
    per_org: dict[int, array[int]] = defaultdict(lambda: array("q"))
    written = 0  # the spool's length
    approval = queries.approval_of(session, plan.approval_required, list(targets), include_submitted)
    for target_id, figures, set_aside, awaiting in queries.stream(session, list(targets), as_of, known_at, approval):
        target = targets[target_id]
        spec = spec_of(target, plan)
        above = {
            org: plan_units.ancestors(org)
            for org in {o.organization_id for o in figures}.union(o.organization_id for o, _ in set_aside)
        }
        # Each organisation's figures from it down, in the figures' order: one pass over the figures, each
        # handed to its organisation and every one above it (a filter of all the figures per organisation
        # was figures x organisations: 10,000 x 6,700 per target at national scale, issue 17). The keys are
        # every organisation that reported and every one above it (its view rolls its units up).
        mine: dict[int, list[Observation]] = defaultdict(list)
        for o in figures:
            mine[o.organization_id].append(o)
            for org in above[o.organization_id]:
                mine[org].append(o)
        # the figures set aside (replaced versions, not approved) from each organisation down: counted by reason
        excluded: dict[int, list[tuple[Observation, str]]] = defaultdict(list)
        for o, why in set_aside:
            excluded[o.organization_id].append((o, why))
            for org in above[o.organization_id]:
                excluded[org].append((o, why))
        for org_id, own in mine.items():
            ev = evaluate(
                spec,
                own,
                as_of=as_of,
                known_at=known_at,
                rules=rules,
                units=tree.units(org_id),
                excluded=excluded.get(org_id, []),
                awaiting=awaiting,
            )
            if ev.observation_ids:  # reported something that counts by as_of / known_at
                body = shaping.organization_target(target, ev)
                per_org[org_id].extend((position[target_id], written, _pack(len(body), ev.status, ev.provisional)))
                spool.write(body)
                written += len(body)
    # (id, code, name) rows, not entities: 10,009 of them at national scale
    orgs = {o.id: o for o in session.execute(_NAMES, {"ids": list(per_org)})}
    envelope = PlanStatusByOrganization(
        plan_id=stored_id(plan),
        as_of=as_of,
        known_at=known_at,
        phase=phase,
        lang=shaping.as_lang(lang),
        total=len(per_org),
        limit=0,
        offset=0,
        organizations=[],
    )
    yield _BY_ORG_JSON(envelope)

    def read(piece: _Piece) -> bytes:
        spool.seek(piece.at)
        return spool.read(piece.size)

    for org_id in sorted(per_org, key=lambda i: orgs[i].code):
        packed = per_org.pop(org_id)
        pieces = sorted((_unpack(*packed[k : k + 3]) for k in range(0, len(packed), 3)), key=lambda p: p.position)
        summary = summarize(pieces, as_of=as_of, phase=phase)
        head = _ORG_JSON(
            OrganizationStatus(
                organization_id=org_id,
                code=orgs[org_id].code,
                name=orgs[org_id].name,
                summary=shaping.group(orgs[org_id].code, summary, lang),
                targets=[],
            )
        )
        yield head[:-3] + b"[" + b",".join(read(p) for p in pieces) + b"]}"


def target_history_json(*, session: Session, target: Target, as_of: date, known_at: datetime | None) -> bytes:
    """A target's history (TargetHistory) as JSON, from its stored row when the fingerprint holds (issue 17).

    The row and fingerprint of the target's evaluation on `as_of` (`target_evaluation`, as for
    `target_status_json`; the history depends on nothing else: no language, no assessment), read
    before the figures. A row whose fingerprint holds and that carries the history sends it as is.
    Otherwise the history is computed and stored: into that row when its fingerprint holds (it
    lacked only the history), else as a new row with the target's evaluation computed from the same
    read of the figures (cache.write: the plan's bound on stored dates applies). `known_at` reads are
    computed and not stored. The stored answer is byte for byte the computed one
    (tests/status/test_history_stored.py)."""
    if known_at is not None:
        return _HISTORY_JSON(target_history(session=session, target=target, as_of=as_of, known_at=known_at))
    target_id = _id_of(target)
    row = session.execute(queries.TARGET_HISTORY, {"target_id": target_id, "as_of": as_of}).one()
    plan = queries.plan_of_row(row)
    fingerprint = _fingerprint_of_row(row, plan)
    if row.fingerprint == fingerprint and (stored := cache.history_of(row.history_payload)) is not None:
        return stored
    units = load_tree(session, plan.organization_id).units(plan.organization_id, expected_for(plan, row))
    figures = _figures_of(session, target_id, plan, as_of, None, include_submitted=False)
    body = _HISTORY_JSON(_history_of(row, plan, units, as_of, None, figures))
    # Every read is done: the session's connection goes back to the pool before the write takes one of its own
    # (the route runs in the default thread pool, unbounded by the hot routes' limiter: holding two connections
    # per request, concurrent reads could exhaust the pool).
    session.rollback()
    if row.fingerprint == fingerprint:  # the row holds, without the history: it gains it
        cache.write_history(session.get_bind(), target_id, as_of, fingerprint, body)
        return body
    try:  # the row with the target's evaluation, judged from the same figures; storing must never fail the read
        ev = _judge_figures(row, plan, units, as_of, None, figures)
        stored_row = shaping.stored(ev)._replace(full=_JUDGED_JSON(TargetJudged.model_validate(shaping.judged(ev))), history=body)
    except Exception:
        log.warning("could not judge target %d for its stored history", target_id, exc_info=True)
        return body
    admission = cache.Admission(plan.id, new_date=False) if row.fingerprint is not None else None
    cache.write(session.get_bind(), as_of, [(target_id, fingerprint, stored_row)], admission)
    return body


def target_history(*, session: Session, target: Target, as_of: date, known_at: datetime | None) -> TargetHistory:
    """The status at each figure's date, and the expected path month by month (computed, never stored;
    `target_history_json` is the route's stored form)."""
    plan = _plan_of(session, target)
    units = load_tree(session, plan.organization_id).units(plan.organization_id, expected_for(plan, target))
    # the approved figures' history
    figures = _figures_of(session, _id_of(target), plan, as_of, known_at, include_submitted=False)
    return _history_of(target, plan, units, as_of, known_at, figures)


def _history_of(
    target: Any, plan: Plan, units: Units, as_of: date, known_at: datetime | None, figures: _Figures
) -> TargetHistory:
    spec = spec_of(target, plan)
    evaluations = history(spec, figures.counted, as_of=as_of, known_at=known_at, rules=rules_of(plan), units=units)
    goal = goal_of(spec)
    path: list[PathPoint] = []
    if goal is not None:
        for day in _month_ends(spec.period_start, spec.period_end):
            share = pace.expected_share(spec.period_start, spec.period_end, day, spec.checkpoints)
            path.append(
                PathPoint(
                    date=day,
                    expected=pace.expected_at(goal=goal, share=share, is_flow=spec.is_flow, baseline=spec.baseline_value),
                )
            )
    points = [  # engine values, typed as the model types them: no validation per point (one per figure date)
        HistoryPoint.model_construct(
            date=ev.as_of,
            measured=ev.measured,
            status=ev.status,
            expected=ev.expected,
            pace=ev.pace,
            submission_ids=list(ev.observation_ids),
        )
        for ev in evaluations
    ]
    return TargetHistory(
        target_id=_id_of(target), unit=target.unit, goal=goal, as_of=as_of, known_at=known_at, points=points, expected_path=path
    )


_HISTORY_JSON = TargetHistory.__pydantic_serializer__.to_json


def _month_ends(start: date, end: date) -> list[date]:
    """Every month end within the period, and the period end."""
    days, current = [], start
    while current <= end:
        nxt = (current.replace(day=1) + timedelta(days=32)).replace(day=1)
        days.append(min(nxt - timedelta(days=1), end))
        current = nxt
    return days
