"""The two busiest routes take no dependency but the API router's gate (issue 17): a target's status and
POST a figure identify their caller, open and close their session in their one thread-pool hand-off.
What the dependencies did must still hold, on both databases: who may call, in which order the
refusals come, what the OpenAPI document says, and how few statements a figure costs."""

from __future__ import annotations

from sqlalchemy import event

from tests.api.helpers import API, assert_problem
from tests.conftest import bearer, new_key


def test_a_targets_status_identifies_its_caller(app, anonymous, make):
    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    path = f"{API}/targets/{target['id']}/status"
    assert anonymous.get(path).status_code == 200  # reads are open
    assert anonymous.get(path, headers=bearer(new_key(app, "viewer", org["id"]))).status_code == 200
    for header in ("Basic dXNlcjpwdw==", "Bearer ", "Bearer ct_not_a_key"):
        r = anonymous.get(path, headers={"Authorization": header})
        assert r.status_code == 401, (header, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    draft = make.target(make.plan(org["id"], state="draft")["id"])
    hidden = f"{API}/targets/{draft['id']}/status"
    assert_problem(anonymous.get(hidden), 404)  # a draft's target: as if it did not exist
    assert anonymous.get(hidden, headers=bearer(new_key(app, "viewer", org["id"]))).status_code == 200
    assert_problem(anonymous.get(f"{API}/targets/{target['id']}/status?as_of=2019-13-01"), 422, fields={"query.as_of"})
    assert_problem(anonymous.get(f"{API}/targets/{target['id']}/status?asof=2019-06-30"), 400, fields={"query.asof"})


def test_posting_a_figure_without_a_key_is_refused_before_its_body_is_validated(app, anonymous, make):
    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    path = f"{API}/targets/{target['id']}/submissions"
    body = {"value": 1, "period_date": "2019-06-30", "organization_id": org["id"]}
    assert anonymous.post(path, json={"value": "not a figure"}).status_code == 401  # not validated first
    assert anonymous.post(path, json=body, headers=bearer("ct_not_a_key")).status_code == 401
    viewer = anonymous.post(path, json=body, headers=bearer(new_key(app, "viewer", org["id"])))
    assert viewer.status_code == 403, viewer.text
    other = make.org()
    out_of_scope = anonymous.post(path, json=body, headers=bearer(new_key(app, "reporter", other["id"])))
    assert out_of_scope.status_code == 403, out_of_scope.text  # the plan is readable, the unit is not the key's
    reporter = bearer(new_key(app, "reporter", org["id"]))
    outside = anonymous.post(path, json={**body, "organization_id": other["id"]}, headers=reporter)
    assert outside.status_code == 403, outside.text  # outside the key's scope comes before outside the plan's tree
    missing = anonymous.post(path, json={**body, "organization_id": 2_000_000}, headers=reporter)
    assert_problem(missing, 422, fields={"organization_id"})  # no such organisation: the field says so
    created = anonymous.post(path, json=body, headers=reporter)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"{API}/submissions/{created.json()['id']}"


def test_both_routes_declare_the_api_key_scheme(app):
    paths = app.openapi()["paths"]
    for path, method in (("/targets/{target_id}/status", "get"), ("/targets/{target_id}/submissions", "post")):
        assert {"ApiKey": []} in paths[API + path][method]["security"], (path, method)


def test_a_figure_costs_eight_statements(app, client, make):
    """With an admin key and an Idempotency-Key: the key with its record and whether anyone subscribes to
    webhooks (1), the target and plan (1), the figure's organisation and those above it (1), the target's
    row lock (1), the unit's figures with the other-shape check (1), the figure, its audit event, the key's
    record (3). It was 12; a 13th would be a regression to look at."""
    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    path = f"{API}/targets/{target['id']}/submissions"
    client.post(path, json={"value": 1, "period_date": "2019-05-31", "organization_id": org["id"]})  # the key's use noted
    event.listen(app.state.engine, "before_cursor_execute", count)
    try:
        r = client.post(
            path,
            json={"value": 2, "period_date": "2019-06-30", "organization_id": org["id"]},
            headers={"Idempotency-Key": "eight-statements"},
        )
    finally:
        event.remove(app.state.engine, "before_cursor_execute", count)
    assert r.status_code == 201, r.text
    assert len([s for s in statements if not s.startswith("PRAGMA")]) == 8, statements
