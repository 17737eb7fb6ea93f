"""Stored per-target evaluations: a disposable, self-validating cache of the plan status.

Why: a plan's status over a million figures cannot be computed per request in time
(docs/PERFORMANCE.md section 3), so each target's evaluation for an `as_of` is kept in
`target_evaluation`, with a fingerprint of everything it depends on. A read recomputes only
the targets whose stored fingerprint differs from the one read now; nothing is invalidated on
write and nothing lives in the process, so every worker agrees and any row may be deleted at
any time (`DELETE FROM target_evaluation` is always safe: the next read rebuilds it).

Only the plain status (no `known_at`) is cached; a `known_at` read takes the full path.

A target's own status (`GET /targets/{id}/status`, issue 17) reads the same rows under the same
fingerprint (service.target_status_json): `payload` is the plan views' trimmed judged part,
`target_payload` the target's own, untrimmed one, written only when that route computes (the
plan views write NULL there: at a million figures it is large, and they do not send it).

A target's history (`GET /targets/{id}/history`) is kept in the same row too (`history_payload`,
service.target_history_json): it depends on nothing but what the fingerprint covers and `as_of`.
Parts one view writes and another leaves NULL (`target_payload`, `history_payload`) survive a refresh
of the row under the same fingerprint and are dropped by one under a new fingerprint (`_upsert`).

The fingerprint (`fingerprint`) covers:
- ENGINE_VERSION: bump it whenever the engine, wording or the payload's shape change output;
- the target's definition and the plan's period and judging settings: a hash of the target's
  columns that `spec_of` reads (and its code and category), the plan's dates and `rules_of`;
- the organisation tree (ids, parents, codes, names, who is a reporting unit), through its version
  (`organization_tree.version`, moved by triggers on every change of an organisation: app/organizations/
  models.py OrganizationTreeVersion), and the plan's list of reporting units (`units_key`): moving a
  ward or changing who reports changes every target's roll-up and coverage. The version is global: a
  change anywhere makes every stored answer stale (organisations change rarely); reading it is one
  row, where a digest of the tree read and hashed all of it on every request (issue 17: about 300 ms
  for a target's status at national scale, 10,009 organisations);
- the target's largest submission id. Figures are append-only (corrections and retractions
  are new rows; on PostgreSQL a trigger enforces it), so the figures in force can only change
  when a row is added, and then the largest id changes;
- approval (issue 14): the plan's `approval_required` and the target's largest
  `submission_review` id. An approval or a return changes what counts without a new figure,
  but it is a new (append-only) review row, so that id changes; on PostgreSQL the same trigger
  function counts review rows into `target_figures.version` (migration 0007_approval).
  `?include=submitted` reads (a provisional picture) are not stored, like `known_at` reads.
Assessments, the language and the answer's target fields (code, title, unit, category) are
read at every request, not stored (title and unit also shape the messages, hence the hash).
The engine is pure: `as_of` (the key) is its only other input.

The fingerprint is read before the figures (two statements): a figure committed in between is
evaluated but not fingerprinted, so the stored row looks stale at the next read and is
recomputed, never the reverse.

PostgreSQL also needs `target_figures.version`: ids come from a sequence, and transactions may
commit out of id order. Had a figure with id N committed after one with id N+1 for the same
target, a read between the two commits would store max id N+1, and N's arrival would not
change it. So on PostgreSQL a statement-level trigger (migration 0004) adds the number of
inserted rows to the target's `version` in the inserting transaction itself: the row lock
serialises those transactions, each commit moves the version, and the fingerprint reads it.
SQLite has one writer at a time, so its ids commit in order; the table stays empty there.
Since the version moves with every figure and review inserted (migration 0007 counts reviews
too), the PostgreSQL fingerprint reads the version alone: its largest ids are read as NULL
(queries._WithoutVersion; two index probes per target less on a plan status, issue 17).
So `target_figures` is not disposable on PostgreSQL (deleting its rows would restart counts that
stored fingerprints hold), and whatever lifts its trigger must empty the stored answers
(app/maintenance.py does).

Bounded, whatever readers send (issue 12, item 2). Any of 73,000 dates is a valid `as_of`, and
anonymous reads may send a new one each time; storing them all grew the table without end and
turned every such read into a write that queued with the figures' writes. So:

- at most MAX_DATES_PER_PLAN dates are stored per plan. A read that computed a date the plan
  does not have stored is admitted only when the plan has room, or when its least recently
  computed date was last computed more than ADMIT_EVERY ago: that date is then evicted (its rows
  deleted) and the new one stored. Otherwise nothing is written: the answer is still computed
  and sent, it just is not kept. A flood of new dates thus writes at most MAX_DATES_PER_PLAN
  dates per ADMIT_EVERY per plan, and the rows stay under MAX_DATES_PER_PLAN x targets: the
  admitting transaction reads the plan's dates again and deletes those beyond the bound (on
  PostgreSQL two admissions committing at the same moment may each miss the other's date: one
  date too many until the next admission);
- the decision reads two small things (the plan's stored dates) on a connection of its own,
  before any write transaction is opened;
- the write itself does not wait for the disk (app/db.py not_flushed): the rows are disposable.
Refreshing a date already stored (its fingerprints changed) is always written: that is bounded
by the figures written, not by the readers.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Text,
    bindparam,
    case,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, Session, SQLModel

from app.common.models import as_utc, table_of, utcnow
from app.db import not_flushed, wait_briefly
from app.engine import Status
from app.plans.models import Plan
from app.targets.models import Target

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

log = logging.getLogger(__name__)

# Bump whenever app/engine/ (engine, combine, judging, pace, wording, explain) or the payload below change what a
# stored evaluation would say: every stored row then fails its fingerprint and is recomputed.
ENGINE_VERSION = "4"  # 4: English counts in the singular for one ("1 target", issue 16)

# The bound on stored evaluations (see the module docstring): dates kept per plan, and how long a
# stored date is safe from eviction by a date read for the first time.
MAX_DATES_PER_PLAN = 4
ADMIT_EVERY = timedelta(seconds=60)


class TargetEvaluation(SQLModel, table=True):
    """One target's evaluation on one date (no known_at), with what it was computed from."""

    __tablename__ = "target_evaluation"

    target_id: int = Field(
        sa_column=Column(Integer, ForeignKey("target.id", ondelete="CASCADE"), primary_key=True, nullable=False)
    )
    as_of: date = Field(primary_key=True)
    fingerprint: str = Field(max_length=200)
    # Read without parsing the payload: the counts per status, and `message` in either language.
    status: str = Field(max_length=32)
    provisional: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    message_vi: str = Field(sa_type=Text)
    message_en: str = Field(sa_type=Text)
    # The target's TargetJudged part (app/status/models.py) as pydantic writes it: written out as is.
    payload: str = Field(sa_type=Text)
    # The target's own status's judged part (TargetJudged, untrimmed: every figure id, the full explanation),
    # written by `GET /targets/{id}/status` when it computes (the plan views leave it NULL: they do not need it,
    # and at a million figures it is large). Same row, same fingerprint: the two views agree by construction.
    target_payload: str | None = Field(default=None, sa_type=Text, nullable=True)
    # The target's history (`GET /targets/{id}/history`, TargetHistory's JSON, zlib-compressed: a point per
    # figure date), written by that route when it computes. Same row, same fingerprint, as target_payload.
    history_payload: bytes | None = Field(default=None, sa_type=LargeBinary, nullable=True)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class TargetFigures(SQLModel, table=True):
    """PostgreSQL: how many figures (any version) each target has had inserted, kept by a trigger
    in the inserting transaction (migration 0004); part of the fingerprint. Empty on SQLite."""

    __tablename__ = "target_figures"

    target_id: int = Field(
        sa_column=Column(Integer, ForeignKey("target.id", ondelete="CASCADE"), primary_key=True, nullable=False)
    )
    version: int = Field(sa_type=BigInteger, nullable=False)


