"""The audit trail: every write records who, when, what, before and after, and the request id.

Runs on SQLite and PostgreSQL (the conftest `app`). Each write is sent with its own
`X-Request-ID`, and the test reads back exactly the events of that request.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.auth.models import ApiKey
from app.auth.service import CLI, Principal, hash_key
from app.organizations.models import Organization
from app.plans.models import Plan
from app.submissions.models import Submission
from app.targets.models import Target
from tests.api.helpers import API, assert_problem
from tests.conftest import bearer, new_key

EVENTS = f"{API}/audit-events"


# ------------------------------------------------------------------ helpers


def rid(name: str) -> dict[str, str]:
    return {"X-Request-ID": name}


def events_of(client, request_id: str) -> list[dict]:
    """The events of one request, oldest first, as an admin reads them."""
    r = client.get(EVENTS, params={"request_id": request_id, "sort": "occurred_at"})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def stored_events(app) -> list[AuditEvent]:
    with Session(app.state.engine) as s:
        return list(s.exec(select(AuditEvent).order_by(AuditEvent.id)))


def only(events: list[dict]) -> dict:
    assert len(events) == 1, events
    return events[0]


def admin_key_id(app) -> int:
    with Session(app.state.engine) as s:
        return s.exec(select(ApiKey.id).where(ApiKey.name == "test admin")).one()


def csv_bytes(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def tree(make):
    """A province with a plan and a target, and a ward under it."""
    province = make.org(name="Tỉnh")
    ward = make.org(name="Phường", parent_id=province["id"])
    plan = make.plan(province["id"])
    target = make.target(plan["id"])
    return {"province": province, "ward": ward, "plan": plan, "target": target}


# ------------------------------------------------------------------ one event per write, with before and after


def test_create_organization(client, app):
    r = client.post(f"{API}/organizations", json={"code": "LS", "name": "Lạng Sơn"}, headers=rid("org-create"))
    assert r.status_code == 201, r.text
    org = r.json()
    e = only(events_of(client, "org-create"))
    assert (e["action"], e["entity"], e["entity_id"], e["organization_id"]) == ("create", "organization", org["id"], org["id"])
    assert e["before"] is None
    assert e["after"] == {k: org[k] for k in e["after"]} and set(e["after"]) >= {"id", "code", "name", "parent_id"}
    assert (e["actor_key_id"], e["actor"], e["request_id"]) == (admin_key_id(app), "test admin", "org-create")
    assert abs(datetime.fromisoformat(e["occurred_at"]) - datetime.now(UTC)) < timedelta(minutes=5)


def test_update_organization_records_before_and_after(client, tree):
    ward = tree["ward"]
    r = client.patch(f"{API}/organizations/{ward['id']}", json={"name": "Phường Chi Lăng"}, headers=rid("org-update"))
    assert r.status_code == 200, r.text
    e = only(events_of(client, "org-update"))
    assert (e["action"], e["entity"], e["entity_id"], e["organization_id"]) == ("update", "organization", ward["id"], ward["id"])
    assert e["before"]["name"] == "Phường" and e["after"]["name"] == "Phường Chi Lăng"
    assert e["before"]["code"] == e["after"]["code"] == ward["code"]
    assert e["before"]["updated_at"] == ward["updated_at"]
    assert e["after"]["updated_at"] != e["before"]["updated_at"]


def test_create_and_update_plan(client, tree):
    org_id = tree["province"]["id"]
    body = {"code": "KH-1", "title": "Kế hoạch", "organization_id": org_id, "start_date": "2020-01-01", "end_date": "2020-12-31"}
    r = client.post(f"{API}/plans", json=body, headers=rid("plan-create"))
    assert r.status_code == 201, r.text
    plan = r.json()
    e = only(events_of(client, "plan-create"))
    assert (e["action"], e["entity"], e["entity_id"], e["organization_id"]) == ("create", "plan", plan["id"], org_id)
    # Dates and times are ISO strings, as in the API's own answers.
    assert e["after"]["start_date"] == "2020-01-01" and e["after"]["state"] == "draft" and e["after"]["archived_at"] is None

    r = client.patch(f"{API}/plans/{plan['id']}", json={"state": "active", "end_date": "2020-06-30"}, headers=rid("plan-update"))
    assert r.status_code == 200, r.text
    e = only(events_of(client, "plan-update"))
    assert (e["action"], e["entity_id"]) == ("update", plan["id"])
    assert (e["before"]["state"], e["after"]["state"]) == ("draft", "active")
    assert (e["before"]["end_date"], e["after"]["end_date"]) == ("2020-12-31", "2020-06-30")
    assert set(e["before"]) == set(e["after"])  # every column, both sides


def test_create_and_update_target_belong_to_the_plans_organisation(client, tree):
    plan, org_id = tree["plan"], tree["province"]["id"]
    body = {"code": "CT-9", "title": "Tỷ lệ", "unit": "%", "comparison": "at_least", "value": 90}
    r = client.post(f"{API}/plans/{plan['id']}/targets", json=body, headers=rid("target-create"))
    assert r.status_code == 201, r.text
    target = r.json()
    e = only(events_of(client, "target-create"))
    assert (e["action"], e["entity"], e["entity_id"], e["organization_id"]) == ("create", "target", target["id"], org_id)
    assert e["after"]["value"] == 90 and e["after"]["plan_id"] == plan["id"]

    r = client.patch(f"{API}/targets/{target['id']}", json={"value": 95}, headers=rid("target-update"))
    assert r.status_code == 200, r.text
    e = only(events_of(client, "target-update"))
    assert (e["action"], e["before"]["value"], e["after"]["value"], e["organization_id"]) == ("update", 90, 95, org_id)


def test_submission_records_the_reporting_organisation(client, tree):
    target, ward = tree["target"], tree["ward"]
    body = {"value": 50, "period_date": "2019-06-30", "organization_id": ward["id"]}
    r = client.post(f"{API}/targets/{target['id']}/submissions", json=body, headers=rid("figure"))
    assert r.status_code == 201, r.text
    sub = r.json()
    e = only(events_of(client, "figure"))
    assert (e["action"], e["entity"], e["entity_id"], e["organization_id"]) == ("create", "submission", sub["id"], ward["id"])
    assert e["before"] is None and e["after"]["value"] == 50 and e["after"]["kind"] == "original"
    assert e["after"]["period_date"] == "2019-06-30"


def test_a_figures_event_copies_every_column_as_stored(app, client, tree, backend):
    """POST a figure writes its event with the figure itself (on PostgreSQL one statement, the id taken from
    the sequence ahead: app.audit.bulk._with_event): the event names the stored row and copies each of its
    audited columns as stored, whichever way it went in; the same as the unit of work's recorder writes."""
    from app.audit.recorder import audited_columns, column_values

    body = {"value": 12.5, "period_date": "2019-06-30", "organization_id": tree["ward"]["id"], "is_estimate": True,
            "note": "ước tính", "evidence_url": "https://example.org/a"}
    r = client.post(f"{API}/targets/{tree['target']['id']}/submissions", json=body, headers=rid("copied"))
    assert r.status_code == 201, r.text
    figure_id = r.json()["id"]
    e = only(events_of(client, "copied"))
    with Session(app.state.engine) as session:
        stored = session.get(Submission, figure_id)
        expected = column_values(Submission, stored.model_dump(), audited_columns(Submission))
        [event] = session.exec(select(AuditEvent).where(AuditEvent.request_id == "copied")).all()
    assert (e["entity_id"], event.entity_id) == (figure_id, figure_id)
    assert event.after == expected, (backend, event.after, expected)
    assert list(event.after) == list(expected)  # in column order, as the recorder writes them
    assert e["actor_key_id"] == admin_key_id(app)


