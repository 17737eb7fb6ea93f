"""Issue 12, items 5 and 10: one Authorization header; safe answer headers; docs that can be turned off."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.api.helpers import API, assert_problem
from tests.conftest import bearer, new_key


# ------------------------------------------------------------------ item 5: two Authorization headers


def test_two_authorization_headers_are_400_and_store_nothing(app, make, anonymous, admin_key):
    plan = make.plan()
    target = make.target(plan["id"])
    other = new_key(app, "admin", name="second admin")
    headers = [("authorization", f"Bearer {admin_key}"), ("authorization", f"Bearer {other}"),
               ("idempotency-key", "retry-1"), ("content-type", "application/json")]
    body = b'{"value": 5, "period_date": "2019-06-30", "organization_id": %d}' % plan["organization_id"]
    for _ in range(3):
        r = anonymous.post(f"{API}/targets/{target['id']}/submissions", content=body, headers=headers)
        problem = assert_problem(r, 400, fields={"header.authorization"})
        assert "one Authorization header" in problem["detail"]
    figures = anonymous.get(f"{API}/targets/{target['id']}/submissions", headers=bearer(admin_key)).json()
    assert figures["total"] == 0
    # A GET with two headers is refused too (which key would it be?).
    assert anonymous.get(f"{API}/plans", headers=headers[:2]).status_code == 400


# ------------------------------------------------------------------ item 10: headers


def test_every_answer_says_nosniff_and_keyed_answers_are_not_stored(anonymous, client, make):
    plan = make.plan()
    for r in (anonymous.get(f"{API}/plans/{plan['id']}"), anonymous.get(f"{API}/plans/999999"),
              anonymous.get("/healthz"), anonymous.get(f"{API}/plans/{plan['id']}/export")):
        assert r.headers["x-content-type-options"] == "nosniff", r.headers
        assert "no-store" not in r.headers.get("cache-control", "")  # public reads may be cached
        assert "server" not in r.headers
    for r in (client.get(f"{API}/plans/{plan['id']}"), client.get(f"{API}/audit-events"), client.get(f"{API}/nowhere"),
              client.post(f"{API}/plans", json={})):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-store"


def test_docs_and_openapi_can_be_turned_off(database_urls):
    off = create_app(Settings(database_url=database_urls["sqlite"], api_docs=False))
    on = create_app(Settings(database_url=database_urls["sqlite"]))
    try:
        with TestClient(off, raise_server_exceptions=False) as c:
            for path in ("/docs", "/redoc", "/openapi.json"):
                assert c.get(path).status_code == 404, path
            assert c.get("/healthz").status_code == 200
            # 405 still names the allowed methods (built from the document, which still exists in-process).
            assert c.put(f"{API}/plans").headers["allow"] == "GET, POST"
        with TestClient(on) as c:
            assert c.get("/openapi.json").status_code == 200
    finally:
        off.state.engine.dispose()
        on.state.engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_served_api_sends_no_server_header(tmp_path):
    """`chitieu serve` (as `make run` and the Dockerfile: --no-server-header): no `server: uvicorn`."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
    root = Path(__file__).resolve().parents[2]  # this checkout's app, as `chitieu serve` runs it
    # `chitieu serve` refuses a database without tables (issue 16: "run `chitieu migrate` first")
    migrated = subprocess.run([sys.executable, "-c", "from app.cli import main; main()", "migrate"], env=env, cwd=root,
                              capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    proc = subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)],
                            env=env, cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("the server did not start")
                time.sleep(0.2)
        assert r.status_code == 200
        assert "server" not in r.headers, r.headers
        assert r.headers["x-content-type-options"] == "nosniff"
    finally:
        proc.terminate()
        proc.wait(10)


# ------------------------------------------------------------------ item 10: input text and URLs


@pytest.mark.parametrize("field,value", [
    ("title", "Tỷ lệ \u202eevil\u202c"),  # right-to-left override
    ("title", "Tỷ lệ \u2066hộ\u2069"),  # isolate
    ("title", "line one\nline two"),
    ("title", "tab\there"),
    ("unit", "%\u200f"),
    ("category", "kinh\x1btế"),
    ("code", "T-\u202e1"),
])
def test_names_titles_and_codes_refuse_control_and_bidi_characters(client, make, field, value):
    plan = make.plan()
    body = {"code": "T-1", "title": "Target", "unit": "%", "comparison": "at_least", "value": 90, field: value}
    r = client.post(f"{API}/plans/{plan['id']}/targets", json=body)
    assert_problem(r, 422, fields={field})


def test_long_text_keeps_newlines_and_tabs_but_not_other_controls(client, make):
    plan = make.plan()
    ok = {"code": "T-1", "title": "Target", "comparison": "at_least", "value": 90, "notes": "a\nb\r\n\tc"}
    assert client.post(f"{API}/plans/{plan['id']}/targets", json=ok).status_code == 201
    bad = {**ok, "code": "T-2", "notes": "a \u202e b"}
    assert_problem(client.post(f"{API}/plans/{plan['id']}/targets", json=bad), 422, fields={"notes"})
    assert_problem(client.post(f"{API}/organizations", json={"code": "X-1", "name": "Ward\u202e"}), 422, fields={"name"})


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>", "ftp://example.org/x",
                                 "file:///etc/passwd", "http://", "https://exa mple.org"])
def test_evidence_url_is_http_or_https(client, make, url):
    plan = make.plan()
    target = make.target(plan["id"])
    body = {"value": 1, "period_date": "2019-06-30", "organization_id": plan["organization_id"], "evidence_url": url}
    assert_problem(client.post(f"{API}/targets/{target['id']}/submissions", json=body), 422, fields={"evidence_url"})


def test_http_and_https_evidence_is_accepted(client, make):
    plan = make.plan()
    target = make.target(plan["id"])
    for i, url in enumerate(("https://stat.example.vn/2019.pdf", "HTTP://example.org/a?b=c", "")):
        body = {"value": 1, "period_date": f"2019-06-{10 + i}", "organization_id": plan["organization_id"], "evidence_url": url}
        assert client.post(f"{API}/targets/{target['id']}/submissions", json=body).status_code == 201