TABLE = table_of(TargetEvaluation)
_T = table_of(Target)

# The stored rows of a plan's (live) targets for one date: joined, so no list of ids is sent.
READ = (
    select(
        TABLE.c.target_id,
        TABLE.c.fingerprint,
        TABLE.c.status,
        TABLE.c.message_vi,
        TABLE.c.message_en,
        TABLE.c.payload,
        TABLE.c.provisional,
    )
    .join(_T, _T.c.id == TABLE.c.target_id)
    .where(_T.c.plan_id == bindparam("plan_id"), _T.c.archived_at.is_(None), TABLE.c.as_of == bindparam("as_of"))
)


class Stored(NamedTuple):
    """One target's judged part: what is stored, or what was just computed."""

    status: Status
    message_vi: str
    message_en: str
    payload: bytes  # a JSON object: TargetJudged as pydantic writes it
    provisional: bool = False  # a verdict while some expected units have not reported
    full: bytes | None = None  # the target's own status's judged part (untrimmed), when the target's route computed it
    history: bytes | None = None  # the target's history (TargetHistory's JSON), when the history route computed it


def fingerprint(
    target,
    plan: Plan,
    rules,
    max_submission_id: int | None,
    figures_version: int | None,
    units_key: str = "",
    max_review_id: int | None = None,
) -> str:
    """What a stored evaluation depends on besides as_of (see the module docstring).

    `target` is a row of the target's columns that spec_of reads (queries.PLAN_TARGETS,
    without its last three columns, the max ids and the figures' version): hashing the stored
    values is cheaper than building the spec, and any change of them changes the hash.
    `max_review_id`: the target's largest approval or return (`submission_review`), which
    changes what counts without a new figure; the plan's `approval_required` is hashed too.
    """
    digest = _digest((tuple(target)[:-3], plan.start_date, plan.end_date, rules, units_key, plan.approval_required))
    return f"{ENGINE_VERSION}:{max_submission_id or 0}:{max_review_id or 0}:{figures_version or 0}:{digest}"