def test_assessment_is_assess(client, tree):
    target = tree["target"]
    body = {"verdict": "achieved", "reason": "Đạt", "assessed_by": "Ban Thường vụ", "assessed_on": "2020-01-10"}
    r = client.post(f"{API}/targets/{target['id']}/assessments", json=body, headers=rid("assess"))
    assert r.status_code == 201, r.text
    e = only(events_of(client, "assess"))
    assert (e["action"], e["entity"], e["entity_id"]) == ("assess", "assessment", r.json()["id"])
    assert e["organization_id"] == tree["province"]["id"]  # the target's plan's organisation
    assert e["after"]["verdict"] == "achieved" and e["after"]["target_id"] == target["id"]


def test_key_create_and_revoke_never_copy_the_secret(client, app, tree):
    body = {"name": "nhập số liệu", "role": "reporter", "organization_id": tree["ward"]["id"]}
    r = client.post(f"{API}/api-keys", json=body, headers=rid("key-create"))
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["key"]
    e = only(events_of(client, "key-create"))
    assert (e["action"], e["entity"], e["entity_id"], e["organization_id"]) == ("key_create", "api_key", created["id"], tree["ward"]["id"])
    assert "key_hash" not in e["after"] and e["after"]["prefix"] == secret[:11]
    assert e["after"]["created_by_key_id"] == admin_key_id(app)

    r = client.post(f"{API}/api-keys/{created['id']}/revoke", headers=rid("key-revoke"))
    assert r.status_code == 200, r.text
    e = only(events_of(client, "key-revoke"))
    assert (e["action"], e["entity_id"]) == ("key_revoke", created["id"])
    assert e["before"]["revoked_at"] is None and e["after"]["revoked_at"] is not None
    assert "key_hash" not in e["before"] and "key_hash" not in e["after"]

    # Revoking again changes nothing and records nothing.
    assert client.post(f"{API}/api-keys/{created['id']}/revoke", headers=rid("key-revoke-2")).status_code == 200
    assert events_of(client, "key-revoke-2") == []

    digest = hash_key(secret)
    for event in stored_events(app):
        dumped = repr(event.model_dump())
        assert secret not in dumped and digest not in dumped


