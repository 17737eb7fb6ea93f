"""Importing figures: each row a `SubmissionCreate`, through the submissions service's write rules; a
different figure for a key in force is a correction of it. Rows go in as plain rows (`submit`), each
submitted or approved on entry as a figure from the API would be (`entry_of`: the plan's approval setting and the key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from operator import itemgetter
from types import SimpleNamespace
from typing import Any, TypeVar, cast

from sqlalchemy import BigInteger, Integer, String, any_, bindparam, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as core_select  # Core statements on columns; sqlmodel's select takes up to 4
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session

from app.common.crud import check_not_archived
from app.common.gcpause import collections_paused
from app.common.models import as_utc, stored_id, table_of
from app.common.types import MAX_ID
from app.errors import DomainError
from app.exchange import tabular
from app.exchange.columns import SUBMISSION_COLUMNS
from app.exchange.importer import writer as chunks
from app.exchange.importer.cells import SUBMISSION_KINDS, number_style, read_cells
from app.exchange.importer.report import ImportReport, Run, domain_problems, finish, header_failures
from app.exchange.importer.writer import Corrects, FigureWriter
from app.organizations.models import Organization
from app.organizations.service import subtree
from app.plans.models import Plan
from app.submissions.models import Submission, SubmissionCreate
from app.submissions.rules import FileRules
from app.submissions.service import Entry, as_correction, check_figure, check_open, entry_of, in_force, new_figure, supersede
from app.targets.models import Target

SUBMISSION_REQUIRED = ("target_code", "organization_code", "period_date")
SUBMISSION_FIGURES = ("value", "numerator", "denominator", "done")
SUBMISSION_SERVER_COLUMNS = ("id", "recorded_at")  # in an export; set by the server, not read

# What two versions under one key are compared by; `_content(fields)` of a row's fields (or a stored row's mapping).
_content = itemgetter("value", "numerator", "denominator", "done", "note", "evidence_url")

_Row = TypeVar("_Row", Target, Plan)
Key = tuple[int, int, date, bool]  # (target_id, organization_id, period_date, is_estimate)

_REQUIRED = "required, but the cell is empty"
# A JSON batch's rows may name the target and the unit by id (batch.py); a sheet's have no such columns.
_ID_COLUMNS = {"target_id": "mã số chỉ tiêu", "organization_id": "mã số đơn vị"}

# The stored versions a file may meet, in two steps. First the ids and keys of the figures of the
# file's targets, from its organisations, within its dates (the key columns are indexed: target_id +
# period_date, organization_id); the ranges let other keys through (a file reporting for busy
# organisations over a whole year meets most of their figures), so this step reads as few columns as
# possible and Python keeps the ids whose key the file names. Then, for those ids only, the compared
# columns and whether each is its chain's version in force (never superseded, not a retraction: the
# same SQL condition as the submissions service's lists). Columns only, no ORM objects.
# A correction keeps its target but may move to another key; each row is judged by its own key,
# as before, and "in force" comes from the database, so a chain need not be loaded whole.
_S = table_of(Submission).c
_STORED_KEYS = (
    core_select(
        _S.id,
        _S.target_id,
        _S.organization_id,
        _S.period_date,
        _S.is_estimate,
    )
    .where(
        _S.target_id.in_(bindparam("target_ids", expanding=True)),
        _S.organization_id.in_(bindparam("organization_ids", expanding=True)),
        _S.period_date.between(bindparam("first_date"), bindparam("last_date")),
    )
    .execution_options(yield_per=10_000)
)
# A file naming more organisations than one statement takes (a national file: thousands of units): the
# keys of every figure of its targets within its dates, in one statement, filtered here. Each chunk of
# organisations read the same rows of the file's targets again (the index on target and date, then the
# organisations' ids on top: 9 chunks x 190 ms for a 20,000-row file at 10M figures, issue 17); one read
# of them (0.3 s there) is the cheaper, and a file that names few organisations keeps the narrow query.
_STORED_KEYS_OF_TARGETS = (
    core_select(_S.id, _S.target_id, _S.organization_id, _S.period_date, _S.is_estimate)
    .where(
        _S.target_id.in_(bindparam("target_ids", expanding=True)),
        _S.period_date.between(bindparam("first_date"), bindparam("last_date")),
    )
    .execution_options(yield_per=10_000)
)
# PostgreSQL narrows that read on the server: of a national file's targets' 200,000 figures within its dates,
# only those whose key the file names come back (issue 17: sending all of them and filtering here was a
# fifth of such an import's time). Each key is coded as one number, the organisation, the day and the
# estimate flag (`_key_code`, the same sum in SQL), and the codes go as one array, hash-joined. The code
# leaves out the target (a file's few targets share it) and may in principle repeat for two keys: it only
# narrows, and the exact test stays here (`tuple(key) in keys`), as on SQLite, which reads them all.
_KEY_CODE_SQL = "organization_id::bigint * 1000000 + (period_date - DATE '1900-01-01') * 2 + is_estimate::int"
_STORED_KEYS_OF_TARGETS_NARROWED = _STORED_KEYS_OF_TARGETS.where(
    text(f"{_KEY_CODE_SQL} IN (SELECT unnest(:codes))").bindparams(bindparam("codes", type_=ARRAY(BigInteger)))
)
_EPOCH = date(1900, 1, 1)


def _key_code(key: Key) -> int:
    """`_KEY_CODE_SQL` of a key."""
    return key[1] * 1_000_000 + (key[2] - _EPOCH).days * 2 + int(key[3])


_STORED_VERSIONS = core_select(
    _S.id,
    _S.target_id,
    _S.organization_id,
    _S.period_date,
    _S.is_estimate,
    _S.value,
    _S.numerator,
    _S.denominator,
    _S.done,
    _S.note,
    _S.evidence_url,
    _S.root_id,
    _S.recorded_at,
    in_force().label("in_force"),
).where(_S.id.in_(bindparam("ids", expanding=True)))
_IDS_PER_QUERY = 5000
_ORGANIZATIONS_PER_QUERY = 1000


@dataclass(frozen=True)
class _InForce:
    """A stored figure in force: what a different row for its key corrects."""

    id: int
    root_id: int | None
    order: tuple[datetime, int]  # (recorded_at, id): the last recorded counts, as in the status engine


def _stored_figures(session: Session, keys: set[Key]) -> tuple[set[tuple], dict[Key, _InForce]]:
    """For the keys of the file: key + content of every stored version, and per key the figure in
    force that a different row corrects.

    Several chains may share a key (figures submitted twice); the one the status engine
    counts, the last recorded, is the one corrected.
    """
    stored: set[tuple] = set()
    latest: dict[Key, _InForce] = {}
    if not keys:
        return stored, latest
    dates = [key[2] for key in keys]
    target_ids, organization_ids = sorted({key[0] for key in keys}), sorted({key[1] for key in keys})
    # Organisations by the thousand (a file naming more reads its targets' keys at once, above): a
    # statement must not reach SQLite's limit on bound parameters (32,766); the plan's targets are a bounded list.
    ids = []
    if len(organization_ids) > _ORGANIZATIONS_PER_QUERY:
        params: dict[str, Any] = {"target_ids": target_ids, "first_date": min(dates), "last_date": max(dates)}
        statement = _STORED_KEYS_OF_TARGETS
        if session.get_bind().dialect.name == "postgresql":
            statement, params["codes"] = _STORED_KEYS_OF_TARGETS_NARROWED, sorted(set(map(_key_code, keys)))
        ids = [row_id for row_id, *key in session.execute(statement, params) if tuple(key) in keys]
        organization_ids = []  # read: no chunk below
    for first in range(0, len(organization_ids), _ORGANIZATIONS_PER_QUERY):
        params = {
            "target_ids": target_ids,
            "organization_ids": organization_ids[first : first + _ORGANIZATIONS_PER_QUERY],
            "first_date": min(dates),
            "last_date": max(dates),
        }
        ids += [row_id for row_id, *key in session.execute(_STORED_KEYS, params) if tuple(key) in keys]
    for first in range(0, len(ids), _IDS_PER_QUERY):
        for row in session.execute(_STORED_VERSIONS, {"ids": ids[first : first + _IDS_PER_QUERY]}):
            key = (row.target_id, row.organization_id, row.period_date, row.is_estimate)
            stored.add(key + _content(row._mapping))
            if row.in_force:
                version = _InForce(row.id, row.root_id, (as_utc(row.recorded_at), row.id))
                if key not in latest or version.order > latest[key].order:
                    latest[key] = version
    return stored, latest


_O = table_of(Organization).c
_ORGANIZATIONS_BY_CODE = core_select(_O.code, _O.id).where(_O.code.in_(bindparam("names", expanding=True)))
_ORGANIZATIONS_BY_ID = core_select(_O.id, _O.id).where(_O.id.in_(bindparam("names", expanding=True)))
_NAMES_PER_QUERY = 5000  # bound parameters per statement: far below SQLite's limit (32,766)
# PostgreSQL takes the names as one array, in one statement however many they are: the expanding IN above
# sends one parameter per name, which SQLAlchemy, psycopg and the server each work through again (a national
# file names 9,000 organisations: a tenth of its import's time in the profile, issue 17).
_ORGANIZATIONS_NAMED_PG = {
    "code": core_select(_O.code, _O.id).where(_O.code == any_(bindparam("names", type_=ARRAY(String)))),
    "id": core_select(_O.id, _O.id).where(_O.id == any_(bindparam("names", type_=ARRAY(Integer)))),
}


def _organizations_named(session: Session, rows: list[dict[str, Any]]) -> dict[tuple[str, Any], int]:
    """("code" | "id", what a row names) -> the organisation's id, for every organisation the rows name
    that exists (a file of 20,000 rows: at most four statements per kind on SQLite, one on PostgreSQL; not
    one per code). A name
    missing from the answer has no organisation: the row fails as it always did, naming it. Codes match
    as `Organization.code == code` did (exactly: both databases compare codes case-sensitively); ids out
    of range are left to the row's own check, not sent."""
    named: dict[str, set] = {"code": set(), "id": set()}
    for values in rows:
        if (code := values.get("organization_code")) is not None:
            named["code"].add(code)
        if (organization_id := values.get("organization_id")) is not None and 1 <= organization_id <= MAX_ID:
            named["id"].add(organization_id)
    found: dict[tuple[str, Any], int] = {}
    one_array = session.get_bind().dialect.name == "postgresql"
    for by, statement in (("code", _ORGANIZATIONS_BY_CODE), ("id", _ORGANIZATIONS_BY_ID)):
        wanted = sorted(named[by])
        if one_array:
            chunks, statement = [wanted] if wanted else [], _ORGANIZATIONS_NAMED_PG[by]
        else:
            chunks = [wanted[first : first + _NAMES_PER_QUERY] for first in range(0, len(wanted), _NAMES_PER_QUERY)]
        for chunk in chunks:
            for name, organization_id in session.execute(statement, {"names": chunk}):
                found[by, name] = organization_id
    return found