# The last definition digested per target id, with its digest (a pure function of the definition: nothing that
# workers must agree on). A plan status hashes every target's definition on every read and they rarely change
# (issue 17: the repr and the hash were a sixth of a warm read of 1,000 targets); comparing the definition with
# the one kept is cheaper. One entry per target (the tree's version, part of the definition, moves on every
# organisation's change: kept per definition, the entries would pile up), emptied when there are too many.
_DIGESTS: dict[object, tuple[tuple, str]] = {}
_DIGESTS_KEPT = 20_000


def _digest(definition: tuple) -> str:
    target_id = definition[0][0]
    kept = _DIGESTS.get(target_id)
    if kept is not None and kept[0] == definition:
        return kept[1]
    digest = hashlib.blake2b(repr(definition).encode(), digest_size=16).hexdigest()
    if len(_DIGESTS) >= _DIGESTS_KEPT:
        _DIGESTS.clear()
    _DIGESTS[target_id] = (definition, digest)
    return digest


def units_key(tree_version: int | None, plan: Plan) -> str:
    """Who reports, in the fingerprint: the organisation tree's version (read before the tree, if the tree is
    read at all: organizations.service.tree_version, or queries.TARGET_STATUS's `tree_version`), the plan's
    organisation and its list of reporting units. One definition for the plan views and a target's own status."""
    return f"tree {tree_version}:{plan.organization_id}:{plan.reporting_unit_ids}"


_STATUS_OF = {status.value: status for status in Status}  # a dict lookup: Status(value) per target cost more


def read(session: Session, plan: Plan, as_of: date) -> dict[int, tuple[str, Stored]]:
    """target_id -> (fingerprint, stored judged part) of the plan's live targets on as_of."""
    return {
        row[0]: (row[1], Stored(_STATUS_OF[row[2]], row[3], row[4], row[5].encode(), bool(row[6])))
        for row in session.execute(READ, {"plan_id": plan.id, "as_of": as_of}).all()  # one fetch, not one per row
    }


