"""Core statements of the busiest requests, run on the driver's cursor (issue 17).

SQLAlchemy's `Connection.execute` spends, on every call, some 20 to 40 µs of CPU around the
driver's own work (a cache lookup of the compiled form, an execution context, the parameters
built again from the compiled statement's bind list, a result object): on POST a figure, with
nine statements, that was a fifth of the request's CPU under load. `Prepared` does that work
once per statement and dialect, when first run, and afterwards only what has to happen per call:
the parameters in the compiled statement's order, through the same bind processors SQLAlchemy
uses, the driver's `execute`, and the rows through the same result processors, as named tuples
(attribute and index access, as SQLAlchemy's rows). The transaction is the SQLAlchemy
connection's own (its driver connection): `Session.commit` commits these statements with the rest.

What stays SQLAlchemy's:
- statements it cannot run as compiled once (`_plan_for`): an INSERT whose missing columns have
  Python-side defaults, expanding (IN), literal-execute or per-execution (`callable_`) parameters,
  text() statements, rows whose column names cannot be a named tuple's fields: `Prepared` hands
  those to `Connection.execute` (checked once per statement, dialect and set of INSERT columns);
- the transaction: a connection without one begins it, as `Connection.execute` does;
- errors, through the connection's own handling: SQLAlchemy's exception class (an
  `IntegrityError` is an `IntegrityError`), a lost connection invalidated with the pool's older
  ones, the `handle_error` listeners; the failed statement's cursor is dropped;
- the engine's `before_cursor_execute` / `after_cursor_execute` listeners are called when there
  are any (the tests' statement counts see these statements as they see all others), with no
  execution context; a listener's rewritten SQL is not used.
It reads three of SQLAlchemy's private attributes, as its own execute does: `_has_events`,
`_autobegin` and `_handle_dbapi_exception` (tests/test_prepared.py covers each behaviour, an
independent review's findings included).
"""

from __future__ import annotations

import contextlib
import keyword
import weakref
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.expression import Executable, SelectBase

_MISSING = object()