_T = table_of(Target).c
_TARGETS_OF_PLAN = core_select(*_T).where(_T.plan_id == bindparam("plan_id"))


def _targets_of(session: Session, plan_id: int) -> list[Target]:
    """The plan's targets, each a plain object with the columns as attributes (as `_columns_of` gives)."""
    return [
        cast(Target, SimpleNamespace(**row._mapping))
        for row in session.connection().execute(_TARGETS_OF_PLAN, {"plan_id": plan_id})
    ]


def _columns_of(row: _Row) -> _Row:
    """A stored row's column values as attributes of a plain object (what the rules read of a target or a plan)."""
    return cast(_Row, SimpleNamespace(**{a.key: getattr(row, a.key) for a in sa_inspect(type(row)).column_attrs}))


_Named = tuple[tabular.Row, dict[str, Any], list, list, Target | None, int | None]  # row, values, problems, unread, target, unit


@collections_paused()  # 20,000 rows held to the commit: no full collections meanwhile (app/common/gcpause.py)
def import_submissions(
    *,
    session: Session,
    plan: Plan,
    table: tabular.Table,
    dry_run: bool = False,
    keep_good_rows: bool = False,
    scope: set[int] | None = None,
) -> ImportReport:
    """Adds the figures of the rows to the plan's targets; one commit (or none), in `finish`.

    `scope`: the organisations the caller may report for (None: all); other rows fail.
    A closed or archived plan refuses the whole file (409).

    Every row's cells are read and its target and unit looked up first; then the stored figures of the keys
    the rows name are read at once; then the rows are checked chunk by chunk, in file order (the input model,
    the domain rules, then what is stored and what the file added before them: ignored, refused, a correction,
    or new), and each chunk's new rows go to a `FigureWriter`, which on PostgreSQL stores them while the next
    chunk is checked (app/exchange/importer/writer.py). New rows are dicts (an ORM object per row cost more
    than everything else together).
    """
    check_not_archived(plan)
    check_open(plan)
    run = Run(table, {**SUBMISSION_COLUMNS, **_ID_COLUMNS}, aliases={"organization_id": "organization_code"})
    style = number_style(table, ("value", "numerator", "denominator"))
    # the report's arguments, the same for the header failures and for the file's end
    done = partial(
        finish,
        session=session,
        plan=plan,
        kind="submissions",
        run=run,
        style=style,
        dry_run=dry_run,
        keep_good_rows=keep_good_rows,
    )
    if table.problems:
        header_failures(run)
        return done(writes=0)
    # Plain copies of the plan's and the targets' columns: the rules read a dozen of them per row, and an
    # ORM attribute read costs a microsecond; the targets are read as columns, not ORM objects (a plan's
    # thousand targets loaded as objects were a twentieth of an import). Nothing here writes through them,
    # and nothing below touches the ORM plan: the session may be writing on another thread.
    targets = {t.code: t for t in _targets_of(session, stored_id(plan))}
    plan_columns = _columns_of(plan)
    targets_by_id = {t.id: t for t in targets.values()}
    memo: dict = {}  # the file's distinct cells, each read once (read_cells)
    cells = [(row, *read_cells(row.cells, SUBMISSION_KINDS, style, memo)) for row in table.rows]
    # Every organisation the file names, by code or by id, read at once (issue 17: one query per code cost
    # a national import two thirds of its time); a name that is not there is None, and its rows fail below.
    organizations = _organizations_named(session, [values for _, values, _ in cells])
    named = [
        _named(row, values, unread, table, plan_columns, targets, targets_by_id, organizations, scope)
        for row, values, unread in cells
    ]
    del cells, memo  # each row's cell values (a dict a row): not needed past here, and not held through the insert
    plan_tree = subtree(session, plan.organization_id)  # read once, not per row
    entry = entry_of(session, plan)  # the file's figures are submitted or approved on entry, as the key's would be
    chunk = chunks.INSERT_CHUNK
    concurrent = not dry_run and len(named) > chunk and session.get_bind().dialect.name == "postgresql"
    with FigureWriter(session, concurrent=concurrent) as writer:
        # The stored versions of the keys the rows' cells name, read at once before anything is written (the
        # model keeps a readable date and flag as they are, so these are the rows' keys; a key it gives
        # otherwise is read with its chunk, below), and what the file rules read of their targets.
        keys = {key for key in map(_key_of_cells, named) if key is not None}
        stored, latest = _stored_figures(writer.reads, keys)
        file_rules = FileRules(writer.reads)  # values and ratios never mix on a target; increments never overlap
        file_rules.read(targets_by_id[target_id] for target_id in {key[0] for key in keys})  # all at once
        in_file: dict[Key, dict[str, Any]] = {}  # key -> the file's latest new row for it
        for first in range(0, len(named), chunk):
            readable = [
                checked
                for row in named[first : first + chunk]
                if (checked := _checked(row, run, writer.reads, plan_columns, plan_tree, entry)) is not None
            ]
            if unread_keys := {key for _, _, key, _ in readable} - keys:
                more, more_latest = _stored_figures(writer.reads, unread_keys)
                stored |= more
                latest.update(more_latest)
                keys |= unread_keys
            new: list[dict[str, Any]] = []  # the chunk's rows to insert: every column of `submission` but the id
            corrects: Corrects = {}  # index in `new` -> the earlier new row it corrects
            for row, fields, key, refusal in readable:
                version = key + _content(fields)
                if version in stored:
                    run.counts.ignored += 1  # already stored (and checked then): nothing to do
                    continue
                if refusal is not None:
                    run.fail(row, refusal)
                    continue
                # The row's fields by attribute name (what FileRules reads), not a model: 20 us a row (issue 17)
                if against := file_rules.problems(targets_by_id[key[0]], SimpleNamespace(**fields)):
                    run.fail(row, against)
                    continue
                if key in in_file or key in latest:  # a different figure for a key in force: it corrects the current version
                    run.counts.updated += 1
                    as_correction(fields, f"import: {table.format} row {row.number}")
                    if key in in_file:
                        corrects[len(new)] = in_file[key]
                    else:
                        supersede(fields, latest[key].id, latest[key].root_id)
                else:
                    run.counts.created += 1
                stored.add(version)
                in_file[key] = fields
                new.append(fields)
            if run.counts.failed and not keep_good_rows:
                writer.discard()  # all-or-nothing and a row failed: nothing will be stored; the rest is checked for the report
            else:
                writer.add(new, corrects)
        # What only planned the rows goes before the commit, which holds each chunk's audit events (issue 17: the
        # worker's peak RSS is reached there; 20,000 rows' checks, versions and keys freed first).
        del named, stored, latest, in_file, file_rules
        writer.close()
        return done(
            writes=writer.count,
            store=writer.store,
            conflict="The figures could not be stored (changed meanwhile?); nothing was stored.",
        )