def write(
    bind: Engine | Connection, as_of: date, rows: list[tuple[int, str, Stored]], admission: Admission | None = None
) -> None:
    """Upserts (target_id, fingerprint, judged part) rows in a short transaction of its own, when
    the bound admits the date (`admitted`; see the module docstring). `admission`: given by a caller that
    knows the date is stored for the plan already (it read a row of it), which skips that look.

    Two workers may store the same target at once: the last one wins, and both computed the
    same thing from the same fingerprint. A failure is logged, never raised: the answer the
    caller gets is already computed, and the next read simply computes again.
    """
    if not rows:
        return
    try:
        if not isinstance(bind, Engine):  # sessions are made on the engine (app/deps.py); the write needs its own connection
            raise TypeError(f"the stored evaluations are written on an engine, not on {type(bind).__name__}")
        now = utcnow()
        if admission is None:  # a caller that read a stored row of the date already knows (a target's own status)
            admission = admitted(bind, as_of, rows[0][0], now)
            if admission is None:
                return
        values = [
            {
                "target_id": tid,
                "as_of": as_of,
                "fingerprint": fp,
                "status": st.status.value,
                "provisional": st.provisional,
                "message_vi": st.message_vi,
                "message_en": st.message_en,
                "payload": st.payload.decode(),
                "target_payload": st.full.decode() if st.full is not None else None,
                "history_payload": stored_history(st.history),
                "computed_at": now,
            }
            for tid, fp, st in sorted(rows, key=lambda r: r[0])  # one order everywhere: no deadlock between writers
        ]
        _upsert(bind, values, admission, as_of)
    except Exception:  # a cache write must never fail the read
        log.warning("could not store %d target evaluations for %s", len(rows), as_of, exc_info=True)


# A fresh row (its fingerprint holds) gains the target's history: nothing else of it changes.
_HISTORY_OF_FRESH_ROW = (
    update(TABLE)
    .where(TABLE.c.target_id == bindparam("t"), TABLE.c.as_of == bindparam("d"), TABLE.c.fingerprint == bindparam("f"))
    .values(history_payload=bindparam("h"))
)


def write_history(bind: Engine | Connection, target_id: int, as_of: date, fingerprint: str, history: bytes) -> None:
    """Adds a target's history (TargetHistory's JSON) to its stored row of `as_of`, if that row still has
    `fingerprint` (else nothing: it was refreshed meanwhile, and the history may not belong to it). No new
    row, so no new date: the plan's bound is not touched. A failure is logged, never raised (as `write`)."""
    try:
        if not isinstance(bind, Engine):  # as in `write`: its own connection, made on the engine
            raise TypeError(f"a stored history is written on an engine, not on {type(bind).__name__}")
        packed = stored_history(history)
        if packed is None:
            return
        with not_flushed(bind, disposable=True) as conn:
            conn.execute(_HISTORY_OF_FRESH_ROW, {"t": target_id, "d": as_of, "f": fingerprint, "h": packed})
    except Exception:  # a cache write must never fail the read
        log.warning("could not store the history of target %d for %s", target_id, as_of, exc_info=True)


# `history_payload`: a format byte, then TargetHistory's JSON compressed. The byte changes whenever the history's
# shape does (app/status/models.py TargetHistory, service._history_of): a row of another format is computed again.
HISTORY_FORMAT = b"\x01"
# A history is stored only when it compresses to at most this: a sum's points list every figure so far, so its
# history grows with the square of the figures (1.5 MB compressed at 10,000 figures); the rows are bounded in
# number by the plan's dates (above), and in size by this. Larger histories are computed at each read.
MAX_STORED_HISTORY = 512 * 1024