def test_using_a_key_records_nothing(app, anonymous, key_for, tree):
    """last_used_at is noted on use, but that is not an event."""
    headers = key_for("viewer", tree["province"]["id"])
    before = len(stored_events(app))
    for _ in range(2):
        assert anonymous.get(f"{API}/plans/{tree['plan']['id']}", headers=headers).status_code == 200
    assert len(stored_events(app)) == before
    with Session(app.state.engine) as s:
        assert all(k.last_used_at is not None for k in s.exec(select(ApiKey).where(ApiKey.role == "viewer")))


def test_import_records_one_event_per_row(client, tree):
    target, ward = tree["target"], tree["ward"]
    data = csv_bytes([
        ["target_code", "organization_code", "period_date", "value"],
        [target["code"], ward["code"], "2019-03-31", "10"],
        [target["code"], ward["code"], "2019-06-30", "20"],
    ])
    r = client.post(f"{API}/plans/{tree['plan']['id']}/import/submissions", files={"file": ("f.csv", data, "text/csv")},
                    headers=rid("import"))
    assert r.status_code == 200 and r.json()["stored"], r.text
    events = events_of(client, "import")
    assert [(e["action"], e["entity"], e["after"]["value"], e["organization_id"]) for e in events] == [
        ("create", "submission", 10, ward["id"]),
        ("create", "submission", 20, ward["id"]),
    ]


def test_import_of_targets_records_creates_and_updates(client, tree):
    target = tree["target"]
    data = csv_bytes([
        ["code", "title", "unit", "comparison", "value"],
        [target["code"], target["title"], "%", "at_least", "80"],  # changed value
        ["NEW-1", "Mới", "%", "at_least", "70"],
    ])
    r = client.post(f"{API}/plans/{tree['plan']['id']}/import/targets", files={"file": ("f.csv", data, "text/csv")},
                    headers=rid("import-targets"))
    assert r.status_code == 200 and r.json()["stored"], r.text
    events = sorted(events_of(client, "import-targets"), key=lambda e: e["action"])
    assert [(e["action"], e["after"]["code"]) for e in events] == [("create", "NEW-1"), ("update", target["code"])]
    assert (events[1]["before"]["value"], events[1]["after"]["value"]) == (90, 80)


def test_parse_with_apply_records_the_created_targets(client, tree):
    r = client.post(f"{API}/plans/{tree['plan']['id']}/parse", params={"apply": "true"},
                    json={"text": "Tỷ lệ hộ dân sử dụng nước sạch đạt 98% trở lên."}, headers=rid("parse"))
    assert r.status_code == 200, r.text
    created = r.json()["created"]
    assert created
    assert [(e["action"], e["entity_id"]) for e in events_of(client, "parse")] == [("create", t["id"]) for t in created]


