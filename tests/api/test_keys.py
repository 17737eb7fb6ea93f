"""API keys: made by admins (API) or the command line, shown once, stored only as a hash, revoked at once.

Runs on SQLite and PostgreSQL (the conftest `app`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.auth.cli import keys as keys_cli
from app.auth.models import ApiKey
from app.auth.service import LAST_USED_RESOLUTION, hash_key
from tests.api.helpers import API, assert_problem, assert_recent_aware
from tests.conftest import bearer, new_key

KEYS = f"{API}/api-keys"
SECRET_SHAPE = re.compile(r"^ct_[A-Za-z0-9_\-]{43}$")


def assert_401(response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


def set_column(app, key_id: int, **values) -> None:
    with Session(app.state.engine) as s:
        key = s.get(ApiKey, key_id)
        for name, value in values.items():
            setattr(key, name, value)
        s.commit()


def key_row(app, key_id: int) -> ApiKey:
    with Session(app.state.engine) as s:
        return s.get(ApiKey, key_id)


@pytest.fixture
def org(make) -> dict:
    return make.org()


# ------------------------------------------------------------------ creating, listing


def test_admin_creates_a_key_shown_once(client, anonymous, org):
    r = client.post(KEYS, json={"name": "Phòng Thống kê", "role": "reporter", "organization_id": org["id"]})
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["key"]
    assert SECRET_SHAPE.match(secret), secret
    assert created["prefix"] == secret[:11] and created["prefix"].startswith("ct_")
    assert (created["role"], created["organization_id"], created["revoked_at"], created["last_used_at"]) == (
        "reporter", org["id"], None, None,
    )
    assert_recent_aware(created["created_at"])
    assert "key_hash" not in created

    # The key works at once, with its role.
    assert anonymous.get(f"{API}/organizations/{org['id']}", headers=bearer(secret)).status_code == 200
    assert anonymous.get(KEYS, headers=bearer(secret)).status_code == 403

    # Listing and reading never show it (nor its hash) again.
    listed = client.get(KEYS)
    one = client.get(f"{KEYS}/{created['id']}")
    assert listed.status_code == one.status_code == 200
    for body in (listed.text, one.text):
        assert secret not in body and hash_key(secret) not in body and '"key"' not in body and "key_hash" not in body
    assert one.json() == {k: v for k, v in created.items() if k != "key"} | {"last_used_at": one.json()["last_used_at"]}
    assert created["id"] in [k["id"] for k in listed.json()["items"]]


def test_two_keys_never_share_a_secret(client, org):
    secrets = {client.post(KEYS, json={"name": f"k{i}", "role": "viewer", "organization_id": org["id"]}).json()["key"]
               for i in range(5)}
    assert len(secrets) == 5


@pytest.mark.parametrize("role", ["viewer", "reporter", "editor"])
def test_only_admins_manage_keys(anonymous, key_for, client, org, role):
    headers = key_for(role, org["id"])
    body = {"name": "x", "role": "viewer", "organization_id": org["id"]}
    for r in (
        anonymous.post(KEYS, json=body, headers=headers),
        anonymous.get(KEYS, headers=headers),
        anonymous.get(f"{KEYS}/1", headers=headers),
        anonymous.post(f"{KEYS}/1/revoke", headers=headers),
    ):
        assert r.status_code == 403 and r.json()["status"] == 403, r.text
    assert_401(anonymous.post(KEYS, json=body))
    assert_401(anonymous.get(KEYS))


def test_create_checks_its_input(client, org):
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert_problem(client.post(KEYS, json={"name": "x", "role": "editor"}), 422, fields={"organization_id"})
    assert_problem(client.post(KEYS, json={"name": "x", "role": "viewer", "organization_id": 999}), 422, fields={"organization_id"})
    assert_problem(client.post(KEYS, json={"name": "x", "role": "admin", "expires_at": past}), 422, fields={"expires_at"})
    assert_problem(client.post(KEYS, json={"name": "x", "role": "owner"}), 422, fields={"role"})
    assert_problem(client.post(KEYS, json={"name": "x", "role": "admin", "key": "ct_mine"}), 422)


# ------------------------------------------------------------------ keys that do not work


def test_revoked_key_is_refused_at_once(client, anonymous, org):
    created = client.post(KEYS, json={"name": "x", "role": "editor", "organization_id": org["id"]}).json()
    headers = bearer(created["key"])
    assert anonymous.patch(f"{API}/organizations/{org['id']}", json={"name": "a"}, headers=headers).status_code == 200
    r = client.post(f"{KEYS}/{created['id']}/revoke")
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert_401(anonymous.patch(f"{API}/organizations/{org['id']}", json={"name": "b"}, headers=headers))
    assert_401(anonymous.get(f"{API}/organizations/{org['id']}", headers=headers))  # even an open read
    # Listed only when asked for, and revoking twice keeps the first time.
    assert created["id"] not in [k["id"] for k in client.get(KEYS).json()["items"]]
    assert created["id"] in [k["id"] for k in client.get(KEYS, params={"include_revoked": "true"}).json()["items"]]
    again = client.post(f"{KEYS}/{created['id']}/revoke").json()
    assert again["revoked_at"] == r.json()["revoked_at"]
    assert_problem(client.post(f"{KEYS}/999999/revoke"), 404)


def test_an_admin_may_revoke_its_own_key(client):
    mine = client.get(KEYS).json()["items"][0]
    assert client.post(f"{KEYS}/{mine['id']}/revoke").status_code == 200
    assert_401(client.get(KEYS))


def test_expired_key_is_refused(app, client, anonymous, org):
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    created = client.post(KEYS, json={"name": "x", "role": "viewer", "organization_id": org["id"], "expires_at": soon}).json()
    headers = bearer(created["key"])
    assert anonymous.get(f"{API}/organizations", headers=headers).status_code == 200
    set_column(app, created["id"], expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert_401(anonymous.get(f"{API}/organizations", headers=headers))


def test_an_expiry_given_in_another_time_zone_is_that_instant(client, anonymous, org):
    """SQLite keeps a date-time's wall clock without its offset: the instant is stored in UTC, else a key given
    half an hour at UTC-05:00 was stored 4.5 hours in the past and refused at once."""
    instant = datetime.now(UTC) + timedelta(minutes=30)
    west = instant.astimezone(timezone(timedelta(hours=-5)))
    created = client.post(KEYS, json={"name": "x", "role": "viewer", "organization_id": org["id"], "expires_at": west.isoformat()})
    assert created.status_code == 201, created.text
    assert anonymous.get(f"{API}/organizations", headers=bearer(created.json()["key"])).status_code == 200
    listed = next(k for k in client.get(KEYS, params={"limit": 200}).json()["items"] if k["id"] == created.json()["id"])
    assert abs(datetime.fromisoformat(listed["expires_at"]) - instant) < timedelta(seconds=1)


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer    ", "Basic dXNlcjpwYXNz", "ct_abc", "Token ct_abc", "Bearer ct_unknown", "Bearer ct_a b"],
)
def test_malformed_or_unknown_authorization_is_401(anonymous, header):
    for method, path in (("GET", f"{API}/organizations"), ("POST", f"{API}/organizations")):
        r = anonymous.request(method, path, headers={"Authorization": header}, json={"code": "A", "name": "A"})
        assert_401(r)


def test_a_very_long_key_is_401_not_500(anonymous):
    assert_401(anonymous.get(f"{API}/organizations", headers={"Authorization": "Bearer " + "x" * 5000}))


# ------------------------------------------------------------------ last use


def test_last_used_at_is_noted_at_most_once_a_minute(app, anonymous, org, client):
    created = client.post(KEYS, json={"name": "x", "role": "viewer", "organization_id": org["id"]}).json()
    assert key_row(app, created["id"]).last_used_at is None
    headers = bearer(created["key"])
    assert anonymous.get(f"{API}/organizations", headers=headers).status_code == 200
    first = key_row(app, created["id"]).last_used_at
    assert first is not None
    assert anonymous.get(f"{API}/organizations", headers=headers).status_code == 200
    assert key_row(app, created["id"]).last_used_at == first  # within the resolution: no write
    long_ago = datetime.now(UTC) - LAST_USED_RESOLUTION - timedelta(seconds=5)
    set_column(app, created["id"], last_used_at=long_ago)
    assert anonymous.get(f"{API}/organizations", headers=headers).status_code == 200
    assert key_row(app, created["id"]).last_used_at.replace(tzinfo=UTC) > long_ago
    assert assert_recent_aware(client.get(f"{KEYS}/{created['id']}").json()["last_used_at"])


# ------------------------------------------------------------------ the command line


@pytest.fixture
def cli(database_urls, backend, app):
    """Runs `chitieu keys ...` against the test database of this backend."""
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(keys_cli, list(args), env={"DATABASE_URL": database_urls[backend]})
        return result

    return run


def test_cli_creates_lists_and_revokes(cli, app, anonymous, org):
    result = cli("create", "--name", "bootstrap", "--quiet")
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert SECRET_SHAPE.match(secret), result.output
    admin = bearer(secret)
    assert anonymous.get(KEYS, headers=admin).status_code == 200  # an admin key

    result = cli("create", "--name", "phường", "--role", "reporter", "--organization", org["code"])
    assert result.exit_code == 0, result.output
    reporter_secret = re.search(r"ct_[A-Za-z0-9_\-]{43}", result.output).group(0)
    listed = anonymous.get(KEYS, headers=admin).json()["items"]
    reporter = next(k for k in listed if k["name"] == "phường")
    assert (reporter["role"], reporter["organization_id"], reporter["created_by_key_id"]) == ("reporter", org["id"], None)

    result = cli("list")
    assert result.exit_code == 0 and "phường" in result.output and reporter_secret[:11] in result.output
    assert secret not in result.output and reporter_secret not in result.output

    result = cli("revoke", str(reporter["id"]))
    assert result.exit_code == 0, result.output
    assert_401(anonymous.get(f"{API}/organizations", headers=bearer(reporter_secret)))
    assert "phường" not in cli("list").output and "revoked" in cli("list", "--include-revoked").output

    # The command line is named in the audit trail.
    with Session(app.state.engine) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity_id == reporter["id"], AuditEvent.entity == "api_key")).all()
    assert [(e.action, e.actor, e.actor_key_id) for e in events] == [("key_create", "cli", None), ("key_revoke", "cli", None)]


def test_cli_refuses_bad_input(cli):
    result = cli("create", "--role", "editor", "--organization", "NO-SUCH-ORG")
    assert result.exit_code == 2 and "NO-SUCH-ORG" in result.output
    result = cli("create", "--role", "editor")
    assert result.exit_code == 2 and "organization_id" in result.output
    assert cli("revoke", "999999").exit_code == 2


# ------------------------------------------------------------------ the secret is never stored


def _every_text_value(app) -> list[str]:
    """Every text or binary value of every column of every table, as text."""
    values: list[str] = []
    with app.state.engine.connect() as conn:
        for table in sa_inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        values.append(bytes(value).decode("latin-1"))
                    elif value is not None:
                        values.append(str(value))
    return values


def _raw_database_text(app, backend: str) -> str:
    """SQLite: the database and WAL files' bytes; PostgreSQL: every row of every table cast to text."""
    engine = app.state.engine
    if backend == "sqlite":
        path = Path(engine.url.database)
        return "".join(p.read_bytes().decode("latin-1") for p in (path, Path(f"{path}-wal")) if p.exists())
    with engine.connect() as conn:
        tables = sa_inspect(conn).get_table_names()
        return "\n".join(
            str(row[0]) for table in tables for row in conn.execute(text(f'SELECT CAST(t AS text) FROM "{table}" AS t'))
        )