def stored_history(history: bytes | None) -> bytes | None:
    """`history_payload` for a history's JSON (None: not stored, too large)."""
    if history is None:
        return None
    packed = HISTORY_FORMAT + zlib.compress(history, 1)
    return packed if len(packed) <= MAX_STORED_HISTORY else None


def history_of(stored: bytes | None) -> bytes | None:
    """The history's JSON from `history_payload` (None: none stored, another format, or unreadable: computed again)."""
    if stored is None or stored[:1] != HISTORY_FORMAT:
        return None
    try:
        return zlib.decompress(stored[1:])
    except zlib.error:
        log.warning("an unreadable stored history: computed again")
        return None


_PLAN_OF_TARGET = select(_T.c.plan_id).where(_T.c.id == bindparam("target_id"))
# The plan's stored dates, each with when it was last computed (every target of the plan, archived too).
_DATES_OF_PLAN = (
    select(TABLE.c.as_of, func.max(TABLE.c.computed_at))
    .join(_T, _T.c.id == TABLE.c.target_id)
    .where(_T.c.plan_id == bindparam("plan_id"))
    .group_by(TABLE.c.as_of)
)
_EVICT = delete(TABLE).where(
    TABLE.c.as_of.in_(bindparam("dates", expanding=True)),
    TABLE.c.target_id.in_(select(_T.c.id).where(_T.c.plan_id == bindparam("plan_id")).scalar_subquery()),
)


class Admission(NamedTuple):
    plan_id: int | None
    new_date: bool  # True: the date is not stored for the plan yet (older dates may have to go)


def admitted(bind: Engine, as_of: date, target_id: int, now: datetime) -> Admission | None:
    """Whether `as_of` may be stored for the plan of `target_id`.

    None: not admitted (the plan holds MAX_DATES_PER_PLAN other dates, all computed within
    ADMIT_EVERY); nothing is written. A read-only look, on a connection of its own.
    """
    with bind.connect() as conn:
        wait_briefly(conn)  # as the write it decides on (app/db.py DISPOSABLE_LOCK_TIMEOUT)
        plan_id = conn.execute(_PLAN_OF_TARGET, {"target_id": target_id}).scalar()
        if plan_id is None:
            return Admission(None, False)
        stored = {day: as_utc(last) for day, last in conn.execute(_DATES_OF_PLAN, {"plan_id": plan_id})}
        conn.rollback()
    if as_of in stored:
        return Admission(plan_id, False)
    if len(stored) >= MAX_DATES_PER_PLAN and now - min(stored.values()) < ADMIT_EVERY:
        return None
    return Admission(plan_id, True)


def _trim(conn, plan_id: int, as_of: date) -> None:
    """In the admitting transaction: the plan's dates beyond MAX_DATES_PER_PLAN go, least recently computed
    first (the new date stays). Read again here, so two admissions at once do not leave one date too many."""
    stored = conn.execute(_DATES_OF_PLAN, {"plan_id": plan_id}).all()
    others = sorted((row for row in stored if row[0] != as_of), key=lambda row: as_utc(row[1]), reverse=True)
    extra = [day for day, _ in others[MAX_DATES_PER_PLAN - 1 :]]
    if extra:
        conn.execute(_EVICT, {"dates": extra, "plan_id": plan_id})


def _upsert(bind: Engine, values: list[dict], admission: Admission | None = None, as_of: date | None = None) -> None:
    stmt: PostgresInsert | SqliteInsert
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgres_insert

        stmt = postgres_insert(TABLE)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(TABLE)
    # The parts one view writes and another leaves NULL (the target's own status, its history): a row refreshed
    # under the same fingerprint keeps the stored one (the same inputs gave it); under a new fingerprint it
    # takes the new value, NULL included, so an answer computed for other figures is never kept.
    same = TABLE.c.fingerprint == stmt.excluded.fingerprint  # the stored row's values, before the update
    kept = {
        name: case((same, func.coalesce(stmt.excluded[name], TABLE.c[name])), else_=stmt.excluded[name])
        for name in ("target_payload", "history_payload")
    }
    stmt = stmt.on_conflict_do_update(
        index_elements=[TABLE.c.target_id, TABLE.c.as_of],
        set_={
            **{
                name: stmt.excluded[name]
                for name in ("fingerprint", "status", "provisional", "message_vi", "message_en", "payload", "computed_at")
            },
            **kept,
        },
    )
    with not_flushed(bind, disposable=True) as conn:
        conn.execute(stmt, values)
        if admission is not None and admission.new_date and admission.plan_id is not None:
            if as_of is None:
                raise ValueError("an admission is for a date: as_of is required with it")
            _trim(conn, admission.plan_id, as_of)


