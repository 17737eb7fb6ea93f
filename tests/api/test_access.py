"""Who may call what: the role × route × scope matrix, built from the app's own OpenAPI.

RULES has one entry per operation of the API (method, path), saying the least role it needs
and which organisation decides the scope. `test_every_operation_has_a_rule` fails as soon as
a route is added without an entry here, so no route escapes the matrix.

The world: province → city → ward, and a sibling city under the province; an active plan per
organisation (with a target and a figure reported by that organisation), and a draft plan of
the city. Keys of every role at each organisation, and an admin.

Every scoped operation acts on an object of the CITY. For each it checks:
- no key: 401 for writes and key-only reads (keys, audit); 2xx for open reads of active plans;
- a bad key: 401;
- each role at or above the least one, scoped to the city (the same organisation) and to the
  province (above it), and an admin: allowed (2xx: the requests are valid, so a 422 cannot hide
  a missing check);
- the role one step too low, scoped to the city: 403;
- the least role scoped to the ward (below the city) and to the sibling city: 403;
- reads under a DRAFT plan: no key, viewer at the ward or the sibling 404 (as if it did not
  exist: issue 12 item 9), viewer at the city or the province 2xx.
About 500 requests per database, in one test, which reports every failing cell at once.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlmodel import Session, select

from app.auth.models import ApiKey, Role
from tests.api.helpers import API
from tests.conftest import bearer, new_key

ROLES = [Role.VIEWER, Role.REPORTER, Role.EDITOR, Role.ADMIN]
OPEN = "open"  # reads: no key needed for active and closed plans (drafts: viewer in scope)
PUBLIC = "public"  # outside the API: no key is ever looked at (health checks)

# Scopes: which organisation an operation is judged against.
NO_SCOPE = None
PLAN = "the plan's organisation"
TARGET = "the target's plan's organisation"
FIGURE = "the figure's reporting organisation"
FIGURE_ROWS = "each row's reporting organisation (rows out of scope fail; 200 with the report)"
REPORTING = "the reporting organisation in the body"
PARENT = "the parent organisation in the body"
ORGANIZATION = "the organisation itself"
BODY_ORG = "the issuing organisation in the body"
KEY_ORG = "the new key's organisation (admins only anyway)"
ABOVE_FIGURE = "an organisation above the figure's reporting organisation (a ward's figure: the city, the province)"


@dataclass
class Req:
    method: str
    path: str
    json: dict | None = None
    params: dict | None = None
    files: dict | None = None


@dataclass
class Rule:
    role: Role | str  # least role, OPEN or PUBLIC
    scope: str | None
    build: Callable[[World, str, bool], Req]  # (world, organisation name, draft?) -> a valid request
    label: str = ""
    draft: bool = False  # a read under a plan: check the draft cases too
    denied_in_rows: bool = False  # out of scope is a 200 report whose rows failed, not a 403


# ------------------------------------------------------------------ the world


@dataclass
class World:
    admin: object  # the admin TestClient (builds fixtures)
    orgs: dict[str, dict]
    plans: dict[str, dict]  # active plan per organisation; "draft": the city's draft
    targets: dict[str, dict]
    figures: dict[str, dict]
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    app: object = None  # makes the keys a figure awaiting approval is sent with
    approval: dict = field(default_factory=dict)  # organisation -> (its plan requiring approval, target, reporter key)

    def n(self) -> int:
        return next(self.counter)

    def plan(self, org: str, draft: bool) -> dict:
        return self.plans["draft" if draft else org]

    def target(self, org: str, draft: bool) -> dict:
        return self.targets["draft" if draft else org]

    def figure(self, org: str, draft: bool) -> dict:
        return self.figures["draft" if draft else org]

    def post(self, path: str, body: dict) -> dict:
        r = self.admin.post(path, json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def new_org(self, parent: str) -> dict:
        return self.post(f"{API}/organizations", {"code": f"O-{self.n()}", "name": "Xã", "parent_id": self.orgs[parent]["id"]})

    def new_plan(self, org: str, state: str = "active", approval_required: bool = False) -> dict:
        return self.post(f"{API}/plans", {
            "code": f"P-{org}-{self.n()}", "title": f"Kế hoạch {org}", "organization_id": self.orgs[org]["id"],
            "start_date": "2019-01-01", "end_date": "2019-12-31", "state": state, "approval_required": approval_required,
        })

    def pending_figure(self, org: str) -> dict:
        """A figure awaiting approval on `org`'s plan that requires approval, sent by a reporter of the unit
        under `org` (the ward under the city): only an editor above the ward may approve it."""
        unit = {"city": "ward"}[org]
        if org not in self.approval:
            plan = self.new_plan(org, approval_required=True)
            key = bearer(new_key(self.app, "reporter", self.orgs[unit]["id"], name=f"reporter@{unit} (approval)"))
            self.approval[org] = (plan, self.new_target(plan), key)
        _, target, key = self.approval[org]
        r = self.admin.post(f"{API}/targets/{target['id']}/submissions", json=figure_body(self, unit), headers=key)
        assert r.status_code == 201 and r.json()["review"] == "submitted", r.text
        return r.json()

    def new_target(self, plan: dict) -> dict:
        return self.post(f"{API}/plans/{plan['id']}/targets", {
            "code": f"T-{self.n()}", "title": "Tỷ lệ", "unit": "%", "comparison": "at_least", "value": 90,
        })

    def new_figure(self, target: dict, org: str) -> dict:
        return self.post(f"{API}/targets/{target['id']}/submissions",
                         {"value": 50, "period_date": self.new_day(), "organization_id": self.orgs[org]["id"]})

    def new_day(self) -> str:
        """A date of 2019 not used before: one unit has one figure per date and estimate flag."""
        return (date(2019, 1, 1) + timedelta(days=self.n() % 365)).isoformat()


def csv_file(rows: list[list]) -> dict:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return {"file": ("f.csv", buffer.getvalue().encode("utf-8"), "text/csv")}


HOOK = "http://127.0.0.1:9/hook"  # the test app allows loopback receivers; nothing is delivered here


def new_subscription(w: World) -> dict:
    return w.post(f"{API}/webhooks/subscriptions", {"url": HOOK, "event_types": ["figure.submitted"]})


def new_delivery(w: World, org: str) -> int:
    """A delivery: a subscription, then a figure it hears about."""
    sub = new_subscription(w)
    w.new_figure(w.target(org, False), org)
    r = w.admin.get(f"{API}/webhooks/subscriptions/{sub['id']}/deliveries")
    assert r.status_code == 200 and r.json()["total"] == 1, r.text
    return r.json()["items"][0]["id"]


def figure_body(w: World, org: str) -> dict:
    return {"value": 10, "period_date": w.new_day(), "organization_id": w.orgs[org]["id"]}


# ------------------------------------------------------------------ the rules: one entry per operation


def _get(path: str) -> Callable[[World, str, bool], Req]:
    return lambda w, org, draft: Req("GET", path)


def _plan_get(suffix: str, **params) -> Callable[[World, str, bool], Req]:
    return lambda w, org, draft: Req("GET", f"{API}/plans/{w.plan(org, draft)['id']}{suffix}", params=params or None)


def _target_get(suffix: str) -> Callable[[World, str, bool], Req]:
    return lambda w, org, draft: Req("GET", f"{API}/targets/{w.target(org, draft)['id']}{suffix}")


RULES: dict[tuple[str, str], list[Rule]] = {
    # organisations
    ("get", "/api/v1/organizations"): [Rule(OPEN, NO_SCOPE, _get(f"{API}/organizations"))],
    ("post", "/api/v1/organizations"): [
        Rule(Role.EDITOR, PARENT, lambda w, org, d: Req("POST", f"{API}/organizations", json={
            "code": f"O-{w.n()}", "name": "Xã", "parent_id": w.orgs[org]["id"]}), label="child"),
        Rule(Role.ADMIN, NO_SCOPE, lambda w, org, d: Req("POST", f"{API}/organizations", json={
            "code": f"R-{w.n()}", "name": "Tỉnh khác"}), label="root"),
    ],
    ("get", "/api/v1/organizations/{organization_id}"): [
        Rule(OPEN, ORGANIZATION, lambda w, org, d: Req("GET", f"{API}/organizations/{w.orgs[org]['id']}"))],
    ("patch", "/api/v1/organizations/{organization_id}"): [
        Rule(Role.EDITOR, ORGANIZATION, lambda w, org, d: Req("PATCH", f"{API}/organizations/{w.orgs[org]['id']}",
                                                             json={"kind": f"kind {w.n()}"}), label="rename"),
        Rule(Role.ADMIN, NO_SCOPE, lambda w, org, d: Req("PATCH", f"{API}/organizations/{w.new_org(org)['id']}",
                                                        json={"parent_id": None}), label="to a root"),
    ],
    # plans
    ("get", "/api/v1/plans"): [Rule(OPEN, NO_SCOPE, _get(f"{API}/plans"))],
    ("post", "/api/v1/plans"): [Rule(Role.EDITOR, BODY_ORG, lambda w, org, d: Req("POST", f"{API}/plans", json={
        "code": f"NP-{w.n()}", "title": "Mới", "organization_id": w.orgs[org]["id"],
        "start_date": "2020-01-01", "end_date": "2020-12-31"}))],
    ("get", "/api/v1/plans/{plan_id}"): [Rule(OPEN, PLAN, _plan_get(""), draft=True)],
    ("patch", "/api/v1/plans/{plan_id}"): [Rule(Role.EDITOR, PLAN, lambda w, org, d: Req(
        "PATCH", f"{API}/plans/{w.plan(org, d)['id']}", json={"notes": f"ghi chú {w.n()}"}))],
    ("delete", "/api/v1/plans/{plan_id}"): [Rule(Role.EDITOR, PLAN, lambda w, org, d: Req(
        "DELETE", f"{API}/plans/{w.new_plan(org)['id']}"))],
    ("get", "/api/v1/plans/{plan_id}/targets"): [Rule(OPEN, PLAN, _plan_get("/targets"), draft=True)],
    ("post", "/api/v1/plans/{plan_id}/targets"): [Rule(Role.EDITOR, PLAN, lambda w, org, d: Req(
        "POST", f"{API}/plans/{w.plan(org, d)['id']}/targets",
        json={"code": f"NT-{w.n()}", "title": "Mới", "unit": "%", "comparison": "at_least", "value": 50}))],
    ("get", "/api/v1/plans/{plan_id}/status"): [Rule(OPEN, PLAN, _plan_get("/status", as_of="2019-06-30"), draft=True)],
    ("get", "/api/v1/plans/{plan_id}/status/organizations"): [
        Rule(OPEN, PLAN, _plan_get("/status/organizations", as_of="2019-06-30"), draft=True)],
    ("post", "/api/v1/plans/{plan_id}/parse"): [
        Rule(OPEN, PLAN, lambda w, org, d: Req("POST", f"{API}/plans/{w.plan(org, d)['id']}/parse",
                                               json={"text": "Tỷ lệ che phủ rừng đạt 60%."}), label="read", draft=True),
        Rule(Role.EDITOR, PLAN, lambda w, org, d: Req("POST", f"{API}/plans/{w.plan(org, d)['id']}/parse",
                                                      params={"apply": "true"}, json={"text": "Tỷ lệ che phủ rừng đạt 60%."}),
             label="apply"),
    ],
    ("get", "/api/v1/plans/{plan_id}/export"): [
        Rule(OPEN, PLAN, _plan_get("/export", content="submissions"), draft=True, label="figures"),
        Rule(OPEN, PLAN, _plan_get("/export", content="bundle"), draft=True, label="bundle"),
    ],
    # reports and charts: the same reads as the plan's and the target's status
    ("get", "/api/v1/plans/{plan_id}/report"): [
        Rule(OPEN, PLAN, _plan_get("/report", as_of="2019-06-30"), draft=True, label="html"),
        Rule(OPEN, PLAN, _plan_get("/report", format="docx"), draft=True, label="docx"),
    ],
    ("get", "/api/v1/plans/{plan_id}/chart.svg"): [Rule(OPEN, PLAN, _plan_get("/chart.svg"), draft=True)],
    ("get", "/api/v1/targets/{target_id}/chart.svg"): [Rule(OPEN, TARGET, _target_get("/chart.svg"), draft=True)],
    ("get", "/api/v1/targets/{target_id}/badge.svg"): [Rule(OPEN, TARGET, _target_get("/badge.svg"), draft=True)],
    ("post", "/api/v1/plans/{plan_id}/import/targets"): [Rule(Role.EDITOR, PLAN, lambda w, org, d: Req(
        "POST", f"{API}/plans/{w.plan(org, d)['id']}/import/targets", files=csv_file([
            ["code", "title", "unit", "comparison", "value"], [f"IT-{w.n()}", "Nhập", "%", "at_least", "70"]])))],
    ("post", "/api/v1/plans/{plan_id}/import/submissions"): [Rule(
        Role.REPORTER, FIGURE_ROWS, denied_in_rows=True, build=lambda w, org, d: Req(
            "POST", f"{API}/plans/{w.plan(org, d)['id']}/import/submissions", files=csv_file([
                ["target_code", "organization_code", "period_date", "value"],
                [w.target(org, d)["code"], w.orgs[org]["code"], "2019-03-31", str(w.n())]])))],
    ("post", "/api/v1/plans/{plan_id}/submissions/batch"): [Rule(
        Role.REPORTER, FIGURE_ROWS, denied_in_rows=True, build=lambda w, org, d: Req(
            "POST", f"{API}/plans/{w.plan(org, d)['id']}/submissions/batch", json=[
                {"target_code": w.target(org, d)["code"], "organization_code": w.orgs[org]["code"],
                 "period_date": "2019-03-31", "value": w.n()}]))],
    # targets
    ("get", "/api/v1/targets/{target_id}"): [Rule(OPEN, TARGET, _target_get(""), draft=True)],
    ("patch", "/api/v1/targets/{target_id}"): [Rule(Role.EDITOR, TARGET, lambda w, org, d: Req(
        "PATCH", f"{API}/targets/{w.target(org, d)['id']}", json={"notes": f"n {w.n()}"}))],
    ("delete", "/api/v1/targets/{target_id}"): [Rule(Role.EDITOR, TARGET, lambda w, org, d: Req(
        "DELETE", f"{API}/targets/{w.new_target(w.plan(org, d))['id']}"))],
    ("get", "/api/v1/targets/{target_id}/status"): [Rule(OPEN, TARGET, _target_get("/status"), draft=True)],
    ("get", "/api/v1/targets/{target_id}/history"): [Rule(OPEN, TARGET, _target_get("/history"), draft=True)],
    ("get", "/api/v1/targets/{target_id}/assessments"): [Rule(OPEN, TARGET, _target_get("/assessments"), draft=True)],
    ("post", "/api/v1/targets/{target_id}/assessments"): [Rule(Role.EDITOR, TARGET, lambda w, org, d: Req(
        "POST", f"{API}/targets/{w.target(org, d)['id']}/assessments",
        json={"verdict": "achieved", "reason": "Đạt", "assessed_by": "Ban Thường vụ", "assessed_on": "2020-01-10"}))],
    # figures
    ("get", "/api/v1/targets/{target_id}/submissions"): [Rule(OPEN, TARGET, _target_get("/submissions"), draft=True)],
    ("post", "/api/v1/targets/{target_id}/submissions"): [Rule(Role.REPORTER, REPORTING, lambda w, org, d: Req(
        "POST", f"{API}/targets/{w.target(org, d)['id']}/submissions", json=figure_body(w, org)))],
    ("get", "/api/v1/submissions/{submission_id}"): [Rule(OPEN, FIGURE, lambda w, org, d: Req(
        "GET", f"{API}/submissions/{w.figure(org, d)['id']}"), draft=True)],
    ("post", "/api/v1/submissions/{submission_id}/corrections"): [Rule(Role.REPORTER, FIGURE, lambda w, org, d: Req(
        "POST", f"{API}/submissions/{w.new_figure(w.target(org, d), org)['id']}/corrections",
        json={**figure_body(w, org), "reason": "số chính thức"}))],
    ("post", "/api/v1/submissions/{submission_id}/retraction"): [Rule(Role.REPORTER, FIGURE, lambda w, org, d: Req(
        "POST", f"{API}/submissions/{w.new_figure(w.target(org, d), org)['id']}/retraction", json={"reason": "gửi nhầm"}))],
    # approval: an editor above the reporting unit; the inboxes: a key in scope
    ("post", "/api/v1/submissions/{submission_id}/approve"): [Rule(Role.EDITOR, ABOVE_FIGURE, lambda w, org, d: Req(
        "POST", f"{API}/submissions/{w.pending_figure(org)['id']}/approve"))],
    ("post", "/api/v1/submissions/{submission_id}/return"): [Rule(Role.EDITOR, ABOVE_FIGURE, lambda w, org, d: Req(
        "POST", f"{API}/submissions/{w.pending_figure(org)['id']}/return", json={"reason": "chưa khớp"}))],
    ("get", "/api/v1/plans/{plan_id}/submissions/pending"): [Rule(Role.VIEWER, PLAN, _plan_get("/submissions/pending"))],
    ("get", "/api/v1/organizations/{organization_id}/submissions/pending"): [Rule(Role.VIEWER, ORGANIZATION, lambda w, org, d: Req(
        "GET", f"{API}/organizations/{w.orgs[org]['id']}/submissions/pending"))],
    # keys and the audit trail
    ("get", "/api/v1/api-keys"): [Rule(Role.ADMIN, NO_SCOPE, _get(f"{API}/api-keys"))],
    ("post", "/api/v1/api-keys"): [Rule(Role.ADMIN, NO_SCOPE, lambda w, org, d: Req("POST", f"{API}/api-keys", json={
        "name": f"k{w.n()}", "role": "viewer", "organization_id": w.orgs[org]["id"]}))],
    ("get", "/api/v1/api-keys/{key_id}"): [Rule(Role.ADMIN, NO_SCOPE, lambda w, org, d: Req("GET", f"{API}/api-keys/1"))],
    ("post", "/api/v1/api-keys/{key_id}/revoke"): [Rule(Role.ADMIN, NO_SCOPE, lambda w, org, d: Req(
        "POST", f"{API}/api-keys/{w.post(f'{API}/api-keys', {'name': f'victim {w.n()}', 'role': 'viewer', 'organization_id': w.orgs[org]['id']})['id']}/revoke"))],
    ("get", "/api/v1/audit-events"): [Rule(Role.VIEWER, NO_SCOPE, _get(f"{API}/audit-events"))],
    # webhooks: admins only (a subscription may hear every organisation's events)
    ("get", "/api/v1/webhooks/subscriptions"): [Rule(Role.ADMIN, NO_SCOPE, _get(f"{API}/webhooks/subscriptions"))],
    ("post", "/api/v1/webhooks/subscriptions"): [Rule(Role.ADMIN, NO_SCOPE, lambda w, org, d: Req(
        "POST", f"{API}/webhooks/subscriptions", json={"url": HOOK, "event_types": ["report.overdue"],
                                                      "organization_id": w.orgs[org]["id"]}))],
    ("get", "/api/v1/webhooks/subscriptions/{subscription_id}"): [Rule(Role.ADMIN, NO_SCOPE, lambda w, org, d: Req(
        "GET", f"{API}/webhooks/subscriptions/{new_subscription(w)['id']}"))],
    ("patch", "/api/v1/webhooks/subscriptions/{subscription_id}"): [Rule(Role.ADMIN, NO_SCOPE, lambda w, org, d: Req(
        "PATCH", f"{API}/webhooks/subscriptions/{new_subscription(w)['id']}", json={"description": f"d {w.n()}"}))],
    ("delete", "/api/v1/webhooks/subscriptions/{subscription_id}"): [Rule(Role.ADMIN, NO_SCOPE, lambda w, org, d: Req(
        "DELETE", f"{API}/webhooks/subscriptions/{new_subscription(w)['id']}"))],
    ("get", "/api/v1/webhooks/subscriptions/{subscription_id}/deliveries"): [Rule(Role.ADMIN, NO_SCOPE, lambda w, org, d: Req(
        "GET", f"{API}/webhooks/subscriptions/{new_subscription(w)['id']}/deliveries"))],
    ("post", "/api/v1/webhooks/deliveries/{delivery_id}/redeliver"): [Rule(Role.ADMIN, NO_SCOPE, lambda w, org, d: Req(
        "POST", f"{API}/webhooks/deliveries/{new_delivery(w, org)}/redeliver"))],
    # outside the API
    ("get", "/healthz"): [Rule(PUBLIC, NO_SCOPE, _get("/healthz"))],
    ("get", "/readyz"): [Rule(PUBLIC, NO_SCOPE, _get("/readyz"))],
}


# ------------------------------------------------------------------ running it


def operations(app) -> set[tuple[str, str]]:
    return {(method, path) for path, ops in app.openapi()["paths"].items() for method in ops}


def test_every_operation_has_a_rule(app):
    """A route without an entry in RULES fails here: add it to the matrix."""
    missing = sorted(operations(app) - set(RULES))
    assert not missing, f"routes without an access rule in tests/api/test_access.py: {missing}"


@pytest.fixture
def world(app, client) -> World:
    w = World(admin=client, orgs={}, plans={}, targets={}, figures={}, app=app)
    province = w.post(f"{API}/organizations", {"code": "TINH", "name": "Tỉnh"})
    w.orgs = {"province": province}
    w.orgs["city"] = w.post(f"{API}/organizations", {"code": "TP", "name": "Thành phố", "parent_id": province["id"]})
    w.orgs["ward"] = w.post(f"{API}/organizations", {"code": "PHUONG", "name": "Phường", "parent_id": w.orgs["city"]["id"]})
    w.orgs["sibling"] = w.post(f"{API}/organizations", {"code": "HUYEN", "name": "Huyện", "parent_id": province["id"]})
    for name in w.orgs:
        w.plans[name] = w.new_plan(name)
    w.plans["draft"] = w.new_plan("city", state="draft")
    for name, plan in w.plans.items():
        w.targets[name] = w.new_target(plan)
        w.figures[name] = w.new_figure(w.targets[name], "city" if name == "draft" else name)
    return w


@dataclass
class Cell:
    who: str
    headers: dict[str, str]
    expect: str  # "ok" (2xx), "401", "403", "404", "rows" (200 report whose rows failed for scope)
    draft: bool = False


def _cells(rule: Rule, keys: dict[tuple[str, str], dict]) -> list[Cell]:
    no_key, bad_key = {}, bearer("ct_" + "x" * 43)
    if rule.role == PUBLIC:
        return [Cell("no key", no_key, "ok"), Cell("bad key", bad_key, "ok")]
    cells = [Cell("bad key", bad_key, "401"), Cell("admin", keys["admin", ""], "ok")]
    if rule.role == OPEN:
        cells.append(Cell("no key", no_key, "ok"))
        # Public: every role in scope, and a viewer anywhere.
        for role in ROLES[:3]:
            cells.append(Cell(f"{role.value}@city", keys[role.value, "city"], "ok"))
        for org in ("province", "ward", "sibling"):
            cells.append(Cell(f"viewer@{org}", keys["viewer", org], "ok"))
        if rule.draft:
            cells += [
                Cell("no key", no_key, "404", draft=True),
                Cell("viewer@ward", keys["viewer", "ward"], "404", draft=True),
                Cell("viewer@sibling", keys["viewer", "sibling"], "404", draft=True),
                Cell("viewer@city", keys["viewer", "city"], "ok", draft=True),
                Cell("viewer@province", keys["viewer", "province"], "ok", draft=True),
                Cell("admin", keys["admin", ""], "ok", draft=True),
            ]
        return cells
    least = rule.role
    cells.append(Cell("no key", no_key, "401"))
    orgs_in = ("city", "province") if rule.scope else ("city",)
    for role in ROLES[least.rank:3]:
        for org in orgs_in:
            cells.append(Cell(f"{role.value}@{org}", keys[role.value, org], "ok"))
    for role in ROLES[: least.rank]:
        cells.append(Cell(f"{role.value}@city (too low)", keys[role.value, "city"], "403"))
    if rule.scope and least != Role.ADMIN:
        denied = "rows" if rule.denied_in_rows else "403"
        for org in ("ward", "sibling"):
            cells.append(Cell(f"{least.value}@{org} (out of scope)", keys[least.value, org], denied))
    return cells


def _verdict(response, expect: str) -> bool:
    if expect == "ok":
        return 200 <= response.status_code < 300
    if expect == "rows":
        body = response.json() if response.status_code == 200 else {}
        return body.get("stored") is False and any("scope" in e.get("reason", "") for e in body.get("errors", []))
    return response.status_code == int(expect)


def test_role_route_scope_matrix(app, anonymous, world, capsys):
    keys: dict[tuple[str, str], dict] = {("admin", ""): bearer(new_key(app, "admin", name="matrix admin"))}
    for role, org in itertools.product(ROLES[:3], world.orgs):
        keys[role.value, org] = bearer(new_key(app, role.value, world.orgs[org]["id"], name=f"{role.value}@{org}"))
    present = operations(app)
    failures, counts, skipped = [], {"requests": 0, "ok": 0, "401": 0, "403": 0, "404": 0, "rows": 0}, []
    for (method, path), rules in RULES.items():
        if (method, path) not in present:
            skipped.append(f"{method.upper()} {path}")
            continue
        for rule in rules:
            for cell in _cells(rule, keys):
                req = rule.build(world, "city", cell.draft)
                r = anonymous.request(req.method, req.path, json=req.json, params=req.params, files=req.files,
                                      headers=cell.headers)
                counts["requests"] += 1
                counts[cell.expect] += 1
                if not _verdict(r, cell.expect):
                    failures.append(f"{method.upper()} {path} [{rule.label or '-'}] {'DRAFT ' if cell.draft else ''}"
                                    f"{cell.who}: expected {cell.expect}, got {r.status_code} {r.text[:160]}")
    with capsys.disabled():
        print(f"\naccess matrix: {counts}; routes not in this app: {skipped or 'none'}")
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------ what the matrix does not reach


def test_drafts_are_listed_only_in_scope(anonymous, world, key_for):
    draft_id = world.plans["draft"]["id"]

    def listed(headers: dict) -> set[int]:
        r = anonymous.get(f"{API}/plans", params={"limit": 500}, headers=headers)
        assert r.status_code == 200, r.text
        return {p["id"] for p in r.json()["items"]}

    assert draft_id not in listed({})
    assert draft_id not in listed(key_for("editor", world.orgs["sibling"]["id"]))
    assert draft_id not in listed(key_for("editor", world.orgs["ward"]["id"]))
    assert draft_id in listed(key_for("viewer", world.orgs["city"]["id"]))
    assert draft_id in listed(key_for("viewer", world.orgs["province"]["id"]))


def test_an_editor_cannot_move_things_out_of_scope(anonymous, world, key_for):
    editor = key_for("editor", world.orgs["city"]["id"])
    ward, sibling, city = world.orgs["ward"], world.orgs["sibling"], world.orgs["city"]
    plan = world.plans["ward"]
    assert anonymous.patch(f"{API}/plans/{plan['id']}", json={"organization_id": sibling["id"]}, headers=editor).status_code == 403
    assert anonymous.patch(f"{API}/organizations/{ward['id']}", json={"parent_id": sibling["id"]}, headers=editor).status_code == 403
    assert anonymous.patch(f"{API}/organizations/{ward['id']}", json={"parent_id": None}, headers=editor).status_code == 403
    # ... nor above itself: the city is in its own scope, its parent is not.
    assert anonymous.patch(f"{API}/organizations/{city['id']}", json={"parent_id": sibling["id"]}, headers=editor).status_code == 403
    # Within the scope, moving is fine.
    assert anonymous.patch(f"{API}/plans/{plan['id']}", json={"organization_id": city["id"]}, headers=editor).status_code == 200


def test_a_reporter_reports_for_its_own_organisation_on_a_plan_above_it(anonymous, world, key_for):
    """Scope of a figure is the reporting organisation, not the plan's: a ward reports on the city's plan."""
    reporter = key_for("reporter", world.orgs["ward"]["id"])
    target = world.targets["city"]
    body = {"value": 1, "period_date": "2019-06-30"}
    r = anonymous.post(f"{API}/targets/{target['id']}/submissions", json={**body, "organization_id": world.orgs["ward"]["id"]},
                       headers=reporter)
    assert r.status_code == 201, r.text
    r = anonymous.post(f"{API}/targets/{target['id']}/submissions", json={**body, "organization_id": world.orgs["city"]["id"]},
                       headers=reporter)
    assert r.status_code == 403, r.text


def test_a_correction_cannot_move_a_figure_out_of_scope(anonymous, app, world, key_for):
    if ("post", "/api/v1/submissions/{submission_id}/corrections") not in operations(app):
        pytest.skip("no corrections route in this app")
    reporter = key_for("reporter", world.orgs["city"]["id"])
    figure = world.figures["city"]
    body = {"value": 3, "period_date": "2019-06-30", "organization_id": world.orgs["sibling"]["id"], "reason": "x"}
    r = anonymous.post(f"{API}/submissions/{figure['id']}/corrections", json=body, headers=reporter)
    assert r.status_code == 403, r.text


def test_a_scoped_key_without_organisation_is_refused_everywhere(app, anonymous, world):
    """A non-admin key whose organisation is gone from its row (data repaired by hand) has an empty scope."""
    secret = new_key(app, "editor", world.orgs["city"]["id"], name="orphan")
    with Session(app.state.engine) as s:
        key = s.exec(select(ApiKey).where(ApiKey.name == "orphan")).one()
        key.organization_id = None
        s.commit()
    headers = bearer(secret)
    r = anonymous.patch(f"{API}/plans/{world.plans['city']['id']}", json={"notes": "x"}, headers=headers)
    assert r.status_code == 403, r.text
    assert anonymous.get(f"{API}/plans/{world.plans['draft']['id']}", headers=headers).status_code == 404  # as if absent
    assert anonymous.get(f"{API}/audit-events", headers=headers).json()["total"] == 0


def test_on_a_closed_plan_only_editors_correct_or_retract(anonymous, app, world, key_for, client):
    if ("post", "/api/v1/submissions/{submission_id}/corrections") not in operations(app):
        pytest.skip("no corrections route in this app")
    city = world.orgs["city"]["id"]
    figures = [world.new_figure(world.targets["city"], "city") for _ in range(2)]
    assert client.patch(f"{API}/plans/{world.plans['city']['id']}", json={"state": "closed"}).status_code == 200
    reporter, editor = key_for("reporter", city), key_for("editor", city)
    body = {"value": 7, "period_date": "2019-06-30", "organization_id": city, "reason": "x"}
    for headers, expected in ((reporter, 403), (editor, 201)):
        r = anonymous.post(f"{API}/submissions/{figures[0]['id']}/corrections", json=body, headers=headers)
        assert r.status_code == expected, r.text
    for headers, expected in ((reporter, 403), (editor, 201)):
        r = anonymous.post(f"{API}/submissions/{figures[1]['id']}/retraction", json={"reason": "x"}, headers=headers)
        assert r.status_code == expected, r.text
    # A closed plan is read like an active one: by anyone.
    assert anonymous.get(f"{API}/plans/{world.plans['city']['id']}/status").status_code == 200
