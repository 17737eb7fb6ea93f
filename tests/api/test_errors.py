"""Errors across every endpoint: each one is an RFC 9457 problem (application/problem+json)
with type, title, status, detail and instance, and for validation an `errors` list."""

from __future__ import annotations

import pytest

from tests.api.helpers import API, MAX_ID, assert_problem, patch_raw, post_raw, total


@pytest.fixture
def world(make):
    """One organisation, plan, target and figure, with the bodies that would be valid for each write."""
    org = make.org()
    plan = make.plan(org["id"])
    target = make.target(plan["id"])
    sub = make.submission(target["id"], value=1, period_date="2019-06-30", organization_id=org["id"])
    return {"org": org, "plan": plan, "target": target, "sub": sub}


def writes(w) -> list[tuple[str, str, dict, str]]:
    """(method, path, a valid body, the list whose total the write would change)."""
    org, plan, target = w["org"]["id"], w["plan"]["id"], w["target"]["id"]
    return [
        ("POST", f"{API}/organizations", {"code": "NEW-ORG", "name": "N"}, f"{API}/organizations"),
        ("PATCH", f"{API}/organizations/{org}", {"name": "N"}, f"{API}/organizations"),
        ("POST", f"{API}/plans", {"code": "NEW-PLAN", "title": "T", "organization_id": org, "start_date": "2020-01-01",
                                  "end_date": "2020-12-31"}, f"{API}/plans"),
        ("PATCH", f"{API}/plans/{plan}", {"title": "N"}, f"{API}/plans"),
        ("POST", f"{API}/plans/{plan}/targets", {"code": "NEW", "title": "T", "comparison": "at_least", "value": 1},
         f"{API}/plans/{plan}/targets"),
        ("PATCH", f"{API}/targets/{target}", {"title": "N"}, f"{API}/plans/{plan}/targets"),
        ("POST", f"{API}/targets/{target}/submissions", {"value": 2, "period_date": "2019-07-01", "organization_id": org},
         f"{API}/targets/{target}/submissions"),
    ]


WRITE_IDS = ["create-org", "patch-org", "create-plan", "patch-plan", "create-target", "patch-target", "create-submission"]


# ------------------------------------------------------------------ routes and methods


def test_unknown_route_is_a_404_problem(client):
    for method, path in [("GET", "/nope"), ("GET", f"{API}/nope"), ("GET", "/api/v2/plans"), ("POST", f"{API}/organisations"),
                         ("GET", f"{API}/plans/1/figures"), ("GET", f"{API}/submissions")]:
        body = assert_problem(client.request(method, path), 404)
        assert body["detail"] == f"No resource at {path}."


# paths served by one route, and paths served by two (GET and a write)
ONE_ROUTE = [
    ("POST", f"{API}/plans/1/status", {"GET"}),
    ("POST", f"{API}/targets/1/status", {"GET"}),
    ("DELETE", f"{API}/submissions/1", {"GET"}),
    ("POST", "/healthz", {"GET"}),
    ("DELETE", "/readyz", {"GET"}),
]
TWO_ROUTES = [
    ("DELETE", f"{API}/organizations", {"GET", "POST"}),
    ("PUT", f"{API}/organizations/1", {"GET", "PATCH"}),
    ("DELETE", f"{API}/plans", {"GET", "POST"}),
    ("PUT", f"{API}/plans/1", {"GET", "PATCH", "DELETE"}),
    ("PUT", f"{API}/plans/1/targets", {"GET", "POST"}),
    ("PUT", f"{API}/targets/1", {"GET", "PATCH", "DELETE"}),
    ("PATCH", f"{API}/targets/1/submissions", {"GET", "POST"}),
]


def test_wrong_method_is_a_405_problem(client):
    """A known path with a method it does not take: a 405 problem naming the method, with an Allow header."""
    for method, path, allowed in ONE_ROUTE + TWO_ROUTES:
        r = client.request(method, path)
        body = assert_problem(r, 405)
        assert body["detail"] == f"{method} is not allowed on {path}."
        assert {m.strip() for m in r.headers["allow"].split(",")} & allowed, (method, path)


def test_405_allow_lists_the_method_of_a_single_route_path(client):
    for method, path, allowed in ONE_ROUTE:
        r = client.request(method, path)
        assert {m.strip() for m in r.headers["allow"].split(",")} == allowed, (method, path)


@pytest.mark.parametrize(("method", "path", "allowed"), TWO_ROUTES)
def test_405_allow_lists_every_supported_method(client, method, path, allowed):
    """Allow names every method the path takes (GET and the write), so a client can recover."""
    r = client.request(method, path)
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} == allowed


# ------------------------------------------------------------------ ids


ID_ENDPOINTS = [
    ("GET", "/organizations/{}", "organization_id"),
    ("PATCH", "/organizations/{}", "organization_id"),
    ("GET", "/plans/{}", "plan_id"),
    ("PATCH", "/plans/{}", "plan_id"),
    ("GET", "/plans/{}/targets", "plan_id"),
    ("POST", "/plans/{}/targets", "plan_id"),
    ("GET", "/plans/{}/status", "plan_id"),
    ("GET", "/targets/{}", "target_id"),
    ("PATCH", "/targets/{}", "target_id"),
    ("GET", "/targets/{}/submissions", "target_id"),
    ("POST", "/targets/{}/submissions", "target_id"),
    ("GET", "/targets/{}/status", "target_id"),
    ("GET", "/submissions/{}", "submission_id"),
]

