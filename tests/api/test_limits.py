"""Limits (issue 4): body sizes (413), page size, string lengths, finite bounded numbers, NUL,
unknown fields. Every refusal is an RFC 9457 problem with a 4xx status, never a 500.
"""

from __future__ import annotations

import json

import anyio
import pytest

from app.limits import MAX_BODY_BYTES, MAX_IMPORT_BYTES, MIB, body_limit
from app.exchange import import_router
from app.idempotency.models import IdempotencyRecord
from tests.api.helpers import API, PROBLEM, PROBLEM_BASE, assert_problem, post_raw, total

ORGS = f"{API}/organizations"


def assert_too_large(response, limit_mib: int) -> dict:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "payload-too-large" and body["status"] == 413
    assert body["title"] == "Payload too large"
    assert body["detail"] == f"The request body is larger than {limit_mib} MiB."
    assert body["instance"] == response.request.url.path
    return body


def padded(body: dict, size: int) -> bytes:
    """The JSON of `body`, padded with trailing whitespace (still valid JSON) to exactly `size` bytes."""
    raw = json.dumps(body).encode()
    return raw + b" " * (size - len(raw))


@pytest.fixture
def world(make):
    org = make.org()
    plan = make.plan(org["id"])
    target = make.target(plan["id"])
    return {"org": org, "plan": plan, "target": target}


# ------------------------------------------------------------------ body size


def test_the_numbers_have_one_home():
    assert (MAX_BODY_BYTES, MAX_IMPORT_BYTES) == (1 * MIB, 5 * MIB)
    assert import_router.MAX_UPLOAD_BYTES == MAX_IMPORT_BYTES
    assert body_limit("/api/v1/plans/7/import/targets") == MAX_IMPORT_BYTES
    assert body_limit("/api/v1/plans/7/import/submissions") == MAX_IMPORT_BYTES
    assert body_limit("/api/v1/plans/7/parse") == MAX_IMPORT_BYTES  # 200,000 characters of escaped JSON
    for path in ("/api/v1/organizations", "/api/v1/plans/7/targets", "/api/v1/plans/7/parse/x", "/healthz"):
        assert body_limit(path) == MAX_BODY_BYTES


def test_a_body_of_exactly_1_mib_is_read(client):
    r = post_raw(client, ORGS, padded({"code": "BIG", "name": "n"}, MAX_BODY_BYTES))
    assert r.status_code == 201, r.text


def test_a_declared_body_over_1_mib_is_413_and_stores_nothing(client, app):
    r = client.post(ORGS, content=padded({"code": "BIG", "name": "n"}, MAX_BODY_BYTES + 1),
                    headers={"content-type": "application/json", "Idempotency-Key": "big"})
    assert "content-length" in r.request.headers
    assert_too_large(r, 1)
    assert total(client, ORGS) == 0
    with app.state.engine.connect() as conn:  # refused before the idempotency layer claimed the key
        assert conn.execute(IdempotencyRecord.__table__.select()).all() == []


def test_a_chunked_body_over_1_mib_is_413(client):
    def chunks():
        yield b'{"code": "BIG", "name": "n"'
        for _ in range(17):
            yield b" " * (64 * 1024)
        yield b"}"

    r = client.post(ORGS, content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers and r.request.headers["transfer-encoding"] == "chunked"
    assert_too_large(r, 1)
    assert total(client, ORGS) == 0


@pytest.mark.parametrize("idempotent", [False, True], ids=["plain", "with-idempotency-key"])
def test_a_streamed_body_is_cut_off_at_the_limit(app, admin_key, idempotent):
    """At the ASGI level: 64 KiB chunks without Content-Length; reading stops at the first chunk over 1 MiB."""
    chunk, offered = 64 * 1024, 64  # 4 MiB on offer
    pulled = 0
    sent: list[dict] = []

    async def receive():
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b" " * chunk, "more_body": pulled < offered}

    async def send(message):
        sent.append(message)

    headers = [(b"content-type", b"application/json"), (b"authorization", f"Bearer {admin_key}".encode())]
    if idempotent:
        headers.append((b"idempotency-key", b"stream"))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": ORGS, "raw_path": ORGS.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    anyio.run(app, scope, receive, send)
    assert pulled == MAX_BODY_BYTES // chunk + 1
    start, body = sent[0], sent[1]
    assert start["status"] == 413
    assert (b"content-type", PROBLEM.encode()) in start["headers"]
    assert json.loads(body["body"])["type"] == PROBLEM_BASE + "payload-too-large"


