"""The migrations are the schema: upgrading an empty database gives exactly the
models' schema, on SQLite and PostgreSQL, and downgrading removes it again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401 - registers every table
from app.migrate import downgrade, upgrade
from tests.conftest import PG_ENV, postgres_url, private_schema, reset_postgres_schema

SCHEMA = private_schema("chitieu_migrations")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path):
    """An empty database of each kind, private to this test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = postgres_url(SCHEMA)
    if url is None:
        pytest.skip(f"PostgreSQL tests skipped: set {PG_ENV}")
    reset_postgres_schema(url, SCHEMA)
    yield url
    reset_postgres_schema(url, SCHEMA, create=False)


def _differences(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    return diff


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_upgrade_gives_exactly_the_models_schema(empty_database):
    upgrade(empty_database)
    assert _differences(empty_database) == []
    assert _tables(empty_database) == set(SQLModel.metadata.tables) | {"alembic_version"}


def test_downgrade_removes_everything_and_upgrade_works_again(empty_database):
    upgrade(empty_database)
    downgrade(empty_database, "base")
    assert _tables(empty_database) <= {"alembic_version"}
    upgrade(empty_database)
    assert _differences(empty_database) == []


def test_differences_are_detected(empty_database):
    """The comparison can fail: a missing table is reported."""
    upgrade(empty_database)
    engine = create_engine(empty_database)
    with engine.begin() as conn:
        # CASCADE on PostgreSQL: submission_review refers to it (SQLite checks no foreign keys here).
        conn.exec_driver_sql("DROP TABLE submission" + (" CASCADE" if conn.dialect.name == "postgresql" else ""))
    engine.dispose()
    assert any(d[0] == "add_table" and d[1].name == "submission" for d in _differences(empty_database))