# ------------------------------------------------------------------ the plan status by organisation (issue 17)


class PlanOrganizationStatus(SQLModel, table=True):
    """A plan's whole status by organisation on one date, in one language, with its fingerprint: the
    envelope's JSON, then one line of JSON per organisation (a page is cut from the lines), compressed.

    Disposable like `target_evaluation`: any row may be deleted at any time (the next read computes
    it again); rows go with their plan. At most MAX_DATES_PER_PLAN x 2 languages per plan are kept
    (`write_by_organization` trims the least recently computed)."""

    __tablename__ = "plan_organization_status"

    plan_id: int = Field(sa_column=Column(Integer, ForeignKey("plan.id", ondelete="CASCADE"), primary_key=True, nullable=False))
    as_of: date = Field(primary_key=True)
    lang: str = Field(primary_key=True, max_length=8)
    fingerprint: str = Field(max_length=200)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    computed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


BY_ORG = table_of(PlanOrganizationStatus)
_READ_BY_ORG = select(BY_ORG.c.fingerprint, BY_ORG.c.payload).where(
    BY_ORG.c.plan_id == bindparam("plan_id"), BY_ORG.c.as_of == bindparam("as_of"), BY_ORG.c.lang == bindparam("lang")
)
_DELETE_BY_ORG = delete(BY_ORG).where(
    BY_ORG.c.plan_id == bindparam("plan_id"), BY_ORG.c.as_of == bindparam("as_of"), BY_ORG.c.lang == bindparam("lang")
)
_BY_ORG_OF_PLAN = (
    select(BY_ORG.c.as_of, BY_ORG.c.lang).where(BY_ORG.c.plan_id == bindparam("plan_id")).order_by(BY_ORG.c.computed_at.desc())
)
_DELETE_BY_ORG_DAY = delete(BY_ORG).where(
    BY_ORG.c.plan_id == bindparam("plan_id"), BY_ORG.c.as_of == bindparam("day"), BY_ORG.c.lang == bindparam("day_lang")
)
MAX_BY_ORG_PER_PLAN = MAX_DATES_PER_PLAN * 2
# Bump whenever the stored answer's form changes (app/status/service.py `_by_organization_lines`): rows of
# another form then fail their fingerprint and are computed again, never served.
# 2: one line per organisation (paging), each target in counts (OrganizationTarget), issue 17; compressed
# (zlib, level 1: the view repeats its keys, 8.3 MB of JSON at 1M figures are stored as about a tenth of
# that, so the database sends and the driver holds a tenth; PostgreSQL's text protocol sends bytea as hex,
# twice the bytes, which cost its worker 50 MB of peak memory per read).
BY_ORG_FORMAT = "2"


def by_organization_fingerprint(plan: Plan, rules, targets: list, tree_version: int | None) -> str:
    """Everything the answer depends on besides its key (plan, as_of, lang): every live target's columns
    with its largest figure id, its largest review id and figures' version (queries.PLAN_TARGETS rows),
    the plan's period, rules and `approval_required` (approval, issue 14: what counts, as in `fingerprint`),
    the organisation tree with the organisations' codes and names (its version, read before the tree:
    any change of an organisation moves it). `?include=submitted` reads are not stored (app/status/service.py)."""
    definition = repr(
        (
            [tuple(t) for t in targets],
            plan.start_date,
            plan.end_date,
            plan.reporting_unit_ids,
            rules,
            plan.approval_required,
            tree_version,
        )
    ).encode()
    return f"{ENGINE_VERSION}.{BY_ORG_FORMAT}:{hashlib.blake2b(definition, digest_size=16).hexdigest()}"


