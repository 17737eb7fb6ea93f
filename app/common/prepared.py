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
- statements it cannot run as compiled once: an INSERT whose missing columns have Python-side
  defaults, expanding (IN) or literal-execute parameters: `Prepared` hands those to
  `Connection.execute` (checked once per statement, dialect and set of INSERT columns);
- errors: a driver error is raised as SQLAlchemy's own exception class for it
  (`DBAPIError.instance`: an `IntegrityError` is an `IntegrityError`), and a lost connection is
  invalidated as SQLAlchemy does;
- the engine's `before_cursor_execute` / `after_cursor_execute` listeners are called when there
  are any (the tests' statement counts see these statements as they see all others).
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable, SelectBase

_MISSING = object()


class _Plan:
    """A statement compiled for one dialect (and one set of INSERT columns), with its processors."""

    __slots__ = ("sql", "positional", "binds", "row", "types", "results", "processed", "returns_rows")

    def __init__(self, statement: Any, dialect: Dialect, keys: Sequence[str] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        self.sql: str = compiled.string
        self.positional: bool = bool(compiled.positional)
        names = list(compiled.positiontup or []) if self.positional else list(compiled.binds)
        # (name in the compiled statement, key in the caller's parameters, constant value, bind processor)
        self.binds: list[tuple[str, str, Any, Callable[[Any], Any] | None]] = []
        for name in names:
            bind = compiled.binds[name]
            # a parameter the caller gives (`bindparam("target_id")`, an INSERT's column), or a constant of the
            # statement (`column != "retraction"`), given by the caller never
            constant = _MISSING if bind.required else bind.callable() if bind.callable is not None else bind.value
            self.binds.append((name, bind.key, constant, bind.type.dialect_impl(dialect).bind_processor(dialect)))
        columns = _result_columns(statement)
        self.returns_rows = columns is not None
        self.row: Any = None
        self.types = [type_.dialect_impl(dialect) for _, type_ in columns or ()]
        # the result processors, from the first run's cursor description: some depend on the type the
        # database names for the column (psycopg's numeric: Decimal or float), as in SQLAlchemy's results
        self.results: list[Callable[[Any], Any] | None] | None = None
        self.processed: list[tuple[int, Callable[[Any], Any]]] = []  # (column, processor) of those that have one
        if columns is not None:
            self.row = namedtuple("Row", [name for name, _ in columns], rename=True)  # type: ignore[misc]

    def parameters(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = []
        for _name, key, constant, process in self.binds:
            value = params.get(key, constant)
            if value is _MISSING:
                raise KeyError(f"no value for the bind parameter {key!r}")
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


def _unsupported(statement: Any, dialect: Dialect, keys: Sequence[str] | None) -> bool:
    """Whether running the compiled string alone would differ from `Connection.execute`."""
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
    return bool(
        getattr(compiled, "insert_prefetch", None)
        or getattr(compiled, "update_prefetch", None)
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or any(bind.expanding for bind in compiled.binds.values())
    )


_CURSOR = "prepared.cursor"


def _cursor(connection: Connection) -> tuple[Any, Any]:
    """The driver connection, and a cursor of it kept for these statements while the pool keeps the
    connection (making a cursor is a tenth of a short statement's cost in psycopg). One thread uses a
    checked-out connection at a time; each statement's rows are fetched before the next runs."""
    fairy = connection.connection
    dbapi_connection = fairy.dbapi_connection
    kept = fairy.info.get(_CURSOR)
    if kept is None or kept[0] is not dbapi_connection:
        kept = fairy.info[_CURSOR] = (dbapi_connection, dbapi_connection.cursor())  # type: ignore[union-attr]
    return kept


class Prepared:
    """A Core statement (built once, at import) run on the driver's cursor of a SQLAlchemy connection.

    `rows`, `first` and `scalar` run it; an INSERT is compiled for the columns its parameters name
    (as SQLAlchemy does), once per set of columns.
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
            plan = None if _unsupported(self.statement, dialect, keys) else _Plan(self.statement, dialect, keys)
            by_keys[keys] = plan
        return plan  # type: ignore[return-value]

    def rows(self, connection: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Runs the statement in the connection's transaction; its rows (none for a statement without)."""
        params = params or {}
        plan = self._plan(connection.dialect, params)
        if plan is None:  # SQLAlchemy runs it (see the module's docstring)
            result = connection.execute(self.statement, dict(params))
            return list(result) if result.returns_rows else []
        arguments = plan.parameters(params)
        dbapi_connection, cursor = _cursor(connection)
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
        except connection.dialect.loaded_dbapi.Error as exc:
            wrapped = DBAPIError.instance(
                plan.sql, arguments, exc, connection.dialect.loaded_dbapi.Error, dialect=connection.dialect
            )
            if connection.dialect.is_disconnect(exc, dbapi_connection, cursor):
                connection.invalidate(exc)
            raise wrapped from exc
        make, processed = plan.row._make, plan.processed
        if not processed:
            return [make(row) for row in fetched]
        out = []
        for row in fetched:
            values = list(row)
            for i, process in processed:  # only the columns that have a processor (dates on SQLite, numerics)
                value = values[i]
                if value is not None:
                    values[i] = process(value)
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