def _named(
    row: tabular.Row,
    values: dict[str, Any],
    unread: list,
    table: tabular.Table,
    plan: Plan,
    targets: dict[str, Target],
    targets_by_id: dict[int | None, Target],
    organizations: dict[tuple[str, Any], int],
    scope: set[int] | None,
) -> _Named:
    """A row's target and unit, by code (a sheet's columns) or by id (a JSON batch may), exactly one of each,
    and the problems found so far (the cells that could not be read among them)."""
    problems = list(unread)
    target = organization = None
    target_code, target_id = values.pop("target_code", None), values.pop("target_id", None)
    organization_code, organization_id = values.pop("organization_code", None), values.pop("organization_id", None)
    if target_code is not None and target_id is not None:
        problems.append(("target_id", "give target_id or target_code, not both"))
    elif target_id is not None:
        if (target := targets_by_id.get(target_id)) is None:
            problems.append(("target_id", f"plan {plan.code} has no target with id {target_id}"))
    elif target_code is None:
        if not {"target_code", "target_id"} & {name for name, _ in unread}:
            problems.append(("target_code", _REQUIRED if table.format != "json" else "required: target_code or target_id"))
    elif (target := targets.get(target_code)) is None:
        problems.append(("target_code", f"plan {plan.code} has no target with code '{target_code}'"))
    if target is not None and target.archived_at is not None:
        problems.append(("target_code", f"target '{target.code}' is archived: it takes no figures"))
    if organization_code is not None and organization_id is not None:
        problems.append(("organization_id", "give organization_id or organization_code, not both"))
    elif organization_code is None and organization_id is None:
        if not {"organization_code", "organization_id"} & {name for name, _ in unread}:
            json = table.format == "json"
            problems.append(("organization_code", "required: organization_code or organization_id" if json else _REQUIRED))
    elif organization_id is not None and not 1 <= organization_id <= MAX_ID:
        problems.append(("organization_id", f"{organization_id} is not an id (1 to {MAX_ID:,})"))
    else:
        by, name = ("id", organization_id) if organization_id is not None else ("code", organization_code)
        field = f"organization_{by}"
        shown = f"'{name}'" if by == "code" else str(name)
        if (organization := organizations.get((by, name))) is None:
            problems.append((field, f"no organisation has the {by} {shown}"))
        elif scope is not None and organization not in scope:
            problems.append((field, f"{shown} is outside the scope of your API key"))
    return row, values, problems, unread, target, organization