def test_without_x_request_id_the_servers_id_is_recorded(client):
    r = client.post(f"{API}/organizations", json={"code": "X", "name": "X"})
    assert r.status_code == 201
    request_id = r.headers["x-request-id"]
    assert len(request_id) >= 32
    assert only(events_of(client, request_id))["entity_id"] == r.json()["id"]


# ------------------------------------------------------------------ what services do not expose (yet) over HTTP


def _as(session: Session, principal: Principal, request_id: str) -> Session:
    session.info.update(principal=principal, request_id=request_id)
    return session


def test_archive_correct_retract_and_delete_are_named(app, client, tree):
    """The recorder names the actions whatever code path makes them (here, a session acting as the CLI)."""
    with Session(app.state.engine) as s:
        _as(s, CLI, "svc")
        plan = s.get(Plan, tree["plan"]["id"])
        target = s.get(Target, tree["target"]["id"])
        plan.archived_at = datetime.now(UTC)
        s.commit()
        target.archived_at = datetime.now(UTC)
        s.commit()
        original = Submission(target_id=target.id, organization_id=tree["ward"]["id"], value=1,
                              period_date=datetime(2019, 3, 31).date())
        s.add(original)
        s.commit()
        correction = Submission(target_id=target.id, organization_id=tree["ward"]["id"], value=2, kind="correction",
                                supersedes_id=original.id, root_id=original.id, reason="gõ nhầm",
                                period_date=original.period_date)
        s.add(correction)
        s.commit()
        retraction = Submission(target_id=target.id, organization_id=tree["ward"]["id"], kind="retraction", value=2,
                                supersedes_id=correction.id, root_id=original.id, reason="trùng",
                                period_date=original.period_date)
        s.add(retraction)
        s.commit()
        lonely = Organization(code="LONELY", name="Lẻ")
        s.add(lonely)
        s.commit()
        lonely_id = lonely.id
        s.delete(lonely)
        s.commit()
    got = [(e["action"], e["entity"], e["actor"], e["actor_key_id"]) for e in events_of(client, "svc")]
    assert got == [
        ("archive", "plan", "cli", None),
        ("archive", "target", "cli", None),
        ("create", "submission", "cli", None),
        ("correct", "submission", "cli", None),
        ("retract", "submission", "cli", None),
        ("create", "organization", "cli", None),
        ("delete", "organization", "cli", None),
    ]
    deleted = events_of(client, "svc")[-1]
    assert deleted["entity_id"] == lonely_id and deleted["after"] is None and deleted["before"]["code"] == "LONELY"


def test_a_session_without_principal_is_the_system(app, client):
    with Session(app.state.engine) as s:
        s.info["request_id"] = "sys"
        s.add(Organization(code="SYS", name="Hệ thống"))
        s.commit()
    e = only(events_of(client, "sys"))
    assert (e["actor"], e["actor_key_id"]) == ("system", None)


def test_an_expired_row_changed_without_reading_keeps_its_before(app, client, tree):
    """After a commit every row is expired; changing one column must still record the old values."""
    with Session(app.state.engine) as s:
        _as(s, CLI, "expired")
        org = s.get(Organization, tree["ward"]["id"])
        s.commit()  # expires `org`
        org.name = "Đổi tên"
        s.commit()
    e = only(events_of(client, "expired"))
    assert (e["before"]["name"], e["after"]["name"]) == ("Phường", "Đổi tên")
    assert e["before"]["code"] == e["after"]["code"] == tree["ward"]["code"]


# ------------------------------------------------------------------ failed writes record nothing