class _Plan:
    """A statement compiled for one dialect (and one set of INSERT columns), with its processors."""

    __slots__ = ("sql", "positional", "binds", "row", "types", "results", "processed", "returns_rows")

    def __init__(self, compiled: Any, dialect: Dialect, columns: list[tuple[str, Any]] | None) -> None:
        self.sql: str = compiled.string
        self.positional: bool = bool(compiled.positional)
        names = list(compiled.positiontup or []) if self.positional else list(compiled.binds)
        escaped = compiled.escaped_bind_names or {}  # psycopg: names SQLAlchemy rewrote for the driver ("a b")
        # (name the driver reads, key in the caller's parameters, constant value, bind processor)
        self.binds: list[tuple[str, str, Any, Callable[[Any], Any] | None]] = []
        for name in names:
            bind = compiled.binds[name]
            # a parameter the caller gives (`bindparam("target_id")`, an INSERT's column), or a constant of the
            # statement (`column != "retraction"`), which the caller never gives
            constant = _MISSING if bind.required else bind.value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            self.binds.append((escaped.get(name, name), bind.key, constant, processor))
        self.returns_rows = columns is not None
        self.row: Any = None
        self.types = [type_.dialect_impl(dialect) for _, type_ in columns or ()]
        # the result processors, from the first run's cursor description: some depend on the type the
        # database names for the column (psycopg's numeric: Decimal or float), as in SQLAlchemy's results
        self.results: list[Callable[[Any], Any] | None] | None = None
        self.processed: list[tuple[int, Callable[[Any], Any]]] = []  # (column, processor) of those that have one
        if columns is not None:
            self.row = namedtuple("Row", [name for name, _ in columns])  # type: ignore[misc]

    def parameters(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = []
        for _name, key, constant, process in self.binds:
            value = params.get(key, constant)
            if value is _MISSING:
                raise InvalidRequestError(f"A value is required for bind parameter {key!r}")
            values.append(process(value) if process is not None else value)
        if self.positional:
            return values
        return {name: value for (name, *_), value in zip(self.binds, values, strict=True)}


def _result_columns(statement: Any) -> list[tuple[str, Any]] | None:
    """The (key, type) of each column a statement returns, or None when it returns no rows."""
    if isinstance(statement, SelectBase):
        return [(key, column.type) for key, column in statement.selected_columns.items()]
    descriptions = getattr(statement, "returning_column_descriptions", None)
    if descriptions:  # INSERT/UPDATE ... RETURNING
        return [(d["name"], d["type"]) for d in descriptions]
    return None


def _valid_names(columns: list[tuple[str, Any]]) -> bool:
    """Whether the row's keys can be a named tuple's fields as they are (no renaming)."""
    names = [name for name, _ in columns]
    return len(set(names)) == len(names) and all(
        name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_") for name in names
    )


def _plan_for(statement: Any, dialect: Dialect, keys: Sequence[str] | None) -> _Plan | None:
    """The statement compiled once, or None where running the compiled string alone would differ from
    `Connection.execute` (SQLAlchemy runs those): an INSERT whose missing columns have Python-side defaults,
    expanding or literal-execute parameters, parameters computed by a function at each execution, rows whose
    columns cannot be read back as they are named, or a statement whose rows are not described."""
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
    columns = _result_columns(statement)
    unsupported = (
        getattr(compiled, "insert_prefetch", None)
        or getattr(compiled, "update_prefetch", None)
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or any(bind.expanding or bind.callable is not None for bind in compiled.binds.values())
        or not isinstance(statement, (SelectBase, UpdateBase))  # text(): its rows are not described
        or (columns is not None and not _valid_names(columns))
    )
    return None if unsupported else _Plan(compiled, dialect, columns)


_CURSOR = "prepared.cursor"


def _cursor(connection: Connection) -> tuple[Any, Any]:
    """The driver connection, and a cursor of it kept for these statements while the pool keeps the
    connection (making a cursor is a tenth of a short statement's cost in psycopg). One thread uses a
    checked-out connection at a time; each statement's rows are fetched before the next runs; a statement
    that fails drops the cursor (`_forget_cursor`)."""
    fairy = connection.connection
    dbapi_connection = fairy.dbapi_connection
    kept = fairy.info.get(_CURSOR)
    if kept is None or kept[0] is not dbapi_connection:
        kept = fairy.info[_CURSOR] = (dbapi_connection, dbapi_connection.cursor())  # type: ignore[union-attr]
    return kept


def _forget_cursor(connection: Connection, cursor: Any) -> None:
    info = connection.connection.info if not connection.invalidated else {}
    kept = info.get(_CURSOR)
    if kept is not None and kept[1] is cursor:
        del info[_CURSOR]
    with contextlib.suppress(Exception):  # a cursor of a lost connection may fail to close: dropped either way
        cursor.close()


class Prepared:
    """A Core statement (built once, at import) run on the driver's cursor of a SQLAlchemy connection.

    `rows`, `first` and `scalar` run it in the connection's transaction (begun as `Connection.execute`
    begins it); an INSERT is compiled for the columns its parameters name (as SQLAlchemy does), once per
    set of columns. Rows are named tuples (attribute and index access; no `_mapping`). The engine's
    cursor listeners are called with no execution context, and a listener's rewritten SQL is not used.
    """

    def __init__(self, statement: Executable, *, insert: bool = False) -> None:
        self.statement = statement
        self.insert = insert
        self._plans: weakref.WeakKeyDictionary[Dialect, dict[Any, _Plan | None]] = weakref.WeakKeyDictionary()

    def _plan(self, dialect: Dialect, params: Mapping[str, Any]) -> _Plan | None:
        by_keys = self._plans.get(dialect)
        if by_keys is None:
            by_keys = self._plans.setdefault(dialect, {})
        keys = tuple(params) if self.insert else None
        plan = by_keys.get(keys, _MISSING)
        if plan is _MISSING:
            plan = by_keys[keys] = _plan_for(self.statement, dialect, keys)
        return plan  # type: ignore[return-value]

    def rows(self, connection: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Runs the statement in the connection's transaction; its rows (none for a statement without)."""
        params = params or {}
        plan = self._plan(connection.dialect, params)
        if plan is None:  # SQLAlchemy runs it (see `_plan_for`)
            result = connection.execute(self.statement, dict(params))
            return list(result) if result.returns_rows else []
        arguments = plan.parameters(params)
        if not connection.in_transaction():
            connection._autobegin()  # what Connection.execute does first (it also refuses a closed connection)
        _dbapi_connection, cursor = _cursor(connection)
        # SQLAlchemy's own test for listeners on the connection or its engine (asking the dispatcher for
        # its listeners builds a list on every call)
        events = connection._has_events or connection.engine._has_events
        try:
            if events:
                connection.dispatch.before_cursor_execute(connection, cursor, plan.sql, arguments, None, False)
            cursor.execute(plan.sql, arguments)
            if events:
                connection.dispatch.after_cursor_execute(connection, cursor, plan.sql, arguments, None, False)
            if not plan.returns_rows:
                return []
            fetched = cursor.fetchall()
            if plan.results is None:
                dialect = connection.dialect
                description = cursor.description
                results = [t.result_processor(dialect, d[1]) for t, d in zip(plan.types, description, strict=True)]
                plan.processed = [(i, process) for i, process in enumerate(results) if process is not None]
                plan.results = results
        except BaseException as exc:
            _forget_cursor(connection, cursor)  # a failed statement's cursor is not reused (nor left mid-read)
            if isinstance(exc, connection.dialect.loaded_dbapi.Error):
                # SQLAlchemy's own handling: its exception class, a lost connection invalidated with the
                # pool's older ones, the handle_error listeners
                connection._handle_dbapi_exception(exc, plan.sql, arguments, None, None)
            raise
        make, processed = plan.row._make, plan.processed
        if not processed:
            return [make(row) for row in fetched]
        out = []
        for row in fetched:
            values = list(row)
            for i, process in processed:  # only the columns that have a processor (dates on SQLite, numerics)
                values[i] = process(values[i])
            out.append(make(values))
        return out

    def first(self, connection: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """The first row, or None."""
        rows = self.rows(connection, params)
        return rows[0] if rows else None

    def scalar(self, connection: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        rows = self.rows(connection, params)
        return rows[0][0] if rows else None