def _multipart(payload: bytes, boundary: str = "lim1t") -> tuple[bytes, dict]:
    raw = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.csv\"\r\n"
           f"Content-Type: text/csv\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    return raw, {"content-type": f"multipart/form-data; boundary={boundary}"}


def test_imports_take_up_to_5_mib(client, world):
    path = f"{API}/plans/{world['plan']['id']}/import/submissions"
    # 2 MiB: over the general limit, under the import one; read, then reported row by row.
    header = b"target_code,organization_code,value,period_date\n"
    row = f"{world['target']['code']},{world['org']['code']},1,2019-06-30\n".encode()
    raw, headers = _multipart(header + row * (2 * MIB // len(row)))
    r = client.post(path, content=raw, headers=headers, params={"dry_run": "true"})
    assert r.status_code in (200, 422), r.text
    assert r.status_code != 413
    # Over 5 MiB: declared, or streamed without a length.
    raw, headers = _multipart(b"x" * MAX_IMPORT_BYTES)
    assert_too_large(client.post(path, content=raw, headers=headers), 5)

    def chunks():
        for start in range(0, len(raw), MIB):
            yield raw[start:start + MIB]

    assert_too_large(client.post(path, content=chunks(), headers=headers), 5)
    assert total(client, f"{API}/targets/{world['target']['id']}/submissions") == 0


def test_openapi_documents_413_on_every_body(client):
    schema = client.get("/openapi.json").json()
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if "requestBody" in op:
                assert "413" in op["responses"], (method, path)
                mib = 5 if "/import/" in path or path.endswith(("/parse", "/submissions/batch")) else 1
                assert f"{mib} MiB" in op["responses"]["413"]["description"], (method, path)


# ------------------------------------------------------------------ the input models


def _input_schemas(schema: dict):
    """(where, sub-schema) for every node of every JSON request body, references followed."""
    components = schema["components"]["schemas"]
    seen: set[str] = set()

    def walk(node: dict, where: str):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return
            seen.add(name)
            node, where = components[name], name
        yield where, node
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in node.get(key, []):
                yield from walk(sub, where)
        for prop, sub in node.get("properties", {}).items():
            yield from walk(sub, f"{where}.{prop}")
        if "items" in node:
            yield from walk(node["items"], f"{where}[]")

    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                yield from walk(content["application/json"]["schema"], f"{method} {path}")


def test_every_input_model_is_closed_and_bounded(client):
    """Every JSON body: objects forbid unknown fields, strings have a maximum length (or are dates or
    enums), numbers a minimum and a maximum, lists a maximum size."""
    schema = client.get("/openapi.json").json()
    checked = 0
    for where, node in _input_schemas(schema):
        kind = node.get("type")
        if kind == "object":
            assert node.get("additionalProperties") is False, where
        elif kind == "string":
            assert "maxLength" in node or "enum" in node or node.get("format") in ("date", "date-time"), where
        elif kind in ("number", "integer"):
            assert ("minimum" in node or "exclusiveMinimum" in node) and "maximum" in node, where
            assert node["maximum"] <= 1e15 and node.get("minimum", 0) >= -1e15, where
        elif kind == "array":
            assert "maxItems" in node, where
        checked += 1
    assert checked > 100


def test_page_size_is_capped_at_500_and_documented(client, world):
    schema = client.get("/openapi.json").json()
    lists = [(path, op) for path, ops in schema["paths"].items() for m, op in ops.items()
             if m == "get" and any(p["name"] == "limit" for p in op.get("parameters", []))]
    assert len(lists) >= 5
    for path, op in lists:
        [limit] = [p for p in op["parameters"] if p["name"] == "limit"]
        assert limit["schema"]["maximum"] == 500 and "500" in limit["description"], path
    assert "at most 500" in schema["info"]["description"]
    assert client.get(ORGS, params={"limit": 500}).status_code == 200
    assert_problem(client.get(ORGS, params={"limit": 501}), 422, fields={"query.limit"})
    assert_problem(client.get(ORGS, params={"limit": 10**30}), 422, fields={"query.limit"})


def test_strings_have_maximum_lengths(client, world):
    target = world["target"]["id"]
    org = world["org"]["id"]
    cases = [
        (ORGS, {"code": "C" * 65, "name": "n"}, "code"),
        (ORGS, {"code": "C", "name": "n" * 501}, "name"),
        (ORGS, {"code": "C", "name": "n", "kind": "k" * 121}, "kind"),
        (f"{API}/targets/{target}/submissions",
         {"value": 1, "period_date": "2019-06-30", "organization_id": org, "note": "x" * 20_001}, "note"),
        (f"{API}/targets/{target}/submissions",
         {"value": 1, "period_date": "2019-06-30", "organization_id": org, "evidence_url": "h" * 2001}, "evidence_url"),
    ]
    for path, body, field in cases:
        assert_problem(client.post(path, json=body), 422, fields={field})
    # At the maximum: accepted.
    assert client.post(ORGS, json={"code": "C" * 64, "name": "n" * 500, "kind": "k" * 120}).status_code == 201


@pytest.mark.parametrize(
    "raw_value",
    ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e16", "-1.0000001e15", "1000000000000000.5"],
)
def test_figures_are_finite_and_within_1e15(client, world, raw_value):
    """JSON's NaN/Infinity (which Python's parser accepts), overflow to infinity, and values past ±1e15 are 422."""
    target, org = world["target"]["id"], world["org"]["id"]
    path = f"{API}/targets/{target}/submissions"
    raw = f'{{"value": {raw_value}, "period_date": "2019-06-30", "organization_id": {org}}}'
    assert_problem(post_raw(client, path, raw), 422, fields={"value"})
    raw = f'{{"code": "N", "title": "t", "comparison": "at_least", "value": {raw_value}}}'
    assert_problem(post_raw(client, f"{API}/plans/{world['plan']['id']}/targets", raw), 422, fields={"value"})
    assert total(client, path) == 0


def test_figures_at_the_bounds_are_accepted(client, world):
    target, org = world["target"]["id"], world["org"]["id"]
    path = f"{API}/targets/{target}/submissions"
    for n, value in enumerate(("1e15", "-1e15", "0")):
        raw = f'{{"value": {value}, "period_date": "2019-06-{10 + n}", "organization_id": {org}}}'
        assert post_raw(client, path, raw).status_code == 201, value


def test_nul_in_any_text_is_422(client, world):
    target, org, plan = world["target"]["id"], world["org"]["id"], world["plan"]["id"]
    cases = [
        (ORGS, {"code": "C", "name": "a\x00b"}, "name"),
        (f"{API}/plans/{plan}/targets", {"code": "N", "title": "t\x00", "comparison": "at_least", "value": 1}, "title"),
        (f"{API}/targets/{target}/submissions",
         {"value": 1, "period_date": "2019-06-30", "organization_id": org, "note": "\x00"}, "note"),
        (f"{API}/targets/{target}/assessments",
         {"verdict": "achieved", "reason": "r\x00", "assessed_by": "b", "assessed_on": "2020-01-10"}, "reason"),
        (f"{API}/plans/{plan}/parse", {"text": "Thu ngân sách\x00 tăng 5%"}, "text"),
        (f"{API}/api-keys", {"name": "k\x00", "role": "admin"}, "name"),
    ]
    for path, body, field in cases:
        assert_problem(client.post(path, json=body), 422, fields={field})
    # Escaped in the JSON text too.
    assert_problem(post_raw(client, ORGS, '{"code": "C", "name": "a\\u0000b"}'), 422, fields={"name"})


def test_unknown_fields_are_refused_on_every_body(client, world):
    target, plan = world["target"]["id"], world["plan"]["id"]
    cases = [
        (f"{API}/targets/{target}/assessments",
         {"verdict": "achieved", "reason": "r", "assessed_by": "b", "assessed_on": "2020-01-10", "extra": 1}),
        (f"{API}/plans/{plan}/parse", {"text": "Thu ngân sách tăng khoảng 5%.", "extra": 1}),
        (f"{API}/api-keys", {"name": "k", "role": "admin", "extra": 1}),
        (f"{API}/plans/{plan}/targets",
         {"code": "N", "title": "t", "comparison": "at_least", "value": 1, "checkpoints": [{"date": "2019-06-30", "share": 50,
                                                                                            "extra": 1}]}),
    ]
    for path, body in cases:
        r = client.post(path, json=body)
        assert_problem(r, 422)
        assert any(e["field"].endswith("extra") for e in r.json()["errors"]), r.text