def test_the_secret_is_stored_nowhere_only_its_hash(app, client, anonymous, backend, org, cli):
    # Keys made every way, then used: reads, writes, a refused write, a revocation.
    api_made = client.post(KEYS, json={"name": "api", "role": "editor", "organization_id": org["id"]}).json()
    cli_made = cli("create", "--name", "cli", "--quiet").output.strip()
    helper_made = new_key(app, "viewer", org["id"])
    secrets = [api_made["key"], cli_made, helper_made]
    for secret in secrets:
        headers = bearer(secret)
        anonymous.get(f"{API}/organizations/{org['id']}", headers=headers)
        anonymous.patch(f"{API}/organizations/{org['id']}", json={"kind": "tỉnh"}, headers=headers)
        anonymous.post(f"{API}/organizations", json={"code": org["code"], "name": "dup"}, headers=headers)
    assert client.post(f"{KEYS}/{api_made['id']}/revoke").status_code == 200

    stored = _every_text_value(app)
    raw = _raw_database_text(app, backend)
    assert stored and raw
    for secret in secrets:
        assert all(secret not in value for value in stored), "a key is stored in clear"
        assert secret not in raw, "a key is in the database's bytes"
        # Not even the part after the prefix that is kept for display.
        assert secret[11:] not in raw
        assert hash_key(secret) in stored and hash_key(secret) in raw