def test_refused_writes_record_nothing(app, client, anonymous, key_for, tree):
    before = len(stored_events(app))
    plan, target, province = tree["plan"], tree["target"], tree["province"]
    viewer = key_for("viewer", province["id"])
    after_keys = len(stored_events(app))
    assert after_keys == before + 1  # making the viewer's key is itself an event
    cases = [
        # 422: the period ends before it starts
        client.post(f"{API}/plans", json={"code": "BAD", "title": "x", "organization_id": province["id"],
                                          "start_date": "2020-01-01", "end_date": "2019-01-01"}, headers=rid("fail")),
        # 409: duplicate code
        client.post(f"{API}/organizations", json={"code": province["code"], "name": "x"}, headers=rid("fail")),
        # 422: a figure outside the plan's period
        client.post(f"{API}/targets/{target['id']}/submissions",
                    json={"value": 1, "period_date": "2030-01-01", "organization_id": province["id"]}, headers=rid("fail")),
        # 403 and 401
        anonymous.patch(f"{API}/plans/{plan['id']}", json={"title": "x"}, headers={**viewer, **rid("fail")}),
        anonymous.patch(f"{API}/plans/{plan['id']}", json={"title": "x"}, headers=rid("fail")),
        # an import with a failing row stores nothing (all-or-nothing)
        client.post(f"{API}/plans/{plan['id']}/import/submissions", headers=rid("fail"), files={"file": ("f.csv", csv_bytes([
            ["target_code", "organization_code", "period_date", "value"],
            [target["code"], province["code"], "2019-03-31", "10"],
            [target["code"], province["code"], "2031-03-31", "10"],
        ]), "text/csv")}),
    ]
    assert [r.status_code for r in cases] == [422, 409, 422, 403, 401, 200]
    assert cases[-1].json()["stored"] is False
    assert len(stored_events(app)) == after_keys
    assert events_of(client, "fail") == []


def test_a_write_that_fails_at_commit_records_nothing(app, client, tree):
    """A unique violation found by the database rolls back the events with the row."""
    count = len(stored_events(app))
    with Session(app.state.engine) as s:
        _as(s, CLI, "dup")
        s.add(Organization(code=tree["province"]["code"], name="trùng"))
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
        s.add(Organization(code="FRESH", name="mới"))  # the next write in the same session is recorded alone
        s.commit()
    assert [e["after"]["code"] for e in events_of(client, "dup")] == ["FRESH"]
    assert len(stored_events(app)) == count + 1


# ------------------------------------------------------------------ reading the trail


@pytest.fixture
def scoped(make, client):
    """province → city → ward, a sibling city; a plan per organisation, each made with its own request id."""
    province = make.org(name="Tỉnh")
    city = make.org(name="Thành phố", parent_id=province["id"])
    ward = make.org(name="Phường", parent_id=city["id"])
    sibling = make.org(name="Huyện", parent_id=province["id"])
    orgs = {"province": province, "city": city, "ward": ward, "sibling": sibling}
    for name, org in orgs.items():
        body = {"code": f"P-{name}", "title": name, "organization_id": org["id"], "start_date": "2019-01-01",
                "end_date": "2019-12-31", "state": "active"}
        assert client.post(f"{API}/plans", json=body, headers=rid(f"plan-{name}")).status_code == 201
    return orgs


def test_scoped_keys_see_only_their_organisations_events(app, anonymous, scoped):
    city, ward = scoped["city"]["id"], scoped["ward"]["id"]
    for role in ("viewer", "editor"):
        headers = bearer(new_key(app, role, city))
        r = anonymous.get(EVENTS, params={"limit": 500}, headers=headers)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert {e["organization_id"] for e in items} == {city, ward}
        assert r.json()["total"] == len(items)
        # organisation events of city and ward, plan events of city and ward; the key's own creation
        assert sorted((e["entity"], e["organization_id"]) for e in items if e["entity"] != "api_key") == sorted(
            [("organization", city), ("organization", ward), ("plan", city), ("plan", ward)]
        )
        # Filtering cannot reach outside the scope.
        sibling_plan = anonymous.get(EVENTS, params={"request_id": "plan-sibling"}, headers=headers)
        assert sibling_plan.json() == {"items": [], "total": 0, "limit": 100, "offset": 0}
    ward_key = bearer(new_key(app, "viewer", ward))
    items = anonymous.get(EVENTS, headers=ward_key).json()["items"]
    assert {e["organization_id"] for e in items} == {ward}


def test_admin_sees_every_event_including_unscoped_ones(client, app, scoped):
    r = client.get(EVENTS, params={"limit": 500})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == len(stored_events(app)) == len(body["items"])
    assert any(e["organization_id"] is None for e in body["items"])  # the admin key's own creation


