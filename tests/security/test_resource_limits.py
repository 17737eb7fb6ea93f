"""Issue 12, item 11: stored answers capped and purged on a schedule; imports and exports hold no
database connection while they compute, and a worker runs a bounded number of them at once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from app.common.models import utcnow
from app.exchange import exporter, importer
from app.idempotency import store
from tests.api.helpers import API, PROBLEM, assert_problem

T = store.TABLE


def _post(client, path: str, body: dict, key: str):
    return client.post(path, json=body, headers={"Idempotency-Key": key})


# ------------------------------------------------------------------ stored answers


def test_an_answer_over_the_cap_is_not_stored(client, app, make, monkeypatch):
    monkeypatch.setattr(store, "MAX_ANSWER_BYTES", 64, raising=False)
    plan = make.plan()
    target = make.target(plan["id"])
    path = f"{API}/targets/{target['id']}/submissions"
    body = {"value": 5, "period_date": "2019-06-30", "organization_id": plan["organization_id"]}
    assert _post(client, path, body, "big-1").status_code == 201
    retry = _post(client, path, body, "big-1")
    assert retry.status_code == 409 and retry.json()["type"].endswith("idempotency-answer-lost"), retry.text
    assert client.get(f"{API}/targets/{target['id']}/submissions").json()["total"] == 1  # never written twice
    # A refusal (nothing written) too large to keep leaves no record: the retry runs again.
    bad = {**body, "value": "not a number"}
    assert _post(client, path, bad, "big-2").status_code == 422
    again = _post(client, path, bad, "big-2")
    assert again.status_code == 422 and "idempotent-replayed" not in again.headers
    with app.state.engine.connect() as conn:
        sizes = conn.execute(select(func.length(T.c.response_body)).where(T.c.response_body.is_not(None))).scalars().all()
    assert all(size <= 64 for size in sizes)


def test_expired_records_are_purged_on_a_schedule_without_any_write(app):
    old = utcnow() - timedelta(hours=30)
    rows = [{"owner": "someone", "key": f"old-{n}", "fingerprint": "f", "state": "done", "created_at": old,
             "expires_at": old + store.TTL} for n in range(2 * store.PURGE_ALL_BATCH + 50)]
    fresh = {"owner": "someone", "key": "fresh", "fingerprint": "f", "state": "done", "created_at": utcnow(),
             "expires_at": utcnow() + store.TTL}
    with app.state.engine.begin() as conn:
        conn.execute(insert(T), [*rows, fresh])
    app.state.settings.__dict__["idempotency_purge_seconds"] = 0.05
    try:
        with TestClient(app):  # the worker's lifespan runs the purge
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with app.state.engine.connect() as conn:
                    left = conn.execute(select(T.c.key)).scalars().all()
                if left == ["fresh"]:
                    break
                time.sleep(0.05)
    finally:
        app.state.settings.__dict__["idempotency_purge_seconds"] = 600.0
    assert left == ["fresh"]


# ------------------------------------------------------------------ no connection held while computing


@pytest.fixture
def checked_out(app, monkeypatch):
    """Records how many connections the app's pool has out when parsing and rendering run."""
    seen: dict[str, list[int]] = {}

    def watch(module, name):
        original = getattr(module, name)

        def watched(*args, **kwargs):
            seen.setdefault(name, []).append(app.state.engine.pool.checkedout())
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, watched)

    watch(importer, "read")
    for name in ("to_csv", "to_xlsx", "to_json_bytes"):
        watch(exporter, name)
    return seen


def test_import_parses_and_export_renders_without_a_connection(client, make, checked_out):
    plan = make.plan()
    make.target(plan["id"], code="T-1")
    for fmt in ("csv", "xlsx", "json"):
        assert client.get(f"{API}/plans/{plan['id']}/export", params={"content": "targets", "format": fmt}).status_code == 200
    r = client.get(f"{API}/plans/{plan['id']}/export", params={"content": "bundle"})
    assert r.status_code == 200
    data = client.get(f"{API}/plans/{plan['id']}/export", params={"content": "targets", "format": "csv"}).content
    r = client.post(f"{API}/plans/{plan['id']}/import/targets", files={"file": ("t.csv", data, "text/csv")})
    assert r.status_code == 200 and r.json()["counts"]["ignored"] == 1, r.text
    assert set(checked_out) == {"read", "to_csv", "to_xlsx", "to_json_bytes"}
    assert all(n == 0 for counts in checked_out.values() for n in counts), checked_out


# ------------------------------------------------------------------ a cap on concurrent imports and exports


def test_imports_and_exports_beyond_the_workers_cap_are_503_with_retry_after(client, app, make):
    from app.slots import slots_of

    plan = make.plan()
    slots = slots_of(app)
    taken = 0
    while slots.try_take():  # as if that many imports and exports were running
        taken += 1
    assert taken == app.state.settings.max_concurrent_exchange
    try:
        r = client.get(f"{API}/plans/{plan['id']}/export")
        assert r.status_code == 503 and r.headers["content-type"] == PROBLEM, r.text
        assert int(r.headers["retry-after"]) > 0
        r = client.post(f"{API}/plans/{plan['id']}/import/targets", files={"file": ("t.csv", b"code,title,comparison\n", "text/csv")})
        assert r.status_code == 503 and "retry-after" in r.headers
    finally:
        for _ in range(taken):
            slots.give_back()
    assert client.get(f"{API}/plans/{plan['id']}/export").status_code == 200
    # Reads that are not imports or exports never wait for a slot.
    assert client.get(f"{API}/plans/{plan['id']}/status").status_code == 200
