"""Many rows of an audited model at once, with their audit events, outside the ORM unit of work.

The recorder (`app/audit/recorder.py`) writes the events of everything that goes through the
unit of work. Going through it costs an ORM object per row, which is most of the time of an
import of 20,000 figures (docs/PERFORMANCE.md, section 4). `insert_audited` inserts plain dicts
instead and writes the events itself, in the same transaction: the events the recorder would
have written for the same rows added through the ORM (same action, entity, ids, organisation,
actor, request id; `before` null and `after` every audited column, JSON-safe, in column order),
built with the recorder's own helpers so they cannot drift. Core statements and COPY raise no
session events, so nothing is recorded twice (the rows must not also be added to the session).

How the rows go in:

- SQLite: the first row with `INSERT ... RETURNING id`, the others with the ids that follow it in one
  executemany (`_insert_sqlite`); events with one executemany. One row (a figure from the API) is a plain
  INSERT ... RETURNING and its event a plain INSERT; on PostgreSQL, one row whose id was taken ahead goes
  in with its event in one statement (`_with_event`).
- PostgreSQL, more than `COPY_FROM` rows (fewer go in with one `INSERT ... RETURNING id`, the ids in
  the rows' order: `sort_by_parameter_order`): the ids are taken from the
  table's sequence first (`take_ids`, one query), the events made (`batch_of`), then the rows and
  their events go in with `COPY` on the session's own connection and transaction (`copy_batch`). An
  import makes the ids and events of its next chunk on its checking thread and a second connection
  while a thread of its own sends the chunk before (`insert_audited(..., batch=...)`). A multi-row
  INSERT with 20,000 parameter sets spends most of its time in the driver turning the long
  statement into PostgreSQL's form; COPY is several times faster. JSON is written with
  `json_text`, the engine's JSON serializer (a Python None becomes JSON null there too).

Either way the ids ascend in the order of the rows. A unique or foreign-key violation is raised
as SQLAlchemy's `IntegrityError`, like any other write, and leaves the transaction to roll back.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Insert, Table, bindparam, insert, null, select, text, true
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from app.audit.models import AuditEvent
from app.audit.recorder import (
    AUDITED,
    EventContext,
    OrgsOfRows,
    audited_columns,
    column_values,
    columns_values,
    created_action,
    kind_of,
)
from app.common.models import json_text, table_of
from app.common.prepared import Prepared

# PostgreSQL: COPY pays off for many rows; a few (one figure from the API) go in as an INSERT,
# one round trip instead of the sequence query and the COPY.
COPY_FROM = 50

# n ids from a table's sequence, the sequence looked up once (not once per id: a quarter of the query's time)
_NEXT_IDS = text(
    "SELECT nextval(q.s) FROM (SELECT CAST(pg_get_serial_sequence(:table, 'id') AS regclass) AS s) AS q, generate_series(1, :n)"
)
_EVENTS = table_of(AuditEvent)
_EVENT_COLUMNS = [c.name for c in _EVENTS.columns if c.name != "id"]
_JSON_COLUMNS = {"before", "after"}


def insert_audited(
    session: Session,
    model: type[SQLModel],
    rows: Sequence[dict[str, Any]],
    *,
    context: EventContext | None = None,
    along: tuple[Insert, dict[str, Any]] | None = None,
    reading: tuple[Prepared, dict[str, Any]] | None = None,
    batch: CopyBatch | None = None,
) -> list[Any]:
    """Inserts `rows` (dicts of `model`'s columns, without `id`) and one audit event per row.

    Sets each row's "id". Every row must have the same keys. `context`: who acts and when;
    give one to every call of one write, so that all its events carry one time, as one flush's do.

    One row whose id was taken ahead (`next_id`), on PostgreSQL: the row and its event go in with one
    statement, with, if given, `along` (an INSERT ... RETURNING of another table, its parameters named apart
    from the row's, and those parameters) and `reading` (a SELECT and its parameters, which may be the row's
    own columns of the same names: it sees the database as it was before the statement, without the row).
    Returns the statement's rows: with `reading`, its rows (a row of NULLs when it reads none), each with the
    first value `along` returns (`along_id`, None if none) in front; without, `along`'s rows. `along` and
    `reading` are refused on any other path; which returns [].

    `batch` (PostgreSQL): `rows` with their ids and events made ahead, perhaps on another thread and
    connection (`take_ids`, `batch_of`; an import checks its next rows meanwhile): only sent, with COPY.
    """
    if not rows:
        return []
    connection = session.connection()
    if batch is not None:  # ids and events made ahead (`take_ids`, `batch_of`): sent as they are
        if batch.rows is not rows:
            raise ValueError("insert_audited: `batch` holds other rows")
        copy_batch(connection, batch)
        return []
    table = table_of(model)
    one_statement = len(rows) == 1 and rows[0].get("id") is not None and connection.dialect.name == "postgresql"
    if (along is not None or reading is not None) and not one_statement:
        raise ValueError("insert_audited: `along` and `reading` need one row with its id, on PostgreSQL")
    if one_statement:  # first: a row whose id is given keeps it (its answer may name it already)
        # one figure from the API, its id taken from the sequence ahead (`next_id`): the row, its audit event,
        # what goes `along` (the Idempotency-Key's record) and the `reading` (its rules' read) in one statement
        # (issue 17)
        event = _event_of(session, model, rows[0], context)
        if reading is not None and any(rows[0][name] != value for name, value in reading[1].items() if name in rows[0]):
            raise ValueError("insert_audited: `reading` shares a parameter name with the row but not its value")
        params = {
            **(reading[1] if reading else {}),
            **rows[0],
            **{f"event_{c}": v for c, v in event.items()},
            **(along[1] if along else {}),
        }
        statement = _with_event(table, tuple(rows[0]), along[0] if along else None, reading[0] if reading else None)
        return statement.rows(connection, params)
    elif connection.dialect.name == "postgresql" and len(rows) > COPY_FROM:
        take_ids(connection, model, rows)
        copy_batch(connection, batch_of(connection, model, list(rows), context=context or EventContext.of(session)))
        return []
    elif len(rows) == 1:  # one figure from the API: a plain INSERT ... RETURNING, not an executemany (issue 17)
        rows[0]["id"] = _inserts(table)[0].scalar(connection, rows[0])
    elif connection.dialect.name == "sqlite":
        _insert_sqlite(connection, table, rows)
    else:  # PostgreSQL, a few rows: one INSERT ... RETURNING (the ids come back in the rows' order)
        ids = connection.execute(_inserts(table)[1], list(rows)).scalars().all()
        for row, row_id in zip(rows, ids, strict=True):
            row["id"] = row_id
    record_inserted(session, model, rows, context=context)
    return []


def _insert_sqlite(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """SQLite, many rows: the first with INSERT ... RETURNING id, the rest with the ids that follow it, in one
    executemany. SQLAlchemy cannot order SQLite's RETURNING rows by parameter, so `sort_by_parameter_order`
    sent one INSERT per row (a third of an import's time on SQLite). The first INSERT takes the database's
    write lock, held to the commit: nobody else inserts meanwhile, and SQLite gives a new row the largest
    rowid + 1 (the sequence + 1 with AUTOINCREMENT, which explicit ids move on as well), so these are the
    ids the row-by-row INSERTs gave, in the rows' order."""
    first_id = _inserts(table)[0].scalar(connection, rows[0])
    rows[0]["id"] = first_id
    for offset, row in enumerate(rows[1:], start=1):
        row["id"] = first_id + offset
    executemany(connection, table, rows[1:])


def executemany(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERTs `rows` (same keys, every column of `table` but perhaps the id) in one DBAPI executemany, each
    column's values through its type's bind processor, column by column: what SQLAlchemy's executemany of
    `insert(table)` sends, without its per-row bookkeeping (a fifth of an import's time on SQLite). Rows
    that leave other columns to their defaults go through SQLAlchemy."""
    if not rows:
        return
    columns = tuple(rows[0])
    if set(table.c.keys()) - set(columns) - {"id"}:
        connection.execute(insert(table), list(rows))
        return
    executemany_columns(connection, table, dict(zip(columns, zip(*map(_values_of(columns), rows), strict=True), strict=True)))


def executemany_columns(connection: Connection, table: Table, values: Mapping[str, Sequence[Any]]) -> None:
    """`executemany` of rows given column by column (column -> its values, one per row; every column but perhaps the id)."""
    columns = tuple(values)
    if set(table.c.keys()) - set(columns) - {"id"}:
        raise ValueError(f"executemany_columns: every column of {table.name} is needed")
    statement, order = _executemany_plan(table, columns, connection.dialect)
    by_column = [values[c] for c in columns]
    sent = [by_column[at] if process is None else _processed(process, by_column[at]) for at, process in order]
    connection.exec_driver_sql(statement, list(zip(*sent, strict=True)))


def _processed(process: Any, values: Sequence[Any]) -> Sequence[Any]:
    """`process` of each value, once per object when the column repeats objects (the events' time, an import's
    dates read once per distinct cell): a bind processor gives one object one answer."""
    if len(set(map(id, values))) * 2 > len(values):
        return list(map(process, values))
    done: dict[int, Any] = {}
    out = []
    for value in values:
        key = id(value)
        if key not in done:
            done[key] = process(value)
        out.append(done[key])
    return out


@functools.cache
def _executemany_plan(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[str, list[tuple[int, Any]]]:
    """The INSERT as SQLAlchemy compiles it for these columns, and per positional parameter: its column's
    position in `columns` and its bind processor (None: the value goes as it is)."""
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    if not compiled.positional or compiled.positiontup is None:  # SQLite's qmark style is positional
        raise RuntimeError(f"executemany takes a positional paramstyle, not {dialect.paramstyle}")
    processors = compiled._bind_processors
    return compiled.string, [(columns.index(name), processors.get(name)) for name in compiled.positiontup]


@functools.cache
def _inserts(table: Table) -> tuple[Prepared, Insert]:
    """A table's INSERT ... RETURNING id for one row and for many (ids in the rows' order), built once."""
    return Prepared(insert(table).returning(table.c.id), insert=True), insert(table).returning(
        table.c.id, sort_by_parameter_order=True
    )


_INSERT_EVENTS = insert(_EVENTS)
_INSERT_EVENT = Prepared(_INSERT_EVENTS, insert=True)


@functools.cache
def _with_event(table: Table, keys: tuple[str, ...], along: Insert | None, reading: Prepared | None) -> Prepared:
    """PostgreSQL: one row whose id is known (`keys`, its columns) and its audit event in one statement, with
    `along` and `reading` if given. The row's and the event's INSERTs are data-modifying CTEs of `along` (else
    the row's of the event's); with `reading`, all three are CTEs of a SELECT of `reading`'s rows (LEFT JOINed
    to one row holding `along`'s first returned value, so that it comes back when `reading` finds nothing).
    Parameters: the row's columns, the event's prefixed `event_`, `along`'s own and `reading`'s. All happen or
    none: the statement fails as a whole (a unique violation of the row is the same IntegrityError as the row's
    own INSERT would raise). Nothing reads one from another: the event names the row by the id given, and
    every part sees the database as the statement found it (PostgreSQL runs data-modifying CTEs to their end
    whether or not the SELECT reads them)."""
    row = insert(table).values({key: bindparam(key, type_=table.c[key].type) for key in keys}).cte(f"new_{table.name}")
    event = insert(_EVENTS).values({c: bindparam(f"event_{c}", type_=_EVENTS.c[c].type) for c in _EVENT_COLUMNS})
    if reading is None:
        if along is None:
            return Prepared(event.add_cte(row))
        return Prepared(along.add_cte(row, event.cte("new_audit_event")))
    ctes = [row, event.cte("new_audit_event")]
    first: Any = null()
    if along is not None:
        done = along.cte("along")
        ctes.append(done)
        first = select(done.c[0]).limit(1).scalar_subquery()
    head = select(first.label("along_id")).subquery("head")
    found = reading.statement.subquery("reading")  # type: ignore[attr-defined]
    return Prepared(select(head.c.along_id, *found.c).select_from(head.outerjoin(found, true())).add_cte(*ctes))


def _event_of(session: Session, model: type[SQLModel], row: dict[str, Any], context: EventContext | None) -> dict[str, Any]:
    """The audit event of one inserted row of `model` (its column values, `id` included), as `record_inserted` writes it."""
    who = context or EventContext.of(session)
    entity = AUDITED[model]
    after = column_values(model, row, audited_columns(model))  # one row: not the column-wise form for many
    orgs = OrgsOfRows(session.connection())
    return who.event(created_action(model, kind_of(model, row)), entity, after.get("id"), orgs.of(after, entity), None, after)


def record_inserted(
    session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]], *, context: EventContext | None = None
) -> None:
    """Writes one audit event per inserted row of `model` (each row: its column values, `id` included)."""
    if not rows:
        return
    if len(rows) == 1:  # one figure from the API
        _INSERT_EVENT.rows(session.connection(), _event_of(session, model, rows[0], context))
        return
    connection = session.connection()
    events = _events_of(connection, model, rows, context or EventContext.of(session))
    if connection.dialect.name == "sqlite":
        executemany_columns(connection, _EVENTS, events)
    else:
        names = list(events)
        connection.execute(
            _INSERT_EVENTS, [dict(zip(names, values, strict=True)) for values in zip(*events.values(), strict=True)]
        )


def _events_of(
    connection: Connection, model: type[SQLModel], rows: Sequence[dict[str, Any]], who: EventContext
) -> dict[str, list[Any]]:
    """The audit events of inserted rows of `model` (ids set), column by column (`EventContext.events`: no dict per event)."""
    entity = AUDITED[model]
    orgs = OrgsOfRows(connection)
    afters = columns_values(model, rows, audited_columns(model))
    actions: dict[str | None, str] = {}  # a version kind -> its action, worked out once per write
    for row in rows:
        kind = kind_of(model, row)
        if kind not in actions:
            actions[kind] = created_action(model, kind)
    return who.events(
        [actions[kind_of(model, row)] for row in rows],
        entity,
        [after.get("id") for after in afters],
        [orgs.of(after, entity) for after in afters],
        afters,
    )


# ------------------------------------------------------------------ PostgreSQL: many rows with COPY


def take_ids(connection: Connection, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL: sets each row's "id" from its table's sequence (one query), ascending in the rows' order. Any
    connection will do: a sequence is not transactional (ids taken and not used leave a gap, as a rollback does)."""
    ids = connection.execute(_NEXT_IDS, {"table": table_of(model).name, "n": len(rows)}).scalars().all()
    for row, row_id in zip(rows, sorted(ids), strict=True):
        row["id"] = row_id


@dataclass(frozen=True)
class CopyBatch:
    """Rows of an audited model, their ids set, and their audit events column by column (JSON as text): what
    `copy_batch` sends. Made by `batch_of`, which reads nothing for figures, so it may be made on one thread
    and sent on another."""

    model: type[SQLModel]
    rows: list[dict[str, Any]]
    events: list[Sequence[Any]]  # one sequence per column of `_EVENT_COLUMNS`


def batch_of(connection: Connection, model: type[SQLModel], rows: list[dict[str, Any]], *, context: EventContext) -> CopyBatch:
    """`rows` (ids set, `take_ids`) and their audit events, ready for `copy_batch`; `context`: who acts and when."""
    events = _events_of(connection, model, rows, context)
    return CopyBatch(model, rows, [tuple(map(json_text, events[c])) if c in _JSON_COLUMNS else events[c] for c in _EVENT_COLUMNS])


def copy_batch(connection: Connection, batch: CopyBatch) -> None:
    """PostgreSQL: the rows and their events, each with one COPY, on the connection and in its transaction."""
    columns = list(batch.rows[0])
    _copy(connection, table_of(batch.model), columns, map(_values_of(columns), batch.rows))
    _copy(connection, _EVENTS, _EVENT_COLUMNS, zip(*batch.events, strict=True))


def _values_of(columns: Sequence[str]) -> Any:
    """A row's values in `columns` order, as a tuple (itemgetter gives one column's value alone)."""
    return itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))


def _copy(connection: Connection, table: Table, columns: list[str], values) -> None:
    """COPY rows (sequences of values, in `columns` order) into `table`, in the connection's transaction."""
    import psycopg  # PostgreSQL only: the psycopg dialect's DBAPI module
    from psycopg import sql

    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the connection is closed")  # a live connection of the flush always has one
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(*([table.schema] if table.schema else []), table.name),
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
    )
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except psycopg.IntegrityError as exc:
        raise IntegrityError(str(statement.as_string(driver)), None, exc) from exc