def test_no_key_or_bad_key_is_401(anonymous):
    r = anonymous.get(EVENTS)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.get(EVENTS, headers=bearer("ct_nope")).status_code == 401


def test_filters_order_and_paging(client, app, scoped):
    province = scoped["province"]["id"]
    all_events = stored_events(app)
    newest = client.get(EVENTS, params={"limit": 500}).json()["items"]
    assert [e["id"] for e in newest] == sorted((e.id for e in all_events), reverse=True)
    oldest = client.get(EVENTS, params={"limit": 500, "sort": "occurred_at"}).json()["items"]
    assert oldest == newest[::-1]
    page = client.get(EVENTS, params={"limit": 2, "offset": 1, "sort": "occurred_at"}).json()
    assert [e["id"] for e in page["items"]] == [e["id"] for e in oldest[1:3]] and page["total"] == len(all_events)

    def ids(**params) -> list[int]:
        r = client.get(EVENTS, params={"limit": 500, "sort": "occurred_at", **params})
        assert r.status_code == 200, r.text
        return [e["id"] for e in r.json()["items"]]

    assert ids(entity="plan") == [e.id for e in all_events if e.entity == "plan"]
    assert len(ids(entity="plan")) == 4
    assert ids(entity="organization", entity_id=province) == [e.id for e in all_events if e.entity == "organization" and e.entity_id == province]
    assert ids(action="key_create") == [e.id for e in all_events if e.action == "key_create"]
    admin = admin_key_id(app)
    assert ids(actor_key_id=admin) == [e.id for e in all_events if e.actor_key_id == admin] and len(ids(actor_key_id=admin)) == 8
    assert len(ids(request_id="plan-city")) == 1
    first, last = all_events[0], all_events[-1]
    # `from` and `to` (the figures' vocabulary) are both inclusive
    assert ids(**{"from": (last.occurred_at.replace(tzinfo=UTC) + timedelta(seconds=1)).isoformat()}) == []
    assert ids(to=(first.occurred_at.replace(tzinfo=UTC) - timedelta(microseconds=1)).isoformat()) == []
    at_first = ids(to=first.occurred_at.replace(tzinfo=UTC).isoformat())
    assert first.id in at_first and all(e.occurred_at <= first.occurred_at for e in all_events if e.id in at_first)
    window = ids(**{"from": "2000-01-01T00:00:00+07:00", "to": (datetime.now(UTC) + timedelta(minutes=1)).isoformat()})
    assert window == [e.id for e in all_events]
    assert_problem(client.get(EVENTS, params={"from": "2020-01-02T00:00:00Z", "to": "2020-01-01T00:00:00Z"}), 422,
                   fields={"query.to"})
    assert_problem(client.get(EVENTS, params={"action": "explode"}), 422, fields={"query.action"})
    assert_problem(client.get(EVENTS, params={"from": "1700000000"}), 422, fields={"query.from"})
    # the old names are not silently ignored: a 400 that names them and the name to use
    old = client.get(EVENTS, params={"since": "2020-01-01T00:00:00Z", "order": "oldest"})
    assert_problem(old, 400, fields={"query.since", "query.order"})
    assert "since: use 'from'" in old.json()["detail"] and "order: use 'sort'" in old.json()["detail"]


def test_openapi_documents_the_route(app):
    operation = app.openapi()["paths"]["/api/v1/audit-events"]["get"]
    params = {p["name"] for p in operation["parameters"]}
    assert params >= {"entity", "entity_id", "action", "actor_key_id", "request_id", "from", "to", "sort", "limit", "offset"}
    assert {"200", "401", "403", "422"} <= set(operation["responses"])
    assert "Newest first" in operation["description"] and {} not in operation.get("security", [])


# ------------------------------------------------------------------ the trail cannot be rewritten


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET actor = 'forged'", "DELETE FROM audit_event"])
def test_the_database_refuses_rewriting_the_trail(app, client, statement):
    """Triggers on both databases (SQLite since migration 0006_hardening)."""
    assert stored_events(app)
    with pytest.raises(DBAPIError):
        with app.state.engine.begin() as conn:
            conn.execute(text(statement))


