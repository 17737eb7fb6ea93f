"""Test fixtures: every API test runs on SQLite and, when configured, PostgreSQL.

- SQLite: a fresh file in a temporary folder, migrated with Alembic.
- PostgreSQL: the server named by TEST_DATABASE_URL (CI sets it), in a schema of
  this run's own (`chitieu_test_<pid>`, so parallel runs never meet), created and
  migrated at the start and dropped at the end.
  Without the variable the PostgreSQL cases are skipped, with the reason shown.

The schema is built by the real migrations (never create_all), once per backend
and run; after each test every table is emptied.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlmodel import Session

from app.config import Settings, normalize_database_url
from app.exchange.import_router import judging_after_imports_dropped
from app.main import create_app
from app.maintenance import empty_tables
from app.migrate import upgrade

from fastapi.testclient import TestClient

PG_ENV = "TEST_DATABASE_URL"
# Children first. api_key refers to organisations, so it goes before them.
TABLES = (
    "webhook_attempt", "webhook_delivery", "webhook_event", "webhook_subscription", "webhook_overdue_notice",
    "assessment", "submission_review", "submission", "target", "plan", "api_key", "organization", "audit_event", "idempotency_record",
)


def postgres_url(schema: str) -> str | None:
    """The PostgreSQL URL for a private schema, or None when not configured."""
    raw = os.environ.get(PG_ENV)
    if not raw:
        return None
    url = make_url(normalize_database_url(raw))
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def reset_postgres_schema(url: str, schema: str, *, create: bool = True) -> None:
    """Drops one schema and (unless told not to) creates it empty again."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        if create:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def private_schema(name: str) -> str:
    """A schema name no other test run uses at the same time."""
    return f"{name}_{os.getpid()}"


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """One migrated database per backend for the whole run."""
    urls: dict[str, str | None] = {}
    sqlite_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'chitieu-test.db'}"
    upgrade(sqlite_url)
    urls["sqlite"] = sqlite_url
    schema = private_schema("chitieu_test")
    pg = postgres_url(schema)
    if pg:
        reset_postgres_schema(pg, schema)
        upgrade(pg)
    urls["postgresql"] = pg
    yield urls
    # Judging due after the session's last imports runs now, not 2 s later on a schema dropped meanwhile.
    from app.exchange.import_router import judged_after_imports

    judged_after_imports()
    for application in _apps.values():
        application.state.engine.dispose()
    _apps.clear()
    if pg:
        reset_postgres_schema(pg, schema, create=False)


_apps: dict[str, object] = {}


@pytest.fixture(params=BACKENDS)
def backend(request, database_urls) -> str:
    """The backend name; skips PostgreSQL cases when no server is configured."""
    if database_urls[request.param] is None:
        pytest.skip(f"PostgreSQL tests skipped: set {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    return request.param


@pytest.fixture
def app(backend, database_urls):
    """The app on the backend's database; tables are emptied after the test."""
    if backend not in _apps:
        # Webhook receivers in the tests listen on loopback: allowed here, refused by default.
        _apps[backend] = create_app(Settings(database_url=database_urls[backend], webhooks_allow_private=True))
    application = _apps[backend]
    yield application
    # The test's judging after an import (2 s later, in a thread) is dropped or waited for, not left to run into
    # the emptying below or into the next test (its read held while its write queued behind the TRUNCATE).
    try:
        judging_after_imports_dropped()
    finally:  # a judging still running after its wait (a TimeoutError) must not leave the tables full
        with application.state.engine.begin() as conn:
            # submission and audit_event are append-only (triggers): emptying them is the owner's
            # maintenance act, which lifts the guard for this one transaction (app/maintenance.py).
            empty_tables(conn, TABLES)


def new_key(app, role: str = "admin", organization_id: int | None = None, name: str | None = None) -> str:
    """Creates an API key in the app's database (as the CLI would) and returns the secret."""
    from app.auth.models import ApiKeyCreate
    from app.auth.service import CLI, create_key
    from app.common.crud import transaction

    with Session(app.state.engine) as s, transaction(s):
        body = ApiKeyCreate(name=name or f"test {role}", role=role, organization_id=organization_id)
        return create_key(session=s, key_in=body, created_by=CLI)[1]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def admin_key(app) -> str:
    """The secret of an admin key, made fresh for the test."""
    return new_key(app, "admin", name="test admin")


@pytest.fixture
def client(app, admin_key) -> Iterator[TestClient]:
    """An HTTP client on the app, in process, sending an admin key; server errors come back as 500s.

    Tests about access use `anonymous` or `key_for` instead.
    """
    with TestClient(app, raise_server_exceptions=False, headers=bearer(admin_key)) as c:
        yield c


@pytest.fixture
def anonymous(app) -> Iterator[TestClient]:
    """An HTTP client without a key."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def key_for(app):
    """key_for(role, organization_id) -> headers carrying a new key of that role and scope."""

    def make(role: str, organization_id: int | None = None) -> dict[str, str]:
        return bearer(new_key(app, role, organization_id))

    return make


@pytest.fixture
def session(app) -> Iterator[Session]:
    """A session on the app's engine, for arranging data and checking what is stored."""
    with Session(app.state.engine) as s:
        yield s


@pytest.fixture
def seeded(app):
    """The seed plan with its sample figures; returns the SeedReport."""
    from app.seed import seed

    with Session(app.state.engine) as s:
        return seed(s)


# ------------------------------------------------------------------ builders


@pytest.fixture
def make(client):
    """Creates resources over the API and returns their JSON; fails loudly."""

    class Maker:
        n = 0

        def _post(self, path: str, body: dict) -> dict:
            r = client.post(path, json=body)
            assert r.status_code == 201, r.text
            return r.json()

        def org(self, **kw) -> dict:
            Maker.n += 1
            return self._post("/api/v1/organizations", {"code": f"ORG-{Maker.n}", "name": f"Org {Maker.n}", **kw})

        def plan(self, org_id: int | None = None, **kw) -> dict:
            Maker.n += 1
            org_id = org_id or self.org()["id"]
            body = {"code": f"P-{Maker.n}", "title": "Plan", "organization_id": org_id,
                    "start_date": "2019-01-01", "end_date": "2019-12-31", "state": "active", **kw}
            return self._post("/api/v1/plans", body)

        def target(self, plan_id: int, **kw) -> dict:
            Maker.n += 1
            body = {"code": f"T-{Maker.n}", "title": "Target", "unit": "%", "comparison": "at_least", "value": 90, **kw}
            return self._post(f"/api/v1/plans/{plan_id}/targets", body)

        def submission(self, target_id: int, **kw) -> dict:
            return self._post(f"/api/v1/targets/{target_id}/submissions", kw)

    return Maker()
