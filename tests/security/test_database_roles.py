"""Issue 12, items 6 and 7: the append-only guard on both databases, and on PostgreSQL an API role that
cannot lift it (migrations as the owner, the API as a role with INSERT/SELECT only on those tables)."""

from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings, normalize_database_url
from app.main import create_app
from tests.api.helpers import API
from tests.conftest import PG_ENV, bearer, new_key, postgres_url, private_schema, reset_postgres_schema

APPEND_ONLY = ("submission", "submission_review", "audit_event")


# ------------------------------------------------------------------ item 6: both databases


@pytest.mark.parametrize("statement", [
    "UPDATE submission SET value = 1", "DELETE FROM submission",
    "UPDATE audit_event SET actor = 'forged'", "DELETE FROM audit_event",
])
def test_the_database_refuses_rewriting_figures_and_the_trail(app, make, statement):
    plan = make.plan()
    make.submission(make.target(plan["id"])["id"], value=1, period_date="2019-06-30", organization_id=plan["organization_id"])
    with pytest.raises(DBAPIError, match="append-only"):
        with app.state.engine.begin() as conn:
            conn.execute(text(statement))


def test_the_guard_triggers_exist_at_head(app, backend):
    """A SQLite batch migration that rebuilds submission or audit_event drops their triggers: this notices."""
    with app.state.engine.connect() as conn:
        if backend == "sqlite":
            names = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
            expected = {f"{t}_append_only_{op}" for t in APPEND_ONLY for op in ("update", "delete")}
        else:
            names = set(conn.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text IN ('submission', 'submission_review', 'audit_event')"
            ).scalars())
            expected = {f"{t}_append_only" for t in APPEND_ONLY} | {f"{t}_no_truncate" for t in APPEND_ONLY}
    assert expected <= names


# ------------------------------------------------------------------ item 7: PostgreSQL roles


@pytest.fixture
def roles_database(monkeypatch):
    """A private schema migrated by the owner through `chitieu migrate`, and an API role made for this run."""
    if not os.environ.get(PG_ENV):
        pytest.skip(f"PostgreSQL tests skipped: set {PG_ENV}")
    schema = private_schema("chitieu_roles")
    role = f"chitieu_api_{os.getpid()}"
    owner_url = postgres_url(schema)
    reset_postgres_schema(owner_url, schema)
    admin = create_engine(normalize_database_url(os.environ[PG_ENV]))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
    api_url = make_url(owner_url).set(username=role).render_as_string(hide_password=False)
    monkeypatch.setenv("MIGRATION_DATABASE_URL", owner_url)
    monkeypatch.setenv("DATABASE_URL", api_url)
    monkeypatch.setenv("DATABASE_APP_ROLE", role)
    try:
        result = CliRunner().invoke(cli, ["migrate"])
        assert result.exit_code == 0, result.output
        assert f"granted role {role}" in result.output
        yield owner_url, api_url
    finally:
        reset_postgres_schema(owner_url, schema, create=False)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
        admin.dispose()


@pytest.mark.postgres
def test_the_owner_cannot_truncate_the_append_only_tables(roles_database):
    owner_url, _ = roles_database
    engine = create_engine(owner_url)
    try:
        for table in APPEND_ONLY:
            with pytest.raises(DBAPIError, match="append-only: TRUNCATE refused"):
                with engine.begin() as conn:
                    conn.exec_driver_sql(f"TRUNCATE {table} CASCADE")
        with pytest.raises(DBAPIError, match="append-only: TRUNCATE refused"):  # reached through a cascade too
            with engine.begin() as conn:
                conn.exec_driver_sql("TRUNCATE target CASCADE")
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_api_runs_as_a_role_that_cannot_lift_the_guard(roles_database):
    _, api_url = roles_database
    application = create_app(Settings(database_url=api_url))
    try:
        with TestClient(application, raise_server_exceptions=False, headers=bearer(new_key(application, "admin"))) as c:
            org = c.post(f"{API}/organizations", json={"code": "ROLE-1", "name": "Org"}).json()
            plan = c.post(f"{API}/plans", json={"code": "P-R", "title": "Plan", "organization_id": org["id"],
                                                "start_date": "2019-01-01", "end_date": "2019-12-31", "state": "active"}).json()
            target = c.post(f"{API}/plans/{plan['id']}/targets",
                            json={"code": "T-1", "title": "Target", "comparison": "at_least", "value": 90}).json()
            body = {"value": 50, "period_date": "2019-06-30", "organization_id": org["id"]}
            first = c.post(f"{API}/targets/{target['id']}/submissions", json=body, headers={"Idempotency-Key": "r-1"})
            assert first.status_code == 201, first.text
            again = c.post(f"{API}/targets/{target['id']}/submissions", json=body, headers={"Idempotency-Key": "r-1"})
            assert again.headers.get("idempotent-replayed") == "true"
            correction = c.post(f"{API}/submissions/{first.json()['id']}/corrections",
                                json={**body, "value": 60, "reason": "số chính thức"})
            assert correction.status_code == 201, correction.text
            for day in ("2019-03-31", "2019-06-30", "2019-09-30", "2019-10-31", "2019-11-30", "2019-12-31"):
                assert c.get(f"{API}/plans/{plan['id']}/status", params={"as_of": day}).status_code == 200
            csv = (f"target_code,organization_code,period_date,value\nT-1,ROLE-1,2019-09-30,70\n").encode()
            imported = c.post(f"{API}/plans/{plan['id']}/import/submissions", files={"file": ("f.csv", csv, "text/csv")})
            assert imported.status_code == 200 and imported.json()["stored"], imported.text
            assert c.get(f"{API}/plans/{plan['id']}/export", params={"content": "submissions"}).status_code == 200
            # Approval: the API role inserts reviews (and, through the trigger, moves target_figures).
            assert c.patch(f"{API}/plans/{plan['id']}", json={"approval_required": True}).status_code == 200
            reporter = bearer(new_key(application, "reporter", org["id"]))
            sent = c.post(f"{API}/targets/{target['id']}/submissions", headers=reporter,
                          json={"value": 80, "period_date": "2019-08-31", "organization_id": org["id"]})
            assert sent.status_code == 201 and sent.json()["review"] == "submitted", sent.text
            approved = c.post(f"{API}/submissions/{sent.json()['id']}/approve")
            assert approved.status_code == 201, approved.text
            assert c.get(f"{API}/audit-events").json()["total"] >= 6
            assert c.delete(f"{API}/plans/{plan['id']}").status_code == 200  # archived (it has figures)
        refused = [
            ("UPDATE submission SET value = 1", "permission denied"),
            ("DELETE FROM audit_event", "permission denied"),
            ("UPDATE submission_review SET reason = 'x'", "permission denied"),
            ("TRUNCATE submission", "permission denied"),
            ("ALTER TABLE submission DISABLE TRIGGER USER", "must be owner"),
            ("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only", "must be owner"),
            ("SET session_replication_role = replica", "permission denied"),
            ("DROP TABLE audit_event", "must be owner"),
        ]
        for statement, message in refused:
            with pytest.raises(DBAPIError, match=message):
                with application.state.engine.begin() as conn:
                    conn.exec_driver_sql(statement)
    finally:
        application.state.engine.dispose()