def test_corrections_and_retractions_over_http(client, app, tree):
    if "/api/v1/submissions/{submission_id}/corrections" not in app.openapi()["paths"]:
        pytest.skip("no corrections route in this app")
    ward = tree["ward"]["id"]
    figure = client.post(f"{API}/targets/{tree['target']['id']}/submissions",
                         json={"value": 5, "period_date": "2019-06-30", "organization_id": ward}).json()
    body = {"value": 6, "period_date": "2019-06-30", "organization_id": ward, "reason": "số chính thức"}
    r = client.post(f"{API}/submissions/{figure['id']}/corrections", json=body, headers=rid("correct"))
    assert r.status_code == 201, r.text
    correction = r.json()
    e = only(events_of(client, "correct"))
    assert (e["action"], e["entity"], e["entity_id"], e["organization_id"]) == ("correct", "submission", correction["id"], ward)
    assert e["before"] is None and (e["after"]["value"], e["after"]["supersedes_id"]) == (6, figure["id"])

    r = client.post(f"{API}/submissions/{correction['id']}/retraction", json={"reason": "gửi nhầm"}, headers=rid("retract"))
    assert r.status_code == 201, r.text
    e = only(events_of(client, "retract"))
    assert (e["action"], e["entity_id"], e["after"]["supersedes_id"], e["after"]["reason"]) == (
        "retract", r.json()["id"], correction["id"], "gửi nhầm")
    # A refused correction (the figure is no longer current) records nothing.
    assert client.post(f"{API}/submissions/{figure['id']}/corrections", json=body, headers=rid("stale")).status_code == 409
    assert events_of(client, "stale") == []


def test_delete_archives_what_has_records_and_deletes_the_rest(client, app, tree):
    paths = app.openapi()["paths"]
    if "delete" not in paths.get("/api/v1/targets/{target_id}", {}) or "delete" not in paths.get("/api/v1/plans/{plan_id}", {}):
        pytest.skip("no DELETE routes for plans and targets in this app")
    org_id = tree["province"]["id"]
    plan, target = tree["plan"], tree["target"]
    client.post(f"{API}/targets/{target['id']}/submissions",
                json={"value": 5, "period_date": "2019-06-30", "organization_id": org_id})
    empty = client.post(f"{API}/plans/{plan['id']}/targets", json={
        "code": "EMPTY", "title": "Trống", "unit": "%", "comparison": "at_least", "value": 1}).json()

    # A target with a figure is archived; one without any record is deleted.
    assert client.delete(f"{API}/targets/{target['id']}", headers=rid("archive-target")).status_code < 300
    e = only(events_of(client, "archive-target"))
    assert (e["action"], e["entity"], e["entity_id"], e["organization_id"]) == ("archive", "target", target["id"], org_id)
    assert e["before"]["archived_at"] is None and e["after"]["archived_at"] is not None
    assert client.delete(f"{API}/targets/{empty['id']}", headers=rid("delete-target")).status_code < 300
    e = only(events_of(client, "delete-target"))
    assert (e["action"], e["entity_id"], e["organization_id"], e["after"]) == ("delete", empty["id"], org_id, None)
    assert e["before"]["code"] == "EMPTY"

    # Same for plans; deleting a plan deletes its (record-less) targets, each an event.
    assert client.delete(f"{API}/plans/{plan['id']}", headers=rid("archive-plan")).status_code < 300
    assert [(e["action"], e["entity"]) for e in events_of(client, "archive-plan")] == [("archive", "plan")]
    bare = client.post(f"{API}/plans", json={"code": "BARE", "title": "x", "organization_id": org_id,
                                             "start_date": "2020-01-01", "end_date": "2020-12-31"}).json()
    bare_target = client.post(f"{API}/plans/{bare['id']}/targets", json={
        "code": "B1", "title": "x", "unit": "%", "comparison": "at_least", "value": 1}).json()
    assert client.delete(f"{API}/plans/{bare['id']}", headers=rid("delete-plan")).status_code < 300
    got = [(e["action"], e["entity"], e["entity_id"], e["organization_id"]) for e in events_of(client, "delete-plan")]
    assert got == [("delete", "target", bare_target["id"], org_id), ("delete", "plan", bare["id"], org_id)]