def _key_of_cells(named: _Named) -> Key | None:
    """The key a row's cells name (None: the row has no target, unit or readable date: it fails, or its
    key is read with its chunk)."""
    _, values, _, _, target, organization = named
    period_date, is_estimate = values.get("period_date"), values.get("is_estimate", False)
    if target is None or organization is None or type(period_date) is not date or type(is_estimate) is not bool:
        return None
    return stored_id(target), organization, period_date, is_estimate


def _checked(
    named: _Named, run: Run, reads: Session, plan: Plan, plan_tree: set[int], entry: Entry
) -> tuple[tabular.Row, dict[str, Any], Key, list | None] | None:
    """A row through the input model and the domain rules: (row, its new figure's columns, its key, the
    domain's refusal or None); None when it failed already (reported)."""
    row, values, problems, unread, target, organization = named
    body = run.validated(row, SubmissionCreate, {**values, "organization_id": organization or 1}, problems, unread)
    if body is None or target is None or organization is None:
        return None
    try:
        check_figure(reads, target, plan, body, plan_tree=plan_tree)  # reads nothing: the plan's tree is given
        refusal = None
    except DomainError as exc:
        refusal = domain_problems(exc)
    # The fields alone are kept (not the model): 20,000 of them are held until the insert.
    target_id = stored_id(target)
    return row, new_figure(body, target_id, entry), (target_id, organization, body.period_date, body.is_estimate), refusal
