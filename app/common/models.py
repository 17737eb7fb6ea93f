"""Table-model basics: the metadata naming convention, timestamp helpers, a table model's table and
the text of the JSON columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

import pydantic_core
from sqlalchemy import DateTime, Integer, Table, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Field, SQLModel


def json_text(value: object) -> str:
    """The text a JSON column stores (the engine's `json_serializer`, and the import's COPY of audit events):
    compact, UTF-8 as it is, written by pydantic's serializer (about 4 times faster than `json.dumps` on
    an audit event: 100,000 of them an import of 100,000 figures, issue 17)."""
    return pydantic_core.to_json(value).decode()


# Named constraints make migrations reproducible on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def table_of(model: type[SQLModel]) -> Table:
    """The table of a table model (`Model.__table__`), for Core statements on its columns (`table_of(Plan).c.id`)."""
    table: Table = model.__table__  # type: ignore[attr-defined]  # set by SQLAlchemy's declarative metaclass; SQLModel's typing omits it
    return table


class Stored(Protocol):
    """A table row with a database-assigned id."""

    @property
    def id(self) -> int | None: ...


class next_id(FunctionElement[int]):  # lower case: used as a SQL function, next_id("submission")
    """The next value of a table's `id` sequence, as a column of a query: a new row's id taken ahead of its
    INSERT, in a round trip the caller makes anyway (POST a figure: app.targets.deps.reportable), so the row
    and what names it (its audit event) go in together. PostgreSQL: `nextval` of the serial's sequence;
    elsewhere NULL (SQLite gives a row its id as it is inserted)."""

    type = Integer()
    inherit_cache = True
    name = "next_id"

    def __init__(self, table_name: str) -> None:
        if not table_name.isidentifier():
            raise ValueError(f"next_id: not a table name: {table_name!r}")
        super().__init__(literal_column(f"'{table_name}'"))  # a constant, not a bound parameter


@compiles(next_id, "postgresql")
def _next_id_postgresql(element: next_id, compiler, **kw) -> str:
    return f"nextval(pg_get_serial_sequence({compiler.process(element.clauses, **kw)}, 'id'))"


@compiles(next_id)
def _next_id_elsewhere(element: next_id, compiler, **kw) -> str:
    return "NULL"


def stored_id(row: Stored) -> int:
    """The id of a stored row (set by the database: None only before the row is flushed).
    Used by the domain services and the exchange."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: it has not been stored")
    return row.id


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time as timezone-aware UTC (SQLite hands back naive values, all UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def created_at_field():
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class Timestamped(SQLModel):
    """created_at / updated_at columns, set by the server."""

    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