VALID_BODIES = {
    "/organizations/{}": {"name": "x"},
    "/plans/{}": {"title": "x"},
    "/plans/{}/targets": {"code": "X", "title": "T", "comparison": "at_least", "value": 1},
    "/targets/{}": {"title": "x"},
    "/targets/{}/submissions": {"value": 1, "period_date": "2019-06-30", "organization_id": 1},
}


def _call(client, method: str, template: str, item: str):
    body = VALID_BODIES[template] if method in ("POST", "PATCH") else None
    return client.request(method, API + template.format(item), json=body)


@pytest.mark.parametrize(("method", "template", "name"), ID_ENDPOINTS)
def test_unknown_id_is_404_and_out_of_range_id_is_422(client, method, template, name):
    """An id in range that names nothing is a 404 saying what is missing; ids outside 1..2147483647
    (0, negatives, 2^31, huge) and non-numbers are a 422 naming the path parameter."""
    body = assert_problem(_call(client, method, template, "2147483647"), 404)
    assert "2147483647" in body["detail"] and "does not exist" in body["detail"]
    for bad in ("0", "-1", str(MAX_ID + 1), "99999999999999999999", "abc", "1.5"):
        assert_problem(_call(client, method, template, bad), 422, fields={f"path.{name}"})


# ------------------------------------------------------------------ bodies


MALFORMED = ['{"code": ', "{'code': 'A'}", '{"a": 1,}', "nul\x00l", "\xff\xfe", ""]
NOT_AN_OBJECT = ["[]", '"text"', "42", "null", "true"]


@pytest.mark.parametrize("index", range(7), ids=WRITE_IDS)
def test_malformed_json_is_a_400_problem_and_writes_nothing(client, world, index):
    """A body that is not JSON at all (truncated, single quotes, trailing comma, garbage, not UTF-8)
    is refused before anything is looked at, and nothing is written."""
    method, path, _, listing = writes(world)[index]
    before = total(client, listing)
    stored = client.get(path).json() if method == "PATCH" else None
    send = post_raw if method == "POST" else patch_raw
    for raw in MALFORMED[:-1]:
        r = send(client, path, raw.encode("latin-1"))
        body = assert_problem(r, 400, fields={"body"})
        assert body["errors"][0]["type"] == "json_invalid", raw
    for raw in NOT_AN_OBJECT + MALFORMED[-1:]:  # valid JSON (or nothing) but not an object
        assert_problem(send(client, path, raw), 422)
    assert total(client, listing) == before
    if stored is not None:
        assert client.get(path).json() == stored


@pytest.mark.parametrize("index", range(7), ids=WRITE_IDS)
def test_unknown_body_field_is_a_422_problem_and_writes_nothing(client, world, index):
    """Bodies forbid extra fields: a typo is an error, not silently ignored."""
    method, path, body, listing = writes(world)[index]
    before = total(client, listing)
    stored = client.get(path).json() if method == "PATCH" else None
    r = client.request(method, path, json={**body, "unexpected_field": 1})
    assert_problem(r, 422, fields={"unexpected_field"})
    assert total(client, listing) == before
    if stored is not None:
        assert client.get(path).json() == stored


@pytest.mark.parametrize("index", range(7), ids=WRITE_IDS)
def test_valid_bodies_of_the_sweep_are_accepted(client, world, index):
    """Control for the sweeps above: the same bodies without the defect succeed."""
    method, path, body, _ = writes(world)[index]
    r = client.request(method, path, json=body)
    assert r.status_code == (201 if method == "POST" else 200), r.text
    assert r.headers["content-type"] == "application/json"


# ------------------------------------------------------------------ lists


def list_paths(w) -> list[str]:
    return [f"{API}/organizations", f"{API}/plans", f"{API}/plans/{w['plan']['id']}/targets",
            f"{API}/targets/{w['target']['id']}/submissions"]


@pytest.mark.parametrize("index", range(4), ids=["organizations", "plans", "targets", "submissions"])
def test_every_list_caps_limit_at_500(client, world, index):
    """Every list takes limit 1..500 and offset >= 0 and answers {items, total, limit, offset}."""
    path = list_paths(world)[index]
    page = client.get(path, params={"limit": 500, "offset": 0}).json()
    assert set(page) == {"items", "total", "limit", "offset"}
    assert (page["total"], len(page["items"]), page["limit"], page["offset"]) == (1, 1, 500, 0)
    assert_problem(client.get(path, params={"limit": 501}), 422, fields={"query.limit"})
    assert_problem(client.get(path, params={"limit": 0}), 422, fields={"query.limit"})
    assert_problem(client.get(path, params={"offset": -1}), 422, fields={"query.offset"})
    assert_problem(client.get(path, params={"limit": "many"}), 422, fields={"query.limit"})


def test_conflict_is_a_problem_without_field_errors(client, world):
    """409 carries type/title/status/detail/instance and no `errors` list."""
    r = client.post(f"{API}/organizations", json={"code": world["org"]["code"], "name": "dup"})
    body = assert_problem(r, 409)
    assert set(body) == {"type", "title", "status", "detail", "instance"}


def test_validation_problem_lists_every_broken_field(client):
    """Several bad fields in one body are all reported; detail summarises them."""
    r = client.post(f"{API}/organizations", json={"code": "bad code", "name": "", "kind": "\x00", "x": 1})
    body = assert_problem(r, 422, fields={"code", "name", "kind", "x"})
    assert set(body) == {"type", "title", "status", "detail", "instance", "errors"}
    for err in body["errors"]:
        assert set(err) == {"field", "message", "type"}
    assert "code:" in body["detail"]