def read_by_organization(session: Session, plan_id: int, as_of: date, lang: str, fingerprint: str) -> Iterator[bytes] | None:
    """The stored answer's lines (envelope first) if its fingerprint still holds, else None.

    The lines are decompressed as they are read (`_lines`): at national scale the whole view is 50 MB of
    JSON (10,009 organisations), a tenth of that stored; a page needs the envelope and its own lines, so
    the whole is never held (issue 17: the worker's memory bound), and a reader that has its page stops."""
    row = session.execute(_READ_BY_ORG, {"plan_id": plan_id, "as_of": as_of, "lang": lang}).first()
    if row is None or row[0] != fingerprint:
        return None
    stored = bytes(row[1])
    try:  # the first piece, checked here: a row of another form is computed again, never half served
        first = zlib.decompressobj().decompress(stored, 1)
    except zlib.error:
        first = None
    if not first:  # not this form (the fingerprint names it, so only a row changed by hand): computed again
        log.warning("the stored status by organisation of plan %s on %s is unreadable: computed again", plan_id, as_of)
        return None
    return stored_lines(stored)


def stored_lines(stored: bytes, step: int = 1 << 20) -> Iterator[bytes]:
    """The lines of a compressed answer, decompressed `step` bytes at a time (a raw newline only separates
    lines: JSON escapes them inside strings)."""
    inflate = zlib.decompressobj()
    rest = b""
    data = inflate.decompress(stored, step)
    while True:
        chunk = rest + data
        lines = chunk.split(b"\n")
        rest = lines.pop()
        yield from lines
        if inflate.eof or not (inflate.unconsumed_tail or data):
            break
        data = inflate.decompress(inflate.unconsumed_tail, step)
    if rest:
        yield rest


def compress_lines(lines: Iterable[bytes]) -> bytes:
    """The stored form of an answer's lines (joined by newlines, zlib level 1: see BY_ORG_FORMAT), compressed
    as they come: the whole answer is never joined into one more copy."""
    deflate = zlib.compressobj(1)
    out = []
    for n, line in enumerate(lines):
        if n:
            out.append(deflate.compress(b"\n"))
        out.append(deflate.compress(line))
    out.append(deflate.flush())
    return b"".join(out)


def write_by_organization(
    engine: Engine | Connection, plan_id: int, as_of: date, lang: str, fingerprint: str, stored: bytes
) -> None:
    """Stores the answer (`compress_lines` of its lines) in a short transaction that does not wait for the disk,
    and trims the plan's rows to MAX_BY_ORG_PER_PLAN (the least recently computed go). A failure is logged, never raised."""
    key = {"plan_id": plan_id, "as_of": as_of, "lang": lang}
    try:
        if not isinstance(engine, Engine):  # sessions are made on the engine (app/deps.py); the write needs its own connection
            raise TypeError(f"the stored answers are written on an engine, not on {type(engine).__name__}")
        with not_flushed(engine, disposable=True) as conn:
            conn.execute(_DELETE_BY_ORG, key)
            conn.execute(BY_ORG.insert(), {**key, "fingerprint": fingerprint, "payload": stored, "computed_at": utcnow()})
            extra = conn.execute(_BY_ORG_OF_PLAN, {"plan_id": plan_id}).all()[MAX_BY_ORG_PER_PLAN:]
            for day, day_lang in extra:
                conn.execute(_DELETE_BY_ORG_DAY, {"plan_id": plan_id, "day": day, "day_lang": day_lang})
    except Exception:  # a cache write must never fail the read
        log.warning("could not store the status by organisation of plan %s on %s", plan_id, as_of, exc_info=True)
