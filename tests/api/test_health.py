"""Health endpoints: liveness always answers, readiness names the database that answered."""

from __future__ import annotations


def test_healthz_answers_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"status": "ok"}


def test_readyz_reports_the_database_that_answered(client, backend):
    """readyz runs a query on the app's database and names its dialect."""
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": backend}
